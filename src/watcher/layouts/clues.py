"""What layout inference reads off pages: the repeated element that holds the known names, and selectors.

A selector is built from what all its examples share (tag, classes, attributes), then stripped of every part it
can lose while still picking the same elements; a parent is added only when the element alone is not enough, and
a position (`td:nth-of-type(2)`) only when nothing else holds. Pure: no network, no database.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

import soupsieve
from bs4 import Tag
from bs4.element import CData, NavigableString

from watcher.layouts.find import Page
from watcher.layouts.gate import DECLARED_TOLERANCE
from watcher.layouts.spec import DEFAULT_DECLARED
from watcher.layouts.text import text_of
from watcher.model import normalize_name

SHORT = 300  # a longer text is no name, rank, note or count sentence: the walk stops keeping it
_HIDDEN = frozenset({"script", "style", "template", "noscript", "head", "svg"})
_UNSTABLE = frozenset({"class", "id", "style", "href", "src", "srcset", "alt", "width", "height", "target"})
_ATTR_NAME = re.compile(r"[a-zA-Z_][\w-]*")
_TOP = frozenset({"body", "html", "[document]"})
_YEAR = re.compile(r"\b(20\d\d)\b")

Compound = tuple[str, tuple[str, ...]]  # a tag and its parts (".class", "[attr='value']", "[attr]")


def short_texts(root: Tag) -> list[tuple[Tag, str]]:
    """Every element under `root` whose visible text is short, innermost first, in one walk of the tree."""
    found: list[tuple[Tag, str]] = []

    def walk(tag: Tag) -> str | None:
        parts: list[str] = []
        long = False
        for child in tag.children:
            if isinstance(child, Tag):
                if child.name not in _HIDDEN:
                    text = walk(child)
                    long = long or text is None
                    parts.append(text or "")
            elif isinstance(child, NavigableString) and type(child) in (NavigableString, CData) and child.strip():
                parts.append(child.strip())  # text, not a comment, a script or a doctype
        joined = " ".join(" ".join(parts).split())
        if long or len(joined) > SHORT:
            return None
        found.append((tag, joined))
        return joined

    walk(root)
    return found


def lookup(text: str, index: dict[str, int]) -> int | None:
    """The known school a text names: the whole text, or the text before its city (" - Alès")."""
    for variant in (text, text.rsplit(" - ", 1)[0]):
        found = index.get(normalize_name(variant))
        if found is not None:
            return found
    return None


def _values(element: Tag, name: str) -> list[str]:
    value = element.get(name)
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


def _parts(elements: Sequence[Tag]) -> list[str]:
    """The classes, then the attributes, every element has in common (attributes first to go when minimised)."""
    first = elements[0]
    classes = [c for c in _values(first, "class") if all(c in _values(e, "class") for e in elements[1:])]
    parts = ["." + soupsieve.escape(c) for c in dict.fromkeys(classes)]
    for name in first.attrs:
        if name in _UNSTABLE or not _ATTR_NAME.fullmatch(name) or any(name not in e.attrs for e in elements):
            continue
        if name == "rel":
            parts += [f"[rel~={w}]" for w in _values(first, "rel") if all(w in _values(e, "rel") for e in elements)]
            continue
        values = {" ".join(_values(e, name)) for e in elements}
        value = values.pop() if len(values) == 1 else None
        safe = value and len(value) <= 60 and not re.search(r"['\\\n\r]", value)
        parts.append(f"[{name}='{value}']" if safe else f"[{name}]")
    return parts


def compound(elements: Sequence[Tag]) -> Compound:
    """The elements' tag and shared parts (they all have the same tag)."""
    return elements[0].name, tuple(_parts(elements))


def _join(chain: Sequence[Compound]) -> str:
    return " > ".join(tag + "".join(parts) for tag, parts in chain)


