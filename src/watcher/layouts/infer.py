"""A layout proposed for pages no layout reads: inferred from the ranking's last whole list, then checked.

`propose(pages, known, school)` looks for the repeated element whose instances hold the names of the last list,
and infers from them a layout as data: the row, and within it the name, link, rank (or none: ranks from the order),
note and city; the group headings, the edition, the count the page declares, the school's id in its link, the links
between pages. It writes them as a `[[layouts]]` table in the config's own format, validated by `layout_from_table`,
and proposes it only when the real engine and gate, reading the pages with it, find a whole list close to the last
one. Otherwise it refuses (`InferenceRefused`) and says how far it got. Pure: no network, no database.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from watcher.errors import InferenceRefused, ParseRefused
from watcher.layouts import clues
from watcher.layouts.clues import Repeated, field_selector
from watcher.layouts.find import Page
from watcher.layouts.gate import MIN_ROWS, assemble, read_saved
from watcher.layouts.plausible import min_rows
from watcher.layouts.spec import Layout, layout_from_table
from watcher.layouts.text import RANK, decode, french_number, text_of
from watcher.model import Row, Snapshot, normalize_name

NAMES_FOUND = 0.9  # the share of the last list's schools a proposed layout must read (editions kept 91 to 96 %)
COUNT_SPREAD = 0.1  # how far the count read may stray from the last list's (counts ran from 164 to 174)
SEPARATOR = " - "  # the classements write the city after the name: "IMT Mines Alès - Alès"
GROUP = r"""\bgroupe\s+([A-E]\+?)(?![\w'’+])|^\s*([A-E]\+?)\s*$"""  # as the palmarès wrote its group headings
_NOTE = re.compile(r"\d{1,4}(?:[.,]\d+)?\s*(?:/\s*\d{1,4}(?:[.,]\d+)?)?\s*(?:pts?|points?)?", re.IGNORECASE)
_KEYS = (
    *("name", "description", "match", "row", "school", "link", "rank", "total", "city", "city_after", "group"),
    *("next", "pagination", "page_param", "edition", "edition_words", "declared", "school_id"),
)


@dataclass(frozen=True, slots=True)
class ListCopy:
    """One page of a list as `watcher parse` receives it: its bytes, its address, the charset the server gave."""

    content: bytes
    url: str
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What the proposed layout reads: how many schools, the first five rows, the watched school's row."""

    count: int
    first: tuple[Row, ...]
    school: Row | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A layout inferred from pages and checked on them: the table to paste into the config, and what it reads."""

    name: str
    toml: str  # a `[[layouts]]` table in the config's format
    layout: Layout  # what that table validates to
    preview: Preview
    snapshot: Snapshot  # the whole list the layout reads from the pages, through the gate
    found: int  # how many schools of the last list it reads
    known: int  # how many the last list had
    notes: tuple[str, ...] = ()  # what the layout leaves out, for the operator to know


def _index(known: Snapshot) -> dict[str, int]:
    """Each known school's folded name (and name without its city) → its position; a name two schools share is out."""
    index: dict[str, int] = {}
    shared: set[str] = set()
    for position, row in enumerate(known.rows):
        for key in {normalize_name(row.name), normalize_name(row.bare_name)} - {""}:
            if index.setdefault(key, position) != position:
                shared.add(key)
    return {k: v for k, v in index.items() if k not in shared}


def _own_link(row: Tag, hit: Tag) -> Tag | None:
    """The link the name is, or is in, or holds."""
    for element in (hit, *hit.parents):
        if element is row:
            break
        if element.name == "a" and element.get("href"):
            return element
    found = hit.find("a", href=True)
    return found if isinstance(found, Tag) else None


def _path(href: object) -> str:
    return urlsplit(str(href or "")).path


def _link(best: Repeated, known: Snapshot) -> str | None:
    """The link to the school's page: the one the last list read for that school, else the name's own."""
    same: list[tuple[Tag, Tag]] = []
    own: list[tuple[Tag, Tag]] = []
    for row, hit, position in zip(best.rows, best.hits, best.positions, strict=True):
        was = _path(known.rows[position].link)
        match = next((a for a in row.select("a[href]") if was and _path(a.get("href")) == was), None)
        if match is not None:
            same.append((row, match))
        if (link := _own_link(row, hit)) is not None:
            own.append((row, link))
    pairs = same if 2 * len(same) >= len(best.rows) else own
    folders = [set(_path(a.get("href")).split("/")[1:-1]) for _, a in pairs]
    shared = sorted(set.intersection(*folders)) if folders else []
    return field_selector(pairs, [f"a[href*='/{shared[-1]}/']"] if shared else [])


def _ranks(texts: list[str]) -> float | None:
    """Fit as ranks when they run as a competition ranking does from the top: 1, 2, 2, 4."""
    ranks = [int(m.group(1)) if (m := RANK.match(t)) else 0 for t in texts]
    ok = ranks[:1] == [1] and all(r in (i + 1, ranks[i - 1]) for i, r in enumerate(ranks) if i)
    return 1.0 if ok else None


def _totals(texts: list[str], known: Sequence[Row]) -> float | None:
    """Fit as notes when about the size of the last list's (a rank or a criterion is not); better when they never
    rise down the list and are written as the last ones were ("93,5/110"). Pages out of order are for the gate."""
    values = [french_number(t) for t in texts]
    numbers = [v for v in values if v is not None]
    if not numbers or len(numbers) < len(values):
        return None
    falling = all(b <= a for a, b in itertools.pairwise(numbers))
    last = [r.total for r in known if r.total is not None]
    if not last:
        return 1.0 if falling else None
    ratio = statistics.median(numbers) / statistics.median(last) if statistics.median(last) > 0 else 0.0
    if not 1 / 3 <= ratio <= 3:  # notes out of 20 became notes out of 110 once: about twice, not ten times
        return None
    slashed = 2 * sum("/" in t for t in texts) > len(texts)
    written_alike = slashed == (2 * sum(r.total_max is not None for r in known) > len(known))
    return 1 / (1 + abs(math.log(ratio))) + 0.5 * falling + 0.5 * written_alike


def _city(best: Repeated, known: Snapshot, school: str) -> dict[str, str]:
    """The city: after the name's separator, else an element of its own holding the last list's city."""
    cities = [
        (row, city, hit)
        for row, hit, p in zip(best.rows, best.hits, best.positions, strict=True)
        if (city := known.rows[p].city)
    ]
    if 2 * len(cities) < len(best.rows):
        return {}
    names = [text_of(hit) for _, _, hit in cities]
    if sum(n.endswith(SEPARATOR + str(c)) for n, (_, c, _) in zip(names, cities, strict=True)) >= NAMES_FOUND * len(
        cities
    ):
        return {"city_after": SEPARATOR}
    pairs = []
    for row, city, hit in cities:
        found = next(
            (e for e, t in clues.short_texts(row) if e is not hit and normalize_name(t) == normalize_name(city)), None
        )
        if found is not None and found is not row:
            pairs.append((row, found))
    selector = field_selector(pairs) if len(pairs) >= NAMES_FOUND * len(cities) else None
    return {"city": selector} if selector and selector != school else {}


def _headings(rows: list[Tag], docs: Sequence[Page]) -> str | None:
    """The group headings between the rows ("Groupe A+"), as one more kind of row."""
    schools = {id(r) for r in rows}
    parents = list({id(r.parent): r.parent for r in rows if r.parent is not None}.values())
    heads = [
        child
        for parent in parents
        for child in parent.find_all(recursive=False)
        if id(child) not in schools and re.search(GROUP, text_of(child) + " ", re.IGNORECASE)
    ]
    return clues.row_selector(heads, docs) if heads else None


def _escape(text: str) -> str:
    return re.escape(text).replace("\\-", "-")  # a hyphen outside brackets needs no backslash


def _school_id(best: Repeated, known: Snapshot, link: str | None) -> tuple[str | None, str | None]:
    """A pattern that reads, from the link, the id the last list gave each school; or why there is none."""
    pairs = []
    for row, position in zip(best.rows, best.positions, strict=True):
        slug, anchor = known.rows[position].slug, row.select_one(link) if link else None
        if slug and anchor is not None:
            pairs.append((_path(anchor.get("href")), slug))
    if not pairs:
        return None, None
    folder, _, file = pairs[0][0].rpartition("/")
    stem, dot, ext = file.partition(".")
    tail = _escape(dot + ext) + "$"
    home = _escape(folder.rsplit("/", 1)[-1])
    if stem == pairs[0][1]:
        pattern = f"/{home}/([\\w-]+){tail}"
    elif pairs[0][1].isdigit():
        pattern = f"/{home}/[^/?#]*?-(\\d+){tail}"
    else:
        pattern = ""
    read = [m.group(1) if pattern and (m := re.search(pattern, path)) else None for path, _ in pairs]
    if sum(r == slug for r, (_, slug) in zip(read, pairs, strict=True)) >= NAMES_FOUND * len(pairs):
        return pattern, None
    return None, "the new links do not hold the ids the last list gave the schools: they are matched by name"


def _infer(
    docs: Sequence[Page], urls: Sequence[str], known: Snapshot, best: Repeated
) -> tuple[dict[str, Any], list[str]]:
    """The layout table the pages suggest, and what it could not find."""
    notes: list[str] = []
    pairs = [(row, hit) for row, hit in zip(best.rows, best.hits, strict=True)]
    school = field_selector(pairs)
    if school is None and all(row is hit for row, hit in pairs):
        school = "re:^(.+)$"  # the row's whole text is the name
    if school is None:
        raise InferenceRefused(
            f"the names of the last list are in the elements {best.selector}, but no selector finds the name in "
            "each of them: a name is not in an element of its own",
        )
    rows = [
        r for r in clues.select(docs, best.selector) if school.startswith("re:") or r.select_one(school) is not None
    ]
    marker = best.marker if school.startswith("re:") else f"{best.marker} {school}"
    table: dict[str, Any] = {"match": marker, "row": best.selector, "school": school}
    if link := _link(best, known):
        table["link"] = link
    if rank := clues.column(rows, lambda t: len(t) <= 20 and RANK.match(t) is not None, _ranks):
        table["rank"] = rank
    notes += [] if rank else ["no rank on the pages: ranks are derived from the order of the notes"]
    if total := clues.column(rows, lambda t: _NOTE.fullmatch(t) is not None, lambda texts: _totals(texts, known.rows)):
        table["total"] = total
    notes += [] if total else ["no note found in the rows: the order of the list is not checked"]
    table |= _city(best, known, school)
    if any(r.group for r in known.rows) and (heads := _headings(rows, docs)):
        table["row"], table["group"] = f"{best.selector}, {heads}", GROUP
    pages = clues.paging(docs, urls)
    table |= {k: v for k, v in (("next", pages.next), ("pagination", pages.pagination)) if v}
    if pages.param != "page":
        table["page_param"] = pages.param
    table["edition"], words, table["_year"] = clues.edition(docs)
    if words:
        table["edition_words"] = words
    if says := clues.declared(docs[0], len(rows)):
        table["declared"] = says
    pattern, why = _school_id(best, known, link)
    if pattern:
        table["school_id"] = pattern
    notes += [why] if why else []
    if any(r.scores for r in known.rows):
        notes.append("the criteria's points are not read (only the total): no alert about a criterion")
    return table, notes


def _string(value: str) -> str:
    if "\\" in value and value.isprintable():  # a pattern: its backslashes as they are, in a literal string
        if "'" not in value:
            return f"'{value}'"
        if "'''" not in value and not value.endswith("'"):
            return f"'''{value}'''"  # a multi-line literal string: it may hold single quotes
    return json.dumps(value, ensure_ascii=False)  # its escapes are TOML's


def _toml(table: dict[str, Any], comment: str) -> str:
    lines = [f"# {comment}", "[[layouts]]"]
    for key in _KEYS:
        value = table.get(key)
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(_string(v) for v in value)}]")
        elif value:
            lines.append(f"{key} = {_string(str(value))}")
    return "\n".join(lines) + "\n"


