"""Only the part of a page the layouts read is built into a tree, and it reads exactly what the whole page reads."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import soupsieve
from bs4 import BeautifulSoup

from watcher.errors import LayoutError, ParseRefused
from watcher.layouts import assemble, builtin_layouts, engine, layout_from_table, parse_list_page, read_saved
from watcher.layouts.css import needs
from watcher.layouts.find import Page
from watcher.layouts.text import decode

from .conftest import CLASSEMENTS_PATH, FIXTURES, LIST_PATH, classements_files

PALMARES = "https://www.letudiant.fr" + LIST_PATH
CLASSEMENTS = "https://www.letudiant.fr" + CLASSEMENTS_PATH
FETCHED = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)
LIST_PAGES = sorted(
    [*FIXTURES.glob("*.html"), *(FIXTURES / "classements").glob("*.html"), *(FIXTURES / "refused").glob("*.html")]
)


def url_of(path: Path) -> str:
    base = CLASSEMENTS if "classement" in path.name else PALMARES
    number = re.search(r"-page(\d+)\.html$", path.name)
    return f"{base}?page={number.group(1)}" if number else base


def layout(name: str):
    return next(candidate for candidate in builtin_layouts() if candidate.name == name)


def reading(doc: Page, url: str, layouts=None):
    """What a page reads as with no second try: its ListPage, or the refusal's words."""
    try:
        return engine.read_page(doc, layouts or builtin_layouts(), url, None)
    except ParseRefused as exc:
        return f"refused: {exc}"


def kept_elements_are_the_whole_pages(text: str, layouts=None) -> None:
    """Each element of the part is, to the last space, one the whole page holds."""
    part = engine.page_of(text, layouts or builtin_layouts())
    assert part.partial
    whole: dict[str, set[str]] = {}
    for element in BeautifulSoup(text, "lxml").find_all(True):
        whole.setdefault(element.name, set()).add(str(element))
    for top in part.soup.contents:
        assert getattr(top, "name", None) is not None, f"a string outside every element: {str(top)[:80]!r}"
        assert str(top) in whole.get(top.name, set()), str(top)[:200]


# --- The part reads what the whole page reads ------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_PAGES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_each_fixture_reads_the_same_from_its_part_as_from_the_whole_page(path):
    text, url = decode(path.read_bytes(), None, url_of(path)), url_of(path)
    part = engine.page_of(text, builtin_layouts())
    whole = engine.page_of(text, builtin_layouts(), whole=True)
    assert part.partial and not whole.partial
    assert reading(part, url) == reading(whole, url)  # rows, edition, count, links, or the same refusal


def editions() -> list[tuple[object, ...]]:
    """Every edition of the fixtures as a Snapshot, with the fields its equality leaves out."""
    out = []
    for year in (2017, 2019, 2020, 2021):
        files = [FIXTURES / f"palmares-general-{year}.html", *FIXTURES.glob(f"palmares-general-{year}-page2.html")]
        out.append(read_saved([f.read_bytes() for f in files], [f.as_uri() for f in files], first_url=PALMARES))
    for year in (2023, 2024, 2025, 2026):
        files = classements_files(year)
        out.append(read_saved([f.read_bytes() for f in files], [f.as_uri() for f in files], first_url=CLASSEMENTS))
    snapshots = [assemble(pages, ranking="r", fetched_at=FETCHED) for pages in out]
    return [(s, s.content_hash, s.layout, s.declared_count) for s in snapshots]


def test_every_edition_is_the_same_snapshot_read_from_parts_or_from_whole_pages(monkeypatch):
    built: list[bool] = []
    page_of = engine.page_of
    monkeypatch.setattr(engine, "page_of", lambda *a, **k: built.append(k.get("whole", False)) or page_of(*a, **k))
    parts = editions()
    assert built and not any(built)  # every page was read from its part alone, never again whole
    monkeypatch.setattr(engine, "_wanted", lambda layout: None)  # each layout now asks for the whole page
    built.clear()
    assert editions() == parts
    assert built and not any(built)  # (the whole page built at once, not after a refusal)


@pytest.mark.parametrize("path", sorted((FIXTURES / "refused").glob("*.html")), ids=lambda p: p.name)
def test_a_refused_page_is_refused_alike_from_its_part(path, monkeypatch):
    def refusal() -> str:
        with pytest.raises(ParseRefused) as info:
            page = parse_list_page(path.read_bytes(), url_of(path))
            assemble([page], ranking="r", fetched_at=FETCHED)
        return str(info.value)

    from_part = refusal()
    monkeypatch.setattr(engine, "_wanted", lambda layout: None)
    assert refusal() == from_part


def test_only_the_part_is_built():
    text = decode((FIXTURES / "palmares-general-2020.html").read_bytes(), None, PALMARES)
    part, whole = engine.page_of(text, builtin_layouts()), BeautifulSoup(text, "lxml")
    names = {element.name for element in part.soup.find_all(True)}
    assert {"table", "title", "h1", "p"} <= names
    assert not names & {"html", "head", "body", "header", "footer", "li", "script"}  # the site's chrome is skipped
    assert len(part.soup.select("table.c-pmd-table tr")) == len(whole.select("table.c-pmd-table tr"))
    assert len(part.soup.find_all(True)) < 0.6 * len(whole.find_all(True))