def minimal(chain: Sequence[Compound], holds: Callable[[str], bool], *, classes_first: bool = False) -> str | None:
    """The chain as a selector without each part it can do without; None when even the whole chain fails."""
    kept = [list(parts) for _, parts in chain]
    tags = [tag for tag, _ in chain]

    def text(parts: list[list[str]]) -> str:
        return _join([(t, tuple(p)) for t, p in zip(tags, parts, strict=True)])

    if not holds(text(kept)):
        return None
    order = [(i, k, p) for i, parts in enumerate(kept) for k, p in enumerate(parts)]
    # A parent's parts go first, the element's own last; attributes before classes unless told otherwise, and the
    # first class the last (a page's own class, "c-pmd-table__row", tends to come before its styling).
    order.sort(key=lambda ikp: (ikp[0], ikp[2].startswith("[") == classes_first, -ikp[1]))
    for i, _, part in order:
        trial = [[p for p in parts if not (j == i and p == part)] for j, parts in enumerate(kept)]
        # The element keeps one class or attribute when it has any: a bare `a` or `td` holds on these pages only.
        if (trial[-1] or not kept[-1] or i < len(kept) - 1) and holds(text(trial)):
            kept = trial
    return text(kept)


def select(docs: Sequence[Page], selector: str) -> list[Tag]:
    """Every element the selector matches on the pages, page after page."""
    return [element for doc in docs for element in doc.select(selector)]


def _same(docs: Sequence[Page], target: set[int]) -> Callable[[str], bool]:
    return lambda selector: {id(e) for e in select(docs, selector)} == target


def row_selector(rows: Sequence[Tag], docs: Sequence[Page]) -> str:
    """The selector of the rows: their shared parts, with their parents' when others elsewhere look the same."""
    wanted = {id(row) for row in rows}
    parents = {id(row.parent) for row in rows}
    chain: list[Compound] = [compound(rows)]
    level: Sequence[Tag] = rows
    best: tuple[int, str] = (len(rows) + 1, _join(chain))
    for _ in range(3):
        target = {id(e) for e in select(docs, _join(chain))}
        if wanted <= target:
            chosen = minimal(chain, _same(docs, target)) or _join(chain)
            # Elements elsewhere that look like rows (a sidebar's list): a parent must tell them apart.
            elsewhere = sum(1 for e in select(docs, chosen) if id(e.parent) not in parents)
            best = min(best, (elsewhere, chosen), key=lambda b: b[0])
            if not elsewhere:
                break
        ups = [e.parent for e in level]
        if any(up is None or up.name in _TOP for up in ups):
            break
        level = [up for up in ups if up is not None]
        chain.insert(0, compound(level))
    return best[1]


def path(row: Tag, element: Tag) -> tuple[tuple[str, int], ...]:
    """The element's place in its row: each step's tag and its rank among siblings of that tag."""
    steps: list[tuple[str, int]] = []
    node = element
    while node is not row and node.parent is not None:
        steps.append((node.name, 1 + len(node.find_previous_siblings(node.name))))
        node = node.parent
    return tuple(reversed(steps))


def field_selector(pairs: Sequence[tuple[Tag, Tag]], extra: Sequence[str] = ()) -> str | None:
    """A selector that finds, within each row, the element paired with it: classes, then a parent, then a path."""
    if not pairs:
        return None

    def holds(selector: str) -> bool:
        return all(row.select_one(selector) is target for row, target in pairs)

    targets = [t for _, t in pairs]
    chains: list[list[Compound]] = [[compound(targets)]]
    ups = [t.parent for t in targets]
    if all(up is not None and up is not row for up, (row, _) in zip(ups, pairs, strict=True)):
        chains.append([compound([up for up in ups if up is not None]), compound(targets)])
    for chain in chains:
        found = minimal(chain, holds)
        if found:
            return found
    steps = {path(row, target) for row, target in pairs}
    if len(steps) == 1 and (only := steps.pop()):
        positional = " > ".join(f"{tag}:nth-of-type({n})" for tag, n in only)
        extra = (*extra, positional, ":scope > " + positional)
    return next((s for s in extra if holds(s)), None)


@dataclass(frozen=True, slots=True)
class Repeated:
    """A repeated element of the pages: its instances in page order, each with the known name it holds."""

    selector: str
    marker: str  # every part the instances share: only pages of this markup hold it
    rows: tuple[Tag, ...]
    hits: tuple[Tag, ...]  # in each row, the innermost element whose text is the name
    positions: tuple[int, ...]  # in each row, the known school's position in the last list

    @property
    def names(self) -> frozenset[int]:
        """The known schools the instances hold."""
        return frozenset(self.positions)


