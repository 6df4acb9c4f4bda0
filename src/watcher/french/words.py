"""French wording of numbers, ranks and times, shared by the emails, the report and the CLI. Pure."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


NNBSP = "\u202f"  # the narrow no-break space French puts before ; : ! ? % and between thousands


def number(value: float | None, digits: int = 1) -> str:
    """12.5 → '12,5'; 45.0 → '45'; 41000 → '41 000' (narrow no-break space); None → 'non publié'."""
    if value is None:
        return "non publié"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    return text.replace(",", NNBSP).replace(".", ",").replace("-", "−")


def points(value: float | None, digits: int, *, signed: bool = False) -> str:
    """A point figure with exactly `digits` decimals, as every figure of one list is written: 93 → '93,0' beside
    '91,5'; `signed` puts '+' before a gain ('+1,5'), and a change of zero is '='."""
    if value is None:
        return "non publié"
    text = f"{abs(value):,.{digits}f}".replace(",", NNBSP).replace(".", ",")
    if not signed:
        return f"−{text}" if value < 0 else text
    return "=" if round(value, digits) == 0 else ("+" if value > 0 else "−") + text


def spaced(text: str) -> str:
    """French spacing: the space before ; : ! ? % made a narrow no-break one, so '15,5 %' never breaks a line."""
    for mark in ";:!?%":
        text = text.replace(f" {mark}", f"{NNBSP}{mark}")
    return text


_IN_WORDS = ("zéro", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")


def count(n: int, noun: str) -> str:
    """How the press writes a count of a feminine noun: 'une place', 'six places', '12 places'."""
    n = abs(n)
    amount = _IN_WORDS[n] if n < len(_IN_WORDS) else number(n, 0)
    return f"{amount} {noun}{'s' if n > 1 else ''}"


# Schools whose name is said with an article: (first word, article). Others take none ("d'IMT Mines Alès").
_ARTICLES = {
    "école": "l'", "ecole": "l'", "institut": "l'", "université": "l'", "universite": "l'",
    "espci": "l'", "insa": "l'", "utc": "l'", "epf": "l'", "ensta": "l'", "isae": "l'", "esiee": "l'",
    "enseeiht": "l'", "ensam": "l'", "eseo": "l'", "efrei": "l'", "ece": "l'", "ens": "l'", "estp": "l'",
    "epita": "l'", "esilv": "l'", "esiea": "l'", "estaca": "l'", "esme": "l'", "ipsa": "l'", "isep": "l'",
    "isen": "l'", "enac": "l'", "ensae": "l'", "ensai": "l'", "ensea": "l'", "utt": "l'",
    "utbm": "l'", "eisti": "l'", "itii": "l'", "iti": "l'", "ensg": "l'", "ensc": "l'", "ensic": "l'",
    "isima": "l'", "isara": "l'", "isa": "l'", "ismans": "l'", "iseg": "l'", "esigelec": "l'", "esitc": "l'",
    "cnam": "le ", "cesi": "le ",
}  # fmt: skip
_VOWELS = "aeiouyéèêàâîïôûAEIOUYÉÈÊÀÂÎÏÔÛ"  # not h: "de HEC", "de Hautes études"


def of(name: str) -> str:
    """'de' before a school's name, elided or contracted: d'IMT Mines Alès, de l'ESPCI, du CNAM, de Centrale Lyon."""
    # The first word, up to a space or a hyphen: "ISAE-Supaero" takes ISAE's article.
    article = _ARTICLES.get(re.split(r"[\s\-]", name, maxsplit=1)[0].casefold().strip(",")) if name else None
    if article == "le ":
        return f"du {name}"
    if article == "l'":
        return f"de l'{name}"
    return f"d'{name}" if name[:1] in _VOWELS else f"de {name}"


def ordinal(rank: int, tied: bool = False) -> str:
    """27 → '27e'; 1 → '1re' (une école est classée 1re); ties say 'ex aequo'."""
    text = "1re" if rank == 1 else f"{rank}e"
    return f"{text} ex aequo" if tied else text


def places(n: int) -> str:
    """'1 place', '6 places' (in figures, for subjects and tables; `count` writes them in words for prose)."""
    return f"{abs(n)} place" + ("s" if abs(n) > 1 else "")


def paris_time(moment: datetime) -> str:
    """'17 décembre 2020 à 07:02 (heure de Paris)'."""
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {_MONTHS[local.month - 1]} {local.year} à {local:%H:%M} (heure de Paris)"
