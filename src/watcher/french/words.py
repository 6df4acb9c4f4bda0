"""French wording of numbers, ranks and times, shared by the emails, the report and the CLI. Pure."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def number(value: float | None, digits: int = 1) -> str:
    """12.5 → '12,5'; 45.0 → '45'; None → 'non publié'."""
    if value is None:
        return "non publié"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",").replace("-", "−")


def ordinal(rank: int, tied: bool = False) -> str:
    """27 → '27e'; 1 → '1re' (une école est classée 1re); ties say 'ex aequo'."""
    text = "1re" if rank == 1 else f"{rank}e"
    return f"{text} ex aequo" if tied else text


def places(n: int) -> str:
    return f"{abs(n)} place" + ("s" if abs(n) > 1 else "")


def paris_time(moment: datetime) -> str:
    """'17 décembre 2020 à 07:02 (heure de Paris)'."""
    local = moment.astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {_MONTHS[local.month - 1]} {local.year} à {local:%H:%M} (heure de Paris)"
