"""Which part of a page is built into a tree, and CSS selection over it, walking the tree once.

A page is first parsed by lxml alone (in C). Only the elements a layout's selectors can match, each with all it
holds, are then handed to BeautifulSoup, with the calls bs4's own lxml builder makes and in document order, so
each is the very element the whole page holds: an element that fits the first compound of a selector
(`table.c-pmd-table` in `table.c-pmd-table > tbody > tr`) may hold a match, and is built (`css.needs`).

A layout then asks the tree a dozen questions. The tree is walked once, its elements indexed by tag, and soupsieve
is asked only about the elements of the tag a selector ends in that may match it (`css.Fit`); a simple compound
that an element passes as written needs no asking, nor a second row under a parent already answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, Tag
from bs4.builder import ParserRejectedMarkup
from bs4.builder._lxml import LXMLTreeBuilder
from bs4.element import CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction
from lxml import etree

from watcher.layouts.css import Chain, Fit, Place, alternatives, lxml_text, subjects

_SPECIAL = (Comment, Declaration, CData, ProcessingInstruction, Doctype)  # strings soupsieve reads no words in
Wanted = tuple[tuple[Fit, ...], tuple[Fit, ...]]  # one layout: its marker's fits, and the fits of all it reads


def _kept(wanted: Sequence[Wanted], root: Any) -> list[Any]:
    """The outermost lxml elements to build, in document order, for the layouts whose marker the page may hold."""

    def present(fit: Fit) -> bool:
        return any(type(e.tag) is str and fit.fits(e) for e in (root.iter(fit.tag) if fit.tag else root.iter()))

    by_tag: dict[str | None, list[tuple[frozenset[str], Fit]]] = {}
    for fit in dict.fromkeys(f for markers, fits in wanted if any(present(m) for m in markers) for f in fits):
        by_tag.setdefault(fit.tag, []).append((fit.needed, fit))
    anywhere = by_tag.pop(None, [])
    for fits in by_tag.values():
        fits.extend(anywhere)
    # lxml's own iteration picks the candidates (libxml2 gives tag names in lower case, as the fits have them), and
    # a fit is tried only on an element that has the attributes it needs.
    tags = () if anywhere else tuple(by_tag)
    chosen, inside = [], set()
    for element in root.iter(*tags) if by_tag or anywhere else ():
        if type(element.tag) is str and element not in inside:  # what a kept element holds is built with it
            have, get, text = set(element.keys()), element.get, partial(lxml_text, element)
            if any(f.holds(get, text) for needed, f in by_tag.get(element.tag, anywhere) if needed <= have):
                chosen.append(element)
                inside.update(element.iter(*tags))
    return chosen


class _PartBuilder(LXMLTreeBuilder):
    """bs4's lxml builder, fed only the kept elements; `made` lists the elements it made, in document order."""

    def __init__(self, wanted: Sequence[Wanted]) -> None:
        super().__init__()
        self._wanted = wanted
        self.made: list[Tag] = []

    def feed(self, markup: str | bytes) -> None:
        assert self.soup is not None
        # The parser bs4 makes, without bs4 as its target: the tree stays in C until it is known what to keep.
        parser = etree.HTMLParser(recover=True, huge_tree=self.huge_tree, encoding=self.soup.original_encoding)
        try:
            parser.feed(markup)
            root = parser.close()
        except (UnicodeDecodeError, LookupError, etree.ParserError) as exc:
            raise ParserRejectedMarkup(exc) from exc
        except etree.XMLSyntaxError:
            return  # nothing to build (an empty document): the whole page will say what is wrong
        for element in _kept(self._wanted, root):
            self._replay(element)

    def _replay(self, top: Any) -> None:
        """What `start`, `data` and `end` would tell the soup, told directly: libxml2's HTML parser names nothing in
        a namespace, so their namespace bookkeeping has nothing to do (a fifth of the time of a build)."""
        soup = self.soup
        assert soup is not None
        opened, closed, data = soup.handle_starttag, soup.handle_endtag, soup.handle_data  # each ends the data first
        namespaces, attributes, made = self.active_namespace_prefixes[-1], self.attribute_dict_class, self.made
        for event, node in etree.iterwalk(top, events=("start", "end", "comment", "pi")):
            if event == "start":
                if (tag := opened(node.tag, None, None, attributes(node.items()), namespaces=namespaces)) is not None:
                    made.append(tag)  # (None only for what a SoupStrainer leaves out: there is none)
                if node.text:
                    data(node.text)
                continue
            if event == "end":
                closed(node.tag, None)
            elif event == "comment":
                self.comment(node.text or "")
            else:
                self.pi(node.target, node.text or "")
            if node is not top and node.tail:
                data(node.tail)


