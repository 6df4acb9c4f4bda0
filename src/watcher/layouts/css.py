"""What a CSS selector asks of an element, read without soupsieve, to skip what cannot match.

A compound (`a.u-typo-strong[href*='page=']`) becomes a `Fit`: its tag, ids, classes, attributes, words and place
among its siblings. An element that does not fit it cannot match it (a fit is never stricter than soupsieve: case
and spacing are ignored where soupsieve may ignore them); so, told of the first compound of `table.c-pmd-table >
tbody > tr`, it finds every element that can hold a match. A compound that looks around its element (`+`,
`:root`, `:nth-child` on the first compound…) cannot be told so, and the caller reads the whole page instead.
Conversely, an element that passes a compound of plain tests as written (`Fit.sure`) surely matches it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

_IDENT = r"-?(?:[A-Za-z_]|[^\x00-\x7f])(?:[\w-]|[^\x00-\x7f])*"
_VALUE = rf"\"[^\"]*\"|'[^']*'|{_IDENT}"
_SIMPLE = re.compile(
    rf"(?P<tag>{_IDENT}|\*)|#(?P<id>{_IDENT})|\.(?P<cls>{_IDENT})|:(?P<pseudo>{_IDENT})"
    rf"|\[\s*(?P<attr>{_IDENT})\s*(?:(?P<op>[~|^$*!]?=)\s*(?P<value>{_VALUE})\s*(?P<flag>[iIsS])?\s*)?\]"
)
_TEXT = {"-soup-contains", "-soup-contains-own", "contains"}
_LOGICAL = {"not", "is", "where", "matches", "any"}
_OWN = {"empty", "link", "any-link"}
# Only about the element's siblings: allowed below the first compound, whose siblings are all built with it.
_PLACE = {"first-child", "last-child", "only-child", "first-of-type", "last-of-type", "only-of-type"}
_NTH = {"nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type"}
_NTH_STEP = re.compile(r"\s*([+-]?\d*)\s*n\s*(?:([+-])\s*(\d+))?\s*", re.IGNORECASE)  # an+b
_NTH_INDEX = re.compile(r"\s*([+-]?\d+)\s*")  # b alone
# Attributes bs4 splits into words (for any tag here, so as to compare them either way wherever bs4 might).
_WORDS = frozenset(
    ("class", "accesskey", "dropzone", "rel", "rev", "headers", "accept-charset", "archive", "sizes", "sandbox", "for")
)
_SURE_OPS = ("", "=", "^=", "$=", "*=")  # attribute tests soupsieve passes whenever they pass as written
_ASCII = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # soupsieve ignores ASCII case only

Place = tuple[bool, bool, int, int]  # (among its own tag only, counted from the end, a, b): its place is an+b


def top_level(selector: str, separators: str) -> list[str]:
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


def chain(alternative: str) -> list[tuple[str, str]]:
    """One alternative as (combinator before it, compound) pairs: `tbody > tr` → [("", "tbody"), (">", "tr")]."""
    out: list[tuple[str, str]] = []
    current: list[str] = []
    combinator, depth, quote = "", 0, ""
    for char in alternative.strip():
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and (char.isspace() or char in ">+~"):
            if current:
                out.append((combinator, "".join(current)))
                current, combinator = [], " "
            combinator = char if char in ">+~" else combinator
            continue
        current.append(char)
    if current:
        out.append((combinator, "".join(current)))
    return out


def _closing(text: str, start: int) -> int | None:
    """The index after the parenthesis that closes the one at `start`, or None."""
    depth, quote = 0, ""
    for at in range(start, len(text)):
        char = text[at]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return at + 1
    return None


@dataclass(frozen=True, slots=True)
class Fit:
    """What an element must be to match one compound, as far as the element alone tells (never stricter)."""

    tag: str | None = None
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attrs: tuple[tuple[str, str, str], ...] = ()  # (name, operator or "" for presence, value), in ASCII lower case
    texts: tuple[tuple[str, ...], ...] = ()  # each: one of these words is in the element's text
    places: tuple[Place, ...] = ()
    # When the compound is only a tag, a place and what follows: these tests as written ((name, "#" id, "." class
    # or the operator, value)), words in its text as written (and whether in its own text only), compounds it holds
    # (any of each group; whether as a child) and compounds it is not. An element passing all surely matches it.
    sure: tuple[tuple[str, str, str], ...] | None = None
    said: tuple[tuple[tuple[str, ...], bool], ...] = ()
    within: tuple[tuple[tuple[bool, Fit], ...], ...] = ()
    refuse: tuple[Fit, ...] = ()

    def holds(self, get: Callable[[str], object], text: Callable[[], str]) -> bool:
        """True when an element may match the compound, its tag aside: `get` reads its attributes, `text` its text."""
        for i in self.ids:
            if _value(get("id")) != i:
                return False
        if self.classes:
            named = set(_value(get("class")).split())
            if any(c not in named for c in self.classes):
                return False
        for name, op, value in self.attrs:
            raw = get(name)
            if raw is None:
                return False
            # bs4 splits class, rel… into words that soupsieve joins again: their spacing may differ.
            if (
                op
                and not _compare(op, have := _value(raw), value)
                and not (name in _WORDS and _compare(op, " ".join(have.split()), value))
            ):
                return False
        if self.texts:
            found = text()
            for words in self.texts:
                spaced, pattern = _words_pattern(words)
                # bs4 folds the blanks between elements: words with spaces are looked for in the text folded so.
                if pattern.search(" ".join(found.split()) if spaced else found) is None:
                    return False
        return True

    @property
    def needed(self) -> frozenset[str]:
        """The attributes an element must have to fit."""
        named = [*(["id"] if self.ids else []), *(["class"] if self.classes else [])]
        return frozenset([*named, *(a for a, _, _ in self.attrs)])

    def fits(self, element: Any) -> bool:
        """`holds` for an lxml element, its tag included (libxml2 names tags and attributes in lower case)."""
        return (self.tag is None or element.tag == self.tag) and self.holds(element.get, partial(lxml_text, element))


def lxml_text(element: Any) -> str:
    """All the text inside an lxml element (a leaf's own text, the usual case, without a walk)."""
    return str(element.text or "") if len(element) == 0 else "".join(element.itertext())


@cache
def _words_pattern(words: tuple[str, ...]) -> tuple[bool, re.Pattern[str]]:
    """Whether any of the words holds a space, and one pattern finding any of them."""
    return any(" " in w for w in words), re.compile("|".join(re.escape(w) for w in words))


def _value(raw: object) -> str:
    """An attribute's value as soupsieve compares it (bs4's lists of words joined), in ASCII lower case."""
    joined = raw if isinstance(raw, str) else " ".join(str(v) for v in raw) if isinstance(raw, list) else ""
    return joined.translate(_ASCII)


def _compare(op: str, have: str, want: str) -> bool:
    if op == "=":
        return have == want
    if op == "~=":
        return want in have.split()
    if op == "|=":
        return have == want or have.startswith(want + "-")
    if op == "^=":
        return have.startswith(want)
    if op == "$=":
        return have.endswith(want)
    return want in have  # *=


def _nth(args: str) -> tuple[int, int] | None:
    """The a and b of `:nth-child(an+b)` (odd, even, 3, -n+3…), or None."""
    word = args.strip().lower()
    if word in ("odd", "even"):
        return 2, 1 if word == "odd" else 0
    if step := _NTH_STEP.fullmatch(args):
        a = int(step[1] + "1") if step[1] in ("", "+", "-") else int(step[1])
        return a, int(step[2] + step[3]) if step[3] else 0
    return (0, int(index[1])) if (index := _NTH_INDEX.fullmatch(args)) else None


def _words(args: str) -> tuple[str, ...]:
    """The words of `:-soup-contains("a", 'b')`, spaces folded as the element's text is."""
    return tuple(" ".join(_unquote(w).split()) for w in top_level(args, ","))


def _pseudo_ok(name: str, args: str | None, first: bool) -> bool:
    """Whether a pseudo-class looks no further than the element (and, below the first compound, its siblings)."""
    if name in _TEXT:
        return args is not None
    if name in _OWN or (not first and name in _PLACE):
        return args is None
    if not first and name in _NTH:
        return args is not None and _nth(args) is not None
    if name in _LOGICAL and args is not None:
        chains = [chain(a) for a in top_level(args, ",")]
        return all(len(c) == 1 and not c[0][0] and compound(c[0][1], first) is not None for c in chains)
    if name == "has" and args is not None:
        return all(a.strip()[:1] not in ("+", "~", "") for a in top_level(args, ","))  # descendants, not siblings
    return False


def _unquote(token: str) -> str:
    token = token.strip()
    return token[1:-1] if len(token) > 1 and token[0] == token[-1] and token[0] in "'\"" else token


@cache
def compound(text: str, first: bool) -> Fit | None:
    """What one compound asks of the element itself; None when it looks around the element (or, on the `first`
    compound of a selector, at its siblings)."""
    tag: str | None = None
    ids: list[str] = []
    classes: list[str] = []
    attrs: list[tuple[str, str, str]] = []
    texts: list[tuple[str, ...]] = []
    places: list[Place] = []
    sure: list[tuple[str, str, str]] | None = []
    said: list[tuple[tuple[str, ...], bool]] = []
    within: list[tuple[tuple[bool, Fit], ...]] = []
    refuse: list[Fit] = []
    at = 0
    while at < len(text):
        match = _SIMPLE.match(text, at)
        if match is None or (match["tag"] and at):
            return None
        at = match.end()
        if match["tag"]:
            tag = None if match["tag"] == "*" else match["tag"].translate(_ASCII)
        elif match["id"]:
            ids.append(match["id"].translate(_ASCII))
            sure = None if sure is None else [*sure, ("id", "#", match["id"])]
        elif match["cls"]:
            classes.append(match["cls"].translate(_ASCII))
            sure = None if sure is None else [*sure, ("class", ".", match["cls"])]
        elif match["attr"]:
            name, op, written = match["attr"].translate(_ASCII), match["op"] or "", _unquote(match["value"] or "")
            exact = op in _SURE_OPS and (op in ("", "=") or bool(written))  # `[a^='']` matches nothing
            sure = [*sure, (name, op, written)] if exact and sure is not None else None
            if op == "!=":  # soupsieve's "not equal" also matches an element without the attribute
                continue
            # An empty value matches nothing after ^= $= *= ~=: presence is still required, and is enough.
            value = written.translate(_ASCII)
            attrs.append((name, op if value or op in ("=", "|=") else "", value))
        else:
            args = None
            if text[at : at + 1] == "(":
                end = _closing(text, at)
                if end is None:
                    return None
                args, at = text[at + 1 : end - 1], end
            name = match["pseudo"].lower()
            if not _pseudo_ok(name, args, first):
                return None
            if name in _TEXT and args is not None:
                texts.append(_words(args))
                said.append((tuple(_unquote(w) for w in top_level(args, ",")), name.endswith("-own")))
            elif name in _PLACE or name in _NTH:
                a, b = (_nth(args) if args is not None else None) or (0, 1)
                kind, last = "type" in name, "last" in name
                places.extend([(kind, False, a, b), (kind, True, a, b)] if "only" in name else [(kind, last, a, b)])
            elif name == "not" and (negated := _simple(args)):
                refuse.extend(negated)
            elif name == "has" and (held := _held(args)):
                within.append(held)
            else:
                sure = None  # `:empty`, `:is(…)`, a `:not` or `:has` of more than simple compounds: soupsieve tells
    # soupsieve reads the text once for all `:-soup-contains` of a compound, as the first one asks: two, it tells.
    told = None if sure is None or len(said) > 1 else tuple(sure)
    return Fit(
        tag, tuple(ids), tuple(classes), tuple(attrs), tuple(texts), tuple(places),
        told, tuple(said), tuple(within), tuple(refuse),
    )  # fmt: skip


def _simple(args: str | None) -> tuple[Fit, ...]:
    """The compounds of `:not(a, .b)` when `sure` can tell each, else nothing."""
    fits = []
    for parts in (chain(a) for a in top_level(args or "", ",")):
        fit = compound(parts[0][1], False) if len(parts) == 1 and not parts[0][0] else None
        if fit is None or fit.sure is None:
            return ()
        fits.append(fit)
    return tuple(fits)


def _held(args: str | None) -> tuple[tuple[bool, Fit], ...]:
    """The compounds of `:has(h3, > p)`, each with whether it must be a child, when `sure` can tell each."""
    held = []
    for parts in (chain(a) for a in top_level(args or "", ",")):
        fit = compound(parts[0][1], False) if len(parts) == 1 and parts[0][0] in ("", ">") else None
        if fit is None or fit.sure is None:
            return ()
        held.append((parts[0][0] == ">", fit))
    return tuple(held)


@cache
def needs(selector: str) -> tuple[Fit, ...] | None:
    """What an element must fit to hold or be a match of `selector`, one per alternative; None when not told."""
    if "\\" in selector:
        return None  # escapes are rare: rather than read them, build the whole page
    fits: list[Fit] = []
    for alternative in top_level(selector, ","):
        parts = chain(alternative)
        if not parts or parts[0][0] or (len(parts) > 1 and parts[1][0] not in (" ", ">")):
            return None  # `a + b`: b is outside what holds a
        first = compound(parts[0][1], first=True)
        if first is None or any(compound(c, first=False) is None for _, c in parts[1:]):
            return None
        fits.append(first)
    return tuple(fits)


@cache
def inner(selector: str) -> tuple[Fit, ...] | None:
    """What must be built for `selector` asked inside a built element (a row): nothing when each alternative is one
    compound, which looks no further than the element and its siblings, all built with the row; else `needs`."""
    if "\\" not in selector:
        chains = [chain(a) for a in top_level(selector, ",")]
        if all(len(c) == 1 and not c[0][0] and compound(c[0][1], first=False) is not None for c in chains):
            return ()
    return needs(selector)


Chain = tuple[tuple[str, Fit | None], ...]  # an alternative's compounds, each after its combinator ("" first)


@cache
def alternatives(selector: str) -> tuple[Chain, ...] | None:
    """The alternatives of a selector, each compound told as a `Fit` (None where it cannot be); None when the last
    compound of one cannot be told."""
    found = []
    for alternative in top_level(selector, ","):
        parts = chain(alternative) if "\\" not in alternative else []
        fits = tuple((before, compound(text, first=False)) for before, text in parts)
        if not fits or fits[-1][1] is None:
            return None
        found.append(fits)
    return tuple(found)


@cache
def subjects(selector: str) -> dict[str, tuple[Chain, ...]] | None:
    """`alternatives` by the tag they end in; None when one ends in no tag."""
    chains = alternatives(selector)
    found: dict[str, tuple[Chain, ...]] = {}
    for fits in chains or ():
        last = fits[-1][1]
        if last is None or last.tag is None:
            return None
        found[last.tag] = (*found.get(last.tag, ()), fits)
    return found if chains is not None else None
