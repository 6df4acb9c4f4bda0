"""CSS selection over one page, walking the tree once instead of once per selector.

A layout asks a page a dozen questions (its marker, rows, links, title, count…), each a CSS selector that
soupsieve answers by walking every element. The page is walked once here, its elements indexed by tag, and
a selector whose every alternative ends in a tag name (`a[rel~=next]`, `tbody > tr`, `h1, title`) is matched
against those elements only, in document order. Any other selector is handed to soupsieve as it is.
"""

from __future__ import annotations

import re
from functools import cache

import soupsieve
from bs4 import BeautifulSoup, Tag

_TAG = re.compile(r"[a-zA-Z][\w-]*")


def _top_level(selector: str, separators: str) -> list[str]:
    """Split a selector at separators outside brackets, parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in selector:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and char in separators:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


@cache
def _subject_tags(selector: str) -> frozenset[str] | None:
    """The tag names the selector can match (of its last compound in each alternative), or None if any."""
    tags = set()
    for alternative in _top_level(selector, ","):
        compounds = [c for c in _top_level(alternative.strip(), " >+~") if c]
        match = _TAG.match(compounds[-1]) if compounds else None
        if match is None:
            return None
        tags.add(match.group().lower())
    return frozenset(tags)


@cache
def _compiled(selector: str) -> soupsieve.SoupSieve:
    return soupsieve.compile(selector)


class Page:
    """One parsed page and its elements by tag, for repeated selection."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self._by_tag: dict[str, list[tuple[int, Tag]]] = {}
        for position, element in enumerate(soup.descendants):
            if type(element) is Tag:
                self._by_tag.setdefault(element.name, []).append((position, element))
        self._elements = {tag: [e for _, e in pairs] for tag, pairs in self._by_tag.items()}

    def select(self, selector: str) -> list[Tag]:
        """Every element matching `selector`, in document order (as `soup.select`)."""
        tags = _subject_tags(selector)
        if tags is None:
            return list(self.soup.select(selector))
        compiled = _compiled(selector)
        if len(tags) == 1:
            (tag,) = tags
            return list(compiled.filter(self._elements.get(tag, [])))
        # One filter per tag shares soupsieve's caches among the candidates; then back to document order.
        found = {id(e) for tag in tags for e in compiled.filter(self._elements.get(tag, []))}
        return [e for _, e in sorted(p for tag in tags for p in self._by_tag.get(tag, ()) if id(p[1]) in found)]

    def select_one(self, selector: str) -> Tag | None:
        """The first element matching `selector`, or None."""
        found = self.select(selector) if _subject_tags(selector) is not None else None
        if found is None:
            return self.soup.select_one(selector)
        return found[0] if found else None