def _found(rows: Sequence[Row], index: dict[str, int]) -> int:
    """How many schools of the last list the rows hold."""
    return len(
        {i for row in rows for name in (row.name, row.bare_name) if (i := index.get(normalize_name(name))) is not None}
    )


def _check(
    layout: Layout, pages: Sequence[ListCopy], known: Snapshot, tried: str, first_url: str | None, at: datetime
) -> tuple[Snapshot, int]:
    """The list the layout reads through the real engine and gate, when whole and close to the last one."""
    contents, urls = [p.content for p in pages], [p.url for p in pages]
    try:
        read = read_saved(
            contents,
            urls,
            first_url=first_url,
            layouts=(layout,),
            layout=layout.name,
            encodings=[p.encoding for p in pages],
        )
    except ParseRefused as exc:
        raise InferenceRefused(f"{tried} could not read the pages: {exc.reason}", url=exc.url) from exc
    rows = [row for page in read for row in page.rows]
    found, needed = _found(rows, _index(known)), math.ceil(NAMES_FOUND * known.count)
    if found < needed:
        raise InferenceRefused(
            f"{tried} read {len(rows)} schools, {found} of them from the last list, where a whole list holds at "
            f"least {needed}: the pages hold part of the list only (a teaser, a page missing), or another list"
        )
    if abs(len(rows) - known.count) > COUNT_SPREAD * known.count:
        raise InferenceRefused(
            f"{tried} read {len(rows)} schools where the last list had {known.count}: more than "
            f"{COUNT_SPREAD:.0%} apart, so it reads something else than the list (another list with it, or rows "
            "that are not schools)"
        )
    try:
        snapshot = assemble(read, ranking=known.ranking, fetched_at=at, min_rows=min_rows(known))
    except ParseRefused as exc:
        raise InferenceRefused(
            f"{tried} read {len(rows)} schools but not a whole list: {exc.reason}", url=exc.url
        ) from exc
    return snapshot, found