@pytest.mark.parametrize(
    "path",
    [FIXTURES / "palmares-general-2021.html", *classements_files(2023)[:1], *classements_files(2026)[:1]],
    ids=lambda p: p.name,
)
def test_each_element_of_the_part_is_the_one_the_whole_page_holds(path):
    text = decode(path.read_bytes(), None, url_of(path))
    kept_elements_are_the_whole_pages(text)
    kept_elements_are_the_whole_pages(re.sub(r">\s*<", ">\n   \t <", text))  # indented, as real pages are
    kept_elements_are_the_whole_pages(re.sub(r"(<(?:td|tr|div|a|p|h3|tbody)\b[^>]*>)", "\\1\n  ", text))


JUNK = (
    "<!-- x -->", "<b>", "</b>", "</td>", "<td>", "</tr>", "<tr>", "<p>", "</div>", "<div>", "&nbsp;", "<table>",
    "</table>", "<tbody>", "</tbody>", "<h3>", "</a>", "<![CDATA[x]]>", "<?php x ?>", '<script>a="</p>"</script>',
    '<a href="?page=7">suivant</a>', "<svg><title>t 2020</title></svg>", "<iframe><p>x</p></iframe>", "\n\t ",
)  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_a_mangled_page_reads_alike_from_its_part(seed):
    rng = random.Random(seed)
    path = rng.choice(
        [FIXTURES / "palmares-general-2021.html", *classements_files(2023)[:1], *classements_files(2026)[:1]]
    )
    text = decode(path.read_bytes(), None, url_of(path))
    for at in sorted(rng.sample(range(len(text)), 8), reverse=True):
        at = text.find("<", at)
        text = text if at < 0 else text[:at] + rng.choice(JUNK) + text[at:]
    kept_elements_are_the_whole_pages(text)
    part, whole = engine.page_of(text, builtin_layouts()), engine.page_of(text, builtin_layouts(), whole=True)
    assert reading(part, url_of(path)) == reading(whole, url_of(path))


# --- A part that holds too little ------------------------------------------------------------------------------


def test_a_part_that_holds_too_little_is_seen_and_the_whole_page_decides():
    narrow = (replace(layout("classements-cards"), part="h3"),)  # the cards' titles, not the cards
    content = classements_files(2026)[0].read_bytes()
    text = decode(content, None, CLASSEMENTS)
    part, whole = engine.page_of(text, narrow), engine.page_of(text, narrow, whole=True)
    assert reading(part, CLASSEMENTS, narrow) != reading(whole, CLASSEMENTS, narrow)  # the comparison above fails
    assert reading(part, CLASSEMENTS, narrow).startswith("refused: an anchor")
    assert parse_list_page(content, CLASSEMENTS, layouts=narrow) == reading(whole, CLASSEMENTS, narrow)


def test_what_a_row_asks_about_above_it_is_built_with_it():
    # `table a…`: the link is found through the table above the row, so the table is built, not only tbody.
    table = layout("classements-table")
    asking = (replace(table, link="table a.tw-cursor-pointer", school="table a.tw-cursor-pointer"),)
    text = decode(classements_files(2023)[0].read_bytes(), None, CLASSEMENTS)
    part = engine.page_of(text, asking)
    assert part.soup.find("table") is not None and part.partial
    read = reading(part, CLASSEMENTS, asking)
    assert read == reading(engine.page_of(text, asking, whole=True), CLASSEMENTS, asking)
    assert read.rows[0].link is not None  # type: ignore[union-attr]


def test_a_layout_whose_selectors_look_around_gets_the_whole_page():
    looking = (replace(layout("classements-table"), next="li:nth-child(2) > a"),)  # which li: known only in place
    text = decode(classements_files(2023)[0].read_bytes(), None, CLASSEMENTS)
    assert not engine.page_of(text, looking).partial
    assert not engine.page_of(text, (replace(layout("classements-cards"), part=None),)).partial  # rows found upward


@pytest.mark.parametrize(
    ("selector", "told"),
    [
        ("table.c-pmd-table > tbody > tr", True),
        ("h1, title", True),
        ("a[href]:-soup-contains('uivant', '›')", True),
        ("tbody > tr[data-toggle-group='x']:not(.tw-hidden)", True),
        ("td:nth-of-type(3)", False),  # on its own, its place among siblings the part may not hold
        ("table td:nth-of-type(3)", True),  # inside a table, which is built whole
        ("h2 + table", False),
        ("a ~ b", False),
        (":root a", False),
        ("div:has(+ p)", False),
        ("a:not(nav a)", False),
        (".md\\:tw-table", False),
    ],
)
def test_what_a_selector_needs_is_told_only_when_the_element_alone_tells_it(selector, told):
    assert (needs(selector) is not None) == told


def test_a_layouts_part_is_checked_as_a_selector():
    table = {"name": "x", "match": "main", "row": "div", "school": "h3", "edition": "h1"}
    assert layout_from_table({**table, "part": "main"}).part == "main"
    with pytest.raises(LayoutError, match="part"):
        layout_from_table({**table, "part": "main >"})