def _in_order(seq: Sequence[int]) -> int:
    """How many of the names follow the last list's order (the longest increasing run, not necessarily adjacent)."""
    tails: list[int] = []
    for value in seq:
        at = bisect_left(tails, value)
        tails[at : at + 1] = [value]
    return len(tails)


def repeated(docs: Sequence[Page], index: dict[str, int]) -> Repeated | None:
    """The repeated element whose instances hold the most known names (in the last list's order, on a tie)."""
    groups: dict[tuple[str, str], dict[int, tuple[Tag, Tag, int, int]]] = {}
    for number, doc in enumerate(docs):
        hits = [(tag, i) for tag, text in short_texts(doc.soup) if (i := lookup(text, index)) is not None]
        held: dict[int, set[int]] = {}
        for tag, i in hits:
            for holder in (tag, *tag.parents):
                held.setdefault(id(holder), set()).add(i)
        for tag, i in hits:
            row = tag
            while (up := row.parent) is not None and up.name not in _TOP and len(held[id(up)]) == 1:
                row = up
            parent = row.parent
            key = (row.name, ".".join([parent.name, *sorted(_values(parent, "class"))]) if parent else "")
            groups.setdefault(key, {}).setdefault(id(row), (row, tag, i, number))  # innermost hit first
    best: tuple[tuple[int, int, int], list[tuple[Tag, Tag, int, int]]] | None = None
    for members in groups.values():
        found = list(members.values())
        places = {n: {id(e): k for k, e in enumerate(docs[n].select(found[0][0].name))} for n in {m[3] for m in found}}
        found.sort(key=lambda m: (m[3], places[m[3]].get(id(m[0]), 0)))
        score = (len({m[2] for m in found}), _in_order([m[2] for m in found]), -len(found))
        if best is None or score > best[0]:
            best = (score, found)
    if best is None:
        return None
    rows = tuple(m[0] for m in best[1])
    return Repeated(
        row_selector(rows, docs),
        _join([compound(rows)]),
        rows,
        tuple(m[1] for m in best[1]),
        tuple(m[2] for m in best[1]),
    )


def column(rows: Sequence[Tag], keep: Callable[[str], bool], fits: Callable[[list[str]], float | None]) -> str | None:
    """The selector of the element that every row holds at one place, whose texts `fits` scores best (None: unfit)."""
    places: dict[tuple[object, ...], list[Tag | None]] = {}
    for i, row in enumerate(rows):
        for element, text in short_texts(row):
            if element is row or not keep(text):
                continue
            classes = tuple(_values(element, "class"))
            for key in ((element.name, classes) if classes else None, path(row, element)):
                slot = places.setdefault(key, [None] * len(rows)) if key is not None else None
                if slot is not None and slot[i] is None:
                    slot[i] = element
    scored: list[tuple[float, int, list[Tag]]] = []
    for order, found in enumerate(places.values()):
        elements = [e for e in found if e is not None]
        if len(elements) == len(rows) and (score := fits([" ".join(e.get_text(" ").split()) for e in elements])):
            scored.append((-score, order, elements))
    for _, _, elements in sorted(scored, key=lambda s: s[:2]):
        selector = field_selector(list(zip(rows, elements, strict=True)))
        if selector:
            return selector
    return None


@dataclass(frozen=True, slots=True)
class Paging:
    """How the pages of the list link to each other."""

    pagination: str | None
    next: str | None
    param: str


def _numbered(docs: Sequence[Page], urls: Sequence[str]) -> tuple[str, list[dict[int, int]]]:
    """The page parameter, and on each page its links to numbered pages of the list (element id → number)."""
    links: list[list[tuple[Tag, str, str, int]]] = []
    counts: Counter[tuple[str, str]] = Counter()
    for doc, url in zip(docs, urls, strict=True):
        found = []
        for a in doc.select("a[href]"):
            parts = urlsplit(urljoin(url, str(a.get("href"))))
            for key, value in parse_qsl(parts.query):
                if value.isdecimal() and value.isascii():  # "²" is a digit to isdigit(), not to int()
                    found.append((a, key, parts.path, int(value)))
                    counts[(key, parts.path)] += 1
        links.append(found)
    if not counts:
        return "page", [{} for _ in docs]
    # A school's own link may carry a number too (`?id=2003`): a parameter named for pages wins over more links.
    param, where = max(counts, key=lambda kp: ("page" in kp[0].lower(), counts[kp]))
    return param, [{id(a): n for a, key, p, n in found if (key, p) == (param, where)} for found in links]


