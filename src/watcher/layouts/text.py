"""Reading text and numbers as L'Étudiant writes them: French decimals, ranks, scores out of a maximum."""

from __future__ import annotations

import re

from bs4 import NavigableString, Tag

_THOUSANDS = re.compile(r"(?<=\d)[ \u202f\xa0](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_OUT_OF = re.compile(r"/\s*(\d+(?:[.,]\d+)?)")
RANK = re.compile(r"^\s*=?\s*#?\s*(\d{1,4})\s*(?:er|re|ère|e|ème|eme|è)?(?:\W|$)", re.IGNORECASE)
UNRANKED = {"nc", "n c", "non classe", "non classee", "non classees", "hors classement"}


def text_of(tag: Tag) -> str:
    """The element's visible text, spaces collapsed."""
    string = tag.string  # a cell holding one text node (the usual case) needs no tree walk
    text = string if type(string) is NavigableString else tag.get_text(" ", strip=True)  # not a comment
    return " ".join(text.split())


def french_number(text: str) -> float | None:
    """'12,5' → 12.5; '45,2/63' → 45.2; '1 234,5' → 1234.5; 'NC', '-' or '' → None."""
    text = _THOUSANDS.sub("", text.replace("\u2212", "-"))
    match = _NUMBER.search(text)
    return float(match.group().replace(",", ".")) if match else None


def out_of(text: str) -> float | None:
    """The maximum of a score written '103,5/119' (119.0); None when no maximum is written."""
    match = _OUT_OF.search(_THOUSANDS.sub("", text))
    return float(match.group(1).replace(",", ".")) if match else None