# --- Selection: the shortcuts find what soupsieve finds ---------------------------------------------------------

TRICKY = """<!DOCTYPE html><html><body>
<div class="Card  x" id="Main"><h3>A</h3><p>Voir la <b>fiche</b> complète</p>
<a href="/x?page=2" rel="Next nofollow" title="Page suivante">Suivant ›</a></div>
<div class="card"><h3>B</h3><a class="tw-cursor-pointer" href="?PAGE=3">Voir la fiche complète</a><!-- fiche --></div>
<div class=" card "><span>Voir la</span> <span>fiche complète</span><iframe><p>x</p></iframe></div>
<table class="c-pmd-table"><tbody><tr><td>1</td><td>2</td><td>3</td></tr><tr class="tw-hidden"><td colspan=3>x</td>
</tr></tbody></table><table><tr data-toggle-group="Laureate-Details"><td>z</td></tr>
<tr data-toggle-group="laureate-details" data-toggle-target="t"><td>y</td><td>w</td><td>v</td></tr></table>
<ul><li>a</li><li class="b">b</li><li>c</li><li>d</li></ul><p>  classe   174  écoles </p><p></p><p> </p><p><!--c--></p>
<a href=x aria-label="Page SUIVANTE">n</a><a title="suivant">t</a><a>suivant</a><section><div><div><a href="y">»</a>
</div></div></section></body></html>"""
SELECTORS = (
    "h1, title", "p", "a[href*='page=']", "a[href*='page=' i]", "tbody > tr", "title, h1, a[rel~=next]",
    ":has(h3)", "a:-soup-contains('Voir la fiche complète')", "div:-soup-contains('Voir la fiche complète')",
    "div:-soup-contains-own('Voir')", "a[rel~=next], a[aria-label*='uivant' i], a[href]:-soup-contains('uivant', '›')",
    "table.c-pmd-table > tbody > tr, table.c-pmd-table > tr", "a.tw-cursor-pointer",
    "tr[data-toggle-group='laureate-details']", "tbody > tr[data-toggle-group='laureate-details'][data-toggle-target]",
    "tbody > tr[data-toggle-group]:not(.tw-hidden)", "td:nth-of-type(3)", "td:nth-child(2n+1)", "li:nth-last-child(2)",
    "li:first-child", "li:last-of-type", "li:only-child", "li:not(.b)", "li:not(.B)", ".card", ".Card", "div.Card",
    "#Main", "#main", "div#Main > h3", "div:has(> h3)", "div:has(h3, a)", "section a", "section > div a",
    "div > div > a", "a:is(.x, [rel])", "p:empty", "td[colspan='3']", "[data-toggle-group$='Details']",
    "a[title='Suivant']", "a[title='suivant' i]", "li + li", "p:-soup-contains('classe   174')",
    "p:-soup-contains('classe 174')",
)  # fmt: skip


@pytest.mark.parametrize(
    "source", ["tricky", "quirks", "classements/classement-2023.html", "classements/classement-2026.html"]
)
def test_selection_with_its_shortcuts_finds_what_soupsieve_finds(source):
    html = TRICKY.replace("<!DOCTYPE html>", "") if source == "quirks" else TRICKY
    soup = BeautifulSoup(html if source in ("tricky", "quirks") else (FIXTURES / source).read_bytes(), "lxml")
    page = Page(soup)
    for selector in SELECTORS:
        assert [id(e) for e in page.select(selector)] == [id(e) for e in soup.select(selector)], selector
        assert page.select_one(selector) is soup.select_one(selector), selector
    for selector in (":has(h3)", "div.card", "tr", ":has(> h3)", "section div", "div:-soup-contains('fiche')"):
        for element in soup.find_all(["a", "td", "b", "li", "span", "h3"]):
            assert page.closest(element, selector) is soupsieve.closest(selector, element), selector
    for selector in ("td:nth-of-type(3)", "a", "h3", "a:-soup-contains('fiche')", ".x", "b"):
        for element in soup.find_all(["tr", "div", "p"]):
            assert page.first(element, selector) is element.select_one(selector), selector
            assert [id(e) for e in page.inside(element, selector)] == [id(e) for e in element.select(selector)]


def test_places_among_siblings_are_counted_as_soupsieve_counts_them():
    rng = random.Random(3)
    rows = "".join(
        "<tr>" + "".join(f"<{t}>x</{t}>" for t in rng.choices(["td", "th", "b"], k=rng.randint(1, 9))) + "</tr>"
        for _ in range(30)
    )
    soup = BeautifulSoup(f"<table>{rows}</table>", "lxml")
    page = Page(soup)
    for kind in ("nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type"):
        for step in ("odd", "even", "1", "3", "-1", "0", "n", "2n", "2n+1", "-n+3", "3n-1", "+2n+0", " 2n + 1 ", "-n"):
            selector = f"td:{kind}({step})"
            assert [id(e) for e in page.select(selector)] == [id(e) for e in soup.select(selector)], selector
