"""Reading text and numbers as L'Étudiant writes them: French decimals, ranks, scores out of a maximum."""

from __future__ import annotations

import re

from bs4 import Tag
from bs4.element import NavigableString

from watcher.errors import ParseRefused

_THOUSANDS = re.compile(r"(?<=\d)[ \u202f\xa0](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_OUT_OF = re.compile(r"/\s*(\d+(?:[.,]\d+)?)")
RANK = re.compile(r"^\s*=?\s*#?\s*(\d{1,4})\s*(?:er|re|ère|e|ème|eme|è)?(?:\W|$)", re.IGNORECASE)
UNRANKED = {"nc", "n c", "non classe", "non classee", "non classees", "hors classement"}


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)


def decode(content: bytes, declared: str | None, url: str) -> str:
    """The page's text, in the charset the server declares, else the page itself, else UTF-8 or windows-1252.

    Bytes that are not valid in that charset are refused with what they are, never read as garbled names.
    """
    meta = _META_CHARSET.search(content[:4096])
    charset, source = (
        (declared, "the server declares")
        if declared
        else (meta.group(1).decode("ascii", "replace"), "the page declares")
        if meta
        else (None, "")
    )
    if charset is None:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            charset, source = "windows-1252", "was detected (no charset declared, and the bytes are not UTF-8)"
    try:
        return content.decode(charset)
    except LookupError as exc:
        raise ParseRefused(f"the page's charset {charset!r}, which {source}, is not known", url=url) from exc
    except UnicodeDecodeError as exc:
        raise ParseRefused(
            f"the page's bytes are not valid {charset}, the charset that {source}: byte {content[exc.start]:#04x} at "
            f"position {exc.start:,} ({exc.reason}); the page is damaged or mislabelled, so it is not read",
            url=url,
        ) from exc


_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")  # ANSI/VT escape sequences


def clean(text: str) -> str:
    """Scraped text made safe for headers, emails and terminals: spaces collapsed; escape sequences, control and
    format characters (bidi overrides, zero-width) removed; a literal MIME encoded-word ("=?utf-8?b?…") broken."""
    text = " ".join(text.split())
    if not text.isprintable():  # the usual case skips this: ordinary letters, digits, punctuation and spaces
        text = _ESCAPE.sub("", text)
        text = "".join(c for c in text if c.isprintable() or c == " ")
        text = " ".join(text.split())
    return text.replace("=?", "= ?")


def text_of(tag: Tag) -> str:
    """The element's visible text, cleaned (`clean`)."""
    string = tag.string  # a cell holding one text node (the usual case) needs no tree walk
    text = string if type(string) is NavigableString else tag.get_text(" ", strip=True)  # not a comment
    return clean(text)


def french_number(text: str) -> float | None:
    """'12,5' → 12.5; '45,2/63' → 45.2; '1 234,5' → 1234.5; 'NC', '-' or '' → None."""
    text = _THOUSANDS.sub("", text.replace("\u2212", "-"))
    match = _NUMBER.search(text)
    return float(match.group().replace(",", ".")) if match else None


def out_of(text: str) -> float | None:
    """The maximum of a score written '103,5/119' (119.0); None when no maximum is written."""
    match = _OUT_OF.search(_THOUSANDS.sub("", text))
    return float(match.group(1).replace(",", ".")) if match else None