def propose(
    pages: Sequence[ListCopy],
    known: Snapshot,
    school: str | None = None,
    *,
    taken: Collection[str] = (),
    first_url: str | None = None,
    at: datetime | None = None,
) -> Proposal:
    """A layout for `pages` (one list, in order), inferred from `known` (the ranking's last whole list) and checked
    by reading the pages with it; `school` is the watched school's name for the preview, `taken` the layout names in
    use, `first_url` the first page's address when saved elsewhere, `at` when the pages were fetched. Refused
    (`InferenceRefused`, saying how far it got) when what the layout reads is not whole or not like the last list."""
    if not pages or not known.rows:
        raise InferenceRefused("no page, or no last list to compare the pages with: nothing to infer a layout from")
    docs = [Page(BeautifulSoup(decode(p.content, p.encoding, p.url), "lxml")) for p in pages]
    best = clues.repeated(docs, _index(known))
    if best is None or len(best.names) < MIN_ROWS:
        held = f"the best repeated element, {best.selector}, held {len(best.names)}" if best else "no element held any"
        raise InferenceRefused(
            f"{held} of {known.count} known names (the last list, edition {known.edition}): too few to infer a "
            f"layout from (at least {MIN_ROWS}); these are not pages of the list, or they write names differently"
        )
    table, notes = _infer(docs, [p.url for p in pages], known, best)
    year = table.pop("_year") or known.edition
    number = next(n for n in range(1, len(taken) + 2) if f"inferred-{year}-{n:02d}" not in taken)
    table["name"] = f"inferred-{year}-{number:02d}"
    table["description"] = f"Inferred by watcher from the pages of edition {year}"
    tried = (
        f"the best repeated element, {best.selector}, held {len(best.names)} of {known.count} known names, "
        f"and the layout inferred from it ({table['name']})"
    )
    text = _toml(
        table,
        f"Inferred from {len(pages)} page(s), against the last list (edition {known.edition}, {known.count} schools).",
    )
    layout = layout_from_table(tomllib.loads(text)["layouts"][0])
    snapshot, found = _check(layout, pages, known, tried, first_url, at or known.fetched_at)
    wanted = normalize_name(school) if school else None
    row = next((r for r in snapshot.rows if wanted in (normalize_name(r.name), normalize_name(r.bare_name))), None)
    preview = Preview(snapshot.count, snapshot.rows[:5], row)
    return Proposal(table["name"], text, layout, preview, snapshot, found, known.count, tuple(notes))


def _line(row: Row) -> str:
    total = "" if row.total is None else f"{row.total:g}" + (f"/{row.total_max:g}" if row.total_max else "")
    return f"  {row.rank:>4}{'=' if row.tied else ' '} {row.name:<50.50} {total:>10}"


def render(proposal: Proposal) -> str:
    """The proposal as an operator reads it: what the layout reads, then the table to paste into the config."""
    snap, preview = proposal.snapshot, proposal.preview
    how = "derived from the order of the notes" if snap.ranks_derived else "as the pages show them"
    lines = [
        f"Proposed layout {proposal.name}: {preview.count} schools read from {len(snap.pages)} page(s), edition "
        f"{snap.edition}, {proposal.found} of the {proposal.known} schools of the last list among them; ranks {how}.",
        "",
        "First rows:",
        *(_line(row) for row in preview.first),
    ]
    if preview.school is not None:
        lines += ["Your school:", _line(preview.school)]
    lines += ["", *(f"Note: {note}." for note in proposal.notes), *([""] if proposal.notes else [])]
    lines += [
        f"Paste this table into the config, then check it with `watcher parse FILE… --layout {proposal.name}`:",
        "",
        proposal.toml,
    ]
    return "\n".join(lines)