def built(text: str, wanted: Sequence[Wanted]) -> Page:
    """The page holding only the elements of `text` the layouts may read, each whole, in document order."""
    builder = _PartBuilder(wanted)
    return Page(BeautifulSoup(text, builder=builder), partial=True, elements=builder.made)


def _placed(tag: Tag, places: tuple[Place, ...]) -> bool:
    """Whether an element stands where `:nth-child` and its kin ask (counting elements only, as soupsieve does)."""
    for of_type, last, a, b in places:
        siblings = tag.next_siblings if last else tag.previous_siblings
        at = 1 + sum(1 for s in siblings if isinstance(s, Tag) and (not of_type or s.name == tag.name))
        if not (at == b if a == 0 else (at - b) % a == 0 and (at - b) // a >= 0):
            return False
    return True


def _tag_text(tag: Tag) -> str:
    """All the strings inside an element, comments included (more than soupsieve reads, never less)."""
    string = tag.string
    return str(string) if string is not None else "".join(d for d in tag.descendants if isinstance(d, NavigableString))


def _may(tag: Tag, fit: Fit) -> bool:
    """Whether the element may match the compound (never false when soupsieve would say it does)."""
    return (
        (fit.tag is None or tag.name == fit.tag)
        and fit.holds(tag.get, partial(_tag_text, tag))
        and _placed(tag, fit.places)
    )


def _bare(fit: Fit | None) -> bool:
    """Whether a compound is a tag name alone."""
    return fit is not None and fit == Fit(fit.tag, sure=())


def _surely(tag: Tag, fit: Fit | None) -> bool:
    """Whether the element passes a compound `sure` can tell, so that soupsieve would say it matches it."""
    if fit is None or fit.sure is None or (fit.tag is not None and tag.name != fit.tag) or not _placed(tag, fit.places):
        return False
    for name, op, value in fit.sure:
        have = tag.get(name)
        if have is None:
            return False
        if op == ".":
            if value not in (have.split() if isinstance(have, str) else have):
                return False
            continue
        text = have if isinstance(have, str) else " ".join(have)
        if not (
            (op in ("#", "=") and text == value)
            or (op == "^=" and text.startswith(value))
            or (op == "$=" and text.endswith(value))
            or (op == "*=" and value in text)
            or not op
        ):
            return False
    for words, own in fit.said:
        strings = _content(tag, own)
        # soupsieve looks for a word in the whole text, or in one of the element's own strings.
        if strings is None or not any(word in s for word in words for s in (strings if own else ["".join(strings)])):
            return False
    for held in fit.within:
        if not any(
            _surely(d, f) for child, f in held for d in (tag.children if child else tag.descendants) if type(d) is Tag
        ):
            return False
    return not any(_may(tag, other) for other in fit.refuse)


def _content(tag: Tag, own: bool) -> list[str] | None:
    """The strings soupsieve looks for words in; None when they hold an iframe (whose inside soupsieve may skip)."""
    strings = []
    for node in tag.children if own else tag.descendants:
        if type(node) is Tag:
            if node.name == "iframe":
                return None
        elif isinstance(node, NavigableString) and not isinstance(node, _SPECIAL):
            strings.append(str(node))
    return strings


def _surely_all(tag: Tag, alternative: Chain) -> bool:
    """`_surely` for a whole alternative of compounds joined by " " or ">" (the document itself is no element)."""
    *above, (before, fit) = alternative
    if not _surely(tag, fit):
        return False
    if not above:
        return True
    parent = tag.parent
    if before == ">":
        return type(parent) is Tag and _surely_all(parent, tuple(above))
    while before == " " and type(parent) is Tag:
        if _surely_all(parent, tuple(above)):
            return True
        parent = parent.parent
    return False


class Page:
    """One parsed page and its elements by tag, for repeated selection; `partial` when only a part was built."""

    def __init__(self, soup: BeautifulSoup, *, partial: bool = False, elements: Sequence[Tag] | None = None) -> None:
        self.soup, self.partial = soup, partial
        self._elements = [e for e in soup.descendants if type(e) is Tag] if elements is None else elements
        self._by_tag: dict[str, list[Tag]] = {}
        for element in self._elements:
            self._by_tag.setdefault(element.name, []).append(element)
        self._order: dict[int, int] = {}  # each element's place, to merge the matches of several tags
        self._found: dict[str, list[Tag]] = {}  # a layout asks some questions twice (its marker, count and anchor)
        self._ids: dict[str, set[int]] = {}

    def select(self, selector: str) -> list[Tag]:
        """Every element matching `selector`, in document order (as `soup.select`)."""
        if selector not in self._found:
            self._found[selector] = self._select(selector)
        return list(self._found[selector])

    def _select(self, selector: str) -> list[Tag]:
        by_tag = subjects(selector)
        if by_tag is None:
            return list(self.soup.select(selector))
        compiled = soupsieve.compile(selector)
        found: list[Tag] = []
        for tag, chains in by_tag.items():
            found.extend(self._matching(self._by_tag.get(tag, []), chains, compiled))
        if len(by_tag) > 1:
            self._order = self._order or {id(e): place for place, e in enumerate(self._elements)}
            found.sort(key=lambda e: self._order[id(e)])
        return found

    @staticmethod
    def _matching(elements: list[Tag], alternatives: tuple[Chain, ...], compiled: Any) -> list[Tag]:
        sure = [
            a for a in alternatives if all(before in ("", " ", ">") and f and f.sure is not None for before, f in a)
        ]
        # A bare last compound after a space or ">" (`tbody > tr`): whether an element matches depends on its
        # parent alone, so soupsieve is asked once per parent.
        by_parent = all(len(a) > 1 and a[-1][0] in (" ", ">") and _bare(a[-1][1]) for a in alternatives)
        answered: dict[int, bool] = {}
        found: set[int] = set()
        asked = []  # what only soupsieve can tell, asked all at once
        for element in elements:
            maybe = [(a, f) for a in alternatives if (f := a[-1][1]) is not None and _may(element, f)]
            if not maybe:
                continue
            if any(a in sure and _surely_all(element, a) for a, _ in maybe):
                found.add(id(element))
            elif all(any(_surely(element, no) for no in f.refuse) for _, f in maybe):
                continue  # it surely is what a `:not` refuses
            elif by_parent:
                if (key := id(element.parent)) not in answered:
                    answered[key] = compiled.match(element)
                if answered[key]:
                    found.add(id(element))
            else:
                asked.append(element)
        if asked:
            found.update(id(e) for e in compiled.filter(asked))
        return [e for e in elements if id(e) in found]

    def select_one(self, selector: str) -> Tag | None:
        """The first element matching `selector`, or None."""
        if subjects(selector) is None:
            return self.soup.select_one(selector)
        found = self.select(selector)
        return found[0] if found else None

    def closest(self, element: Tag, selector: str) -> Tag | None:
        """The element or its nearest ancestor matching `selector` (as `soupsieve.closest`)."""
        chains = alternatives(selector)
        if chains is None:
            return soupsieve.closest(selector, element)
        sure = [a for a in chains if all(before in ("", " ", ">") and f and f.sure is not None for before, f in a)]
        node: Any = element
        while type(node) is Tag:
            maybe = [a for a in chains if (f := a[-1][1]) is not None and _may(node, f)]
            if maybe and (any(a in sure and _surely_all(node, a) for a in maybe) or soupsieve.match(selector, node)):
                return node
            node = node.parent
        return None

    def inside(self, within: Tag, selector: str) -> list[Tag]:
        """The elements inside `within` matching `selector` (as `within.select`), the page asked once for all rows."""
        if ":scope" in selector.lower():  # relative to `within` itself
            return list(within.select(selector))
        found = self._matched(selector)
        return [e for e in within.descendants if id(e) in found and isinstance(e, Tag)]

    def first(self, within: Tag, selector: str) -> Tag | None:
        """The first element inside `within` matching `selector` (as `within.select_one`)."""
        if ":scope" in selector.lower():
            return within.select_one(selector)
        found = self._matched(selector)
        return next((e for e in within.descendants if id(e) in found and isinstance(e, Tag)), None)

    def _matched(self, selector: str) -> set[int]:
        if selector not in self._ids:
            self._ids[selector] = {id(e) for e in self.select(selector)}
        return self._ids[selector]