def paging(docs: Sequence[Page], urls: Sequence[str]) -> Paging:
    """The selectors of the links to the list's numbered pages and of the link to the next one."""
    param, numbered = _numbered(docs, urls)
    base = f"a[href*='{param}=']"
    if not any(numbered):
        return Paging(base if not select(docs, base) else None, None, param)

    def covers(selector: str) -> bool:
        return all({id(a) for a in doc.select(selector)} == set(n) for doc, n in zip(docs, numbered, strict=True))

    pagination = base
    first = next(a for doc, n in zip(docs, numbered, strict=True) for a in doc.select("a[href]") if id(a) in n)
    for holder in first.parents:
        if holder.name in _TOP:
            break
        found = minimal([compound([holder])], lambda s: covers(f"{s} {base}"), classes_first=True)
        if found:
            pagination = f"{found} {base}"
            break
    return Paging(pagination, _next(docs, urls, param, numbered), param)


def _next(docs: Sequence[Page], urls: Sequence[str], param: str, numbered: list[dict[int, int]]) -> str | None:
    """The selector that picks, on each page, only links to the page after it (and one at least, but on the last)."""
    here = []
    for i, url in enumerate(urls):
        value = dict(parse_qsl(urlsplit(url).query)).get(param, "")
        here.append(
            int(value) if value.isdecimal() and value.isascii() else i + 1
        )  # a saved file: the pages are given in order
    following = [
        [a for a in doc.select("a[href]") if n.get(id(a)) == h + 1]
        for doc, n, h in zip(docs, numbered, here, strict=True)
    ]
    # The arrow or "Page suivante" before the page's number: the number link is the next page's only here.
    examples = sorted(next((links for links in following if links), []), key=lambda a: a.get_text().strip().isdigit())
    candidates: list[str] = []
    for a in examples:
        parts = _parts([a])
        text = " ".join(a.get_text(" ").split())
        contains = (
            [f"a:-soup-contains('{text}')"] if text and not text.isdigit() and not re.search(r"['\\]", text) else []
        )
        candidates += ["a" + p for p in parts if p.startswith("[")] + ["a" + p for p in parts if p.startswith(".")]
        candidates += contains

    def holds(selector: str) -> bool:
        for doc, n, h, links in zip(docs, numbered, here, following, strict=True):
            chosen = doc.select(selector)
            if any(n.get(id(a)) != h + 1 for a in chosen) or (links and not chosen):
                return False
        return True

    return next((c for c in candidates if holds(c)), None)


def edition(docs: Sequence[Page]) -> tuple[str, list[str], int | None]:
    """Where every page names the same year (a heading, else the title), and the word before it ("Classement")."""
    for tag in ("h1", "title", "h2"):
        found = [next(((e, m) for e in doc.select(tag) if (m := _YEAR.search(text_of(e)))), None) for doc in docs]
        years = {m.group(1) for _, m in filter(None, found)}
        if all(found) and len(years) == 1 and found[0] is not None:
            element, match = found[0]
            before = text_of(element)[: match.start()].split()
            word = before[-1].lower() if before and before[-1].isalpha() and len(before[-1]) > 3 else ""
            return tag, [word] if word else [], int(years.pop())
    return "h1, title", [], None


def declared(doc: Page, count: int) -> str | None:
    """The element whose sentence says how many schools are ranked, when it says about as many as are listed."""
    for element, text in short_texts(doc.soup):
        match = re.search(DEFAULT_DECLARED, text, re.IGNORECASE)
        if match and abs(int(match.group(1)) - count) <= DECLARED_TOLERANCE:
            classes = element.get("class")
            return element.name + (f".{soupsieve.escape(classes[0])}" if isinstance(classes, list) and classes else "")
    return None
