"""Layouts as data: the three built-in layouts on their fixtures, their refusals, and operator-defined layouts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher import config as config_module
from watcher.errors import ConfigError, LayoutError, ParseRefused
from watcher.layouts import assemble, builtin_layouts, layout_from_table, merged, parse_list_page, read_saved

from .conftest import CLASSEMENTS_PATH, FIXTURES, classements_files

URL = "https://www.letudiant.fr" + CLASSEMENTS_PATH
FETCHED = datetime(2026, 1, 20, 6, 0, tzinfo=UTC)


def read_edition(year: int, *, drop: int | None = None, layouts=None):
    files = [f for i, f in enumerate(classements_files(year), start=1) if i != drop]
    uris = [f.resolve().as_uri() for f in files]
    pages = read_saved([f.read_bytes() for f in files], uris, first_url=URL, layouts=layouts)
    return assemble(pages, ranking="Classement", fetched_at=FETCHED)


@pytest.fixture(scope="module")
def editions():
    return {year: read_edition(year) for year in (2023, 2024, 2025, 2026)}


def imt(snapshot):
    (row,) = [r for r in snapshot.rows if r.bare_name == "IMT Mines Alès"]
    return row


def test_three_layouts_ship_newest_first():
    assert [layout.name for layout in builtin_layouts()] == ["classements-cards", "classements-table", "palmares-table"]


@pytest.mark.parametrize(
    ("year", "layout", "count", "rank", "tied", "out_of"),
    [
        (2023, "classements-table", 169, 16, True, 110.0),  # real: 16th ex aequo, 169 schools
        (2024, "classements-table", 170, 19, False, 110.0),
        (2025, "classements-cards", 170, 21, False, 119.0),
        (2026, "classements-cards", 174, 15, False, 119.0),
    ],
)
def test_each_edition_of_today_is_read_whole_over_nine_pages(editions, year, layout, count, rank, tied, out_of):
    snapshot = editions[year]
    assert (snapshot.layout, snapshot.count, snapshot.edition, len(snapshot.pages)) == (layout, count, year, 9)
    assert snapshot.ranks_derived  # no rank on the page: counted from the order
    row = imt(snapshot)
    assert (row.rank, row.tied, row.total_max, row.city) == (rank, tied, out_of, "Alès")
    assert row.name == "IMT Mines Alès - Alès"
    assert row.link is not None and row.link.endswith(f"etablissement-imt-mines-ales-{row.slug}.html")  # no fragment
    assert row.slug is not None and row.slug.isdigit()


def test_the_real_top_of_2025_and_its_notes_out_of_119(editions):
    top = [(r.bare_name, r.city, r.total, r.total_max) for r in editions[2025].rows[:6]]
    assert top == [
        ("École Polytechnique", "Palaiseau", 103.5, 119.0),
        ("ENSTA Paris", "Palaiseau", 102.0, 119.0),
        ("IMT Atlantique", "Brest", 97.5, 119.0),
        ("CentraleSupélec", "Gif-sur-Yvette", 95.5, 119.0),
        ("École des mines", "Nancy", 92.5, 119.0),
        ("Télécom Paris", "Palaiseau", 92.5, 119.0),
    ]
    assert editions[2025].rows[0].slug == "7681"  # École polytechnique's real directory id


def test_derived_ranks_share_a_rank_on_equal_notes(editions):
    # The real 2026 ties at the top: 4, 4, 6, 7, 7, 9, 10, 10.
    assert [r.rank for r in editions[2026].rows[3:11]] == [4, 4, 6, 7, 7, 9, 10, 10]
    assert [r.tied for r in editions[2026].rows[3:6]] == [True, True, False]


def test_hidden_detail_rows_are_not_schools(editions):
    assert not any("Durée" in row.name for row in editions[2023].rows)
    assert len({row.key for row in editions[2023].rows}) == 169


def test_a_list_missing_its_page_7_is_refused_not_shortened():
    # Saved pages are taken as the pages the list expects next: eight files for nine pages leave one unread.
    with pytest.raises(ParseRefused, match=r"pagination shows 9 pages, but .*\?page=\d was not read"):
        read_edition(2026, drop=7)


def test_page_one_alone_is_refused_by_its_pagination():
    first = classements_files(2025)[0]
    page = parse_list_page(first.read_bytes(), URL)
    assert [n for n, _ in page.page_links] == list(range(2, 10))
    with pytest.raises(ParseRefused, match="a page of the list is missing"):
        assemble([page], ranking="Classement", fetched_at=FETCHED)


def test_declared_count_in_the_2023_introduction_is_checked():
    files = classements_files(2023)
    pages = read_saved([f.read_bytes() for f in files], [f.as_uri() for f in files], first_url=URL)
    assert pages[0].declared_count == 169
    shorter = [*pages[:-1], pages[-1].__class__(**{**_fields(pages[-1]), "rows": pages[-1].rows[:-2]})]
    with pytest.raises(ParseRefused, match="the page says 169 schools are ranked but 167 were read"):
        assemble(shorter, ranking="Classement", fetched_at=FETCHED)


def _fields(page):
    return {name: getattr(page, name) for name in page.__dataclass_fields__}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("classements-table-no-school-rows.html", "no school rows (empty table)"),
        ("classements-cards-truncated.html", "the page is truncated"),
    ],
)
def test_refused_variants_of_todays_layouts(name, reason):
    with pytest.raises(ParseRefused, match=re.escape(reason)):
        parse_list_page((FIXTURES / "refused" / name).read_bytes(), URL)


def test_no_layout_fits_and_each_layout_says_what_it_missed():
    with pytest.raises(ParseRefused) as info:
        parse_list_page((FIXTURES / "refused" / "layout-changed.html").read_bytes(), URL)
    message = str(info.value)
    assert "no known layout fits this page" in message
    for layout in builtin_layouts():
        assert f"{layout.name}: nothing matches {layout.match!r}" in message
    assert "[[layouts]]" in message  # and how to repair it


CARD = (
    '<div class="c"><h3>{name} - Paris</h3><span>{note}/119</span>'
    '<a href="/etudes/annuaire-enseignement-superieur/etablissement/etablissement-e-{i}.html">'
    "Voir la fiche complète</a></div>"
)
ROW = (
    '<tr data-toggle-group="laureate-details" data-toggle-target="t{i}"><td></td>'
    '<td><a class="tw-cursor-pointer" href="/etudes/annuaire-enseignement-superieur/etablissement/'
    'etablissement-e-{i}.html">{name} - Paris</a></td><td>{note}/110</td></tr>'
)


def snippet(cards: str = "", table: str = "", title: str = "Classement 2026 des écoles d'ingénieurs") -> bytes:
    body = f"<h1>{title}</h1>{cards}<table><tbody>{table}</tbody></table>"
    return f"<html><head><title>L'Etudiant</title></head><body>{body}</body></html>".encode()


def schools(template: str, names: list[str]) -> str:
    return "".join(template.format(i=i, name=n, note=100 - i) for i, n in enumerate(names, start=1))


def test_cards_and_table_on_one_page_must_agree():
    names = [f"École {i}" for i in range(1, 13)]
    both = parse_list_page(snippet(schools(CARD, names), schools(ROW, names)), URL)
    assert both.layout == "classements-cards" and len(both.rows) == 12
    with pytest.raises(ParseRefused) as info:
        parse_list_page(snippet(schools(CARD, names), schools(ROW, names[::-1])), URL)
    message = str(info.value)
    assert "both fit this page but read different lists (they differ at row 1)" in message
    assert 'set `layout = "NAME"` on the ranking' in message  # and how to repair it


def test_a_card_wrapper_is_not_a_card():
    wrapped = f'<section><h3>Les écoles</h3><div class="grid">{schools(CARD, ["A", "B"])}</div></section>'
    page = parse_list_page(snippet(wrapped), URL)
    assert [row.name for row in page.rows] == ["A - Paris", "B - Paris"]


def test_edition_is_read_from_a_classement_title():
    page = parse_list_page(snippet(schools(CARD, ["A"]), title="Classement 2027 des écoles d'ingénieurs"), URL)
    assert page.edition == 2027


def test_a_layout_can_be_forced_by_name_and_an_unknown_name_is_refused():
    content = snippet(schools(CARD, ["A"]))
    with pytest.raises(ParseRefused, match="classements-table: nothing matches"):
        parse_list_page(content, URL, layout="classements-table")
    with pytest.raises(ParseRefused, match=r"there is no layout named 'nope'"):
        parse_list_page(content, URL, layout="nope")


# --- Operator-defined layouts ---------------------------------------------------------------------

RANKING_LIST = """<html><head><title>Classement 2027</title></head><body><main><h1>Classement 2027 des écoles</h1>
<ol class="ranking-list">{items}</ol></main></body></html>"""
ITEM = '<li class="ranking-item"><span class="rank">{rank}</span><h3>{name}</h3><b class="note">{note}/120</b></li>'

OPERATOR_LAYOUT = {
    "name": "classements-2027",
    "match": "main .ranking-list",
    "row": "li.ranking-item",
    "school": "h3",
    "rank": ".rank",
    "total": ".note",
    "edition": "h1",
}


def new_site_page(n: int = 12) -> bytes:
    items = "".join(ITEM.format(rank=i, name=f"École {i}", note=110 - i) for i in range(1, n + 1))
    return RANKING_LIST.format(items=items).encode()


def test_a_page_no_built_in_layout_knows_is_read_by_an_operator_layout():
    with pytest.raises(ParseRefused, match="no known layout fits"):
        parse_list_page(new_site_page(), URL)
    layouts = merged((layout_from_table(OPERATOR_LAYOUT),))
    snapshot = assemble([parse_list_page(new_site_page(), URL, layouts=layouts)], ranking="C", fetched_at=FETCHED)
    assert snapshot.layout == "classements-2027" and not snapshot.ranks_derived
    assert [(r.rank, r.name, r.total, r.total_max) for r in snapshot.rows[:2]] == [
        (1, "École 1", 109.0, 120.0),
        (2, "École 2", 108.0, 120.0),
    ]


def test_an_operator_layout_overrides_a_built_in_one_of_the_same_name():
    override = layout_from_table({**OPERATOR_LAYOUT, "name": "classements-cards"})
    layouts = merged((override,))
    assert [layout.name for layout in layouts].count("classements-cards") == 1
    assert layouts[0] is override


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"row": "li..ranking-item"}, "row", "is not a valid CSS selector"),
        ({"match": None}, "match", "this key is required"),
        ({"colour": "red"}, "colour", "this key is not known"),
        ({"total": "col:Note"}, "total", "needs `header`"),
        ({"group": "(unclosed"}, "group", "is not a valid regular expression"),
        ({"edition_words": "classement"}, "edition_words", "write a list of words"),
    ],
)
def test_a_bad_layout_names_the_key(change, key, words):
    table = {k: v for k, v in {**OPERATOR_LAYOUT, **change}.items() if v is not None}
    with pytest.raises(LayoutError) as info:
        layout_from_table(table)
    assert info.value.key == key and words in str(info.value)


def config_with(layouts: str, tmp_path: Path, ranking_layout: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""[school]
name = "IMT Mines Alès"
[[rankings]]
name = "Classement"
url = "{URL}"
{ranking_layout}
[email]
to = ["a@example.org"]
from = "b@example.org"
{layouts}
""",
        encoding="utf-8",
    )
    return path


def test_config_layouts_are_used_and_a_bad_one_is_a_config_error_naming_the_key(tmp_path):
    good = config_with(
        '[[layouts]]\nname = "new"\nmatch = "main .ranking-list"\nrow = "li"\nschool = "h3"\nedition = "h1"\n', tmp_path
    )
    assert config_module.load(good).site_layouts[0].name == "new"
    bad = config_with(
        '[[layouts]]\nname = "new"\nmatch = "main >> x"\nrow = "li"\nschool = "h3"\nedition = "h1"\n', tmp_path
    )
    with pytest.raises(
        ConfigError, match=r"layouts: .*\[\[layouts\]\] number 1, key match: 'main >> x' is not a valid"
    ):
        config_module.load(bad)


def test_a_ranking_naming_an_unknown_layout_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="names the layout 'nope', which does not exist"):
        config_module.load(config_with("", tmp_path, ranking_layout='layout = "nope"'))


# --- Whole, or refused: what a hostile reading found ------------------------------------------------


def cards_page(n: int = 12, nav: str = "", notes: list[float] | None = None, title_tag: str = "h3") -> bytes:
    notes = notes or [100.0 - i for i in range(n)]
    cards = "".join(
        f'<div class="c"><{title_tag}>École {i} - Paris</{title_tag}><span>{notes[i - 1]:g}/119</span>'
        f'<a href="/etudes/annuaire-enseignement-superieur/etablissement/etablissement-e-{i}.html">'
        "Voir la fiche complète</a></div>"
        for i in range(1, n + 1)
    )
    return snippet(cards + nav)


def test_pagination_to_pages_that_are_not_this_lists_refuses_the_list():
    nav = f'<nav><a href="{CLASSEMENTS_PATH}?page=2&sort=nom">2</a></nav>'  # another order of the list
    page = parse_list_page(cards_page(nav=nav), URL)
    assert page.page_links == () and page.foreign_pages
    with pytest.raises(ParseRefused, match="which is not another page of this list"):
        assemble([page], ranking="C", fetched_at=FETCHED)


def test_pagination_on_the_site_without_www_is_this_list():
    nav = f'<nav><a href="https://letudiant.fr{CLASSEMENTS_PATH}?page=2">2</a></nav>'
    assert [n for n, _ in parse_list_page(cards_page(nav=nav), URL).page_links] == [2]


def test_a_page_numbered_in_its_path_is_counted():
    from watcher.layouts.urls import page_number

    first = "https://www.letudiant.fr/palmares/x/home.html"
    assert page_number("https://www.letudiant.fr/palmares/x/home-3.html", "page", first) == 3
    assert page_number("https://www.letudiant.fr/palmares/x/home/page-4.html", "page", first) == 4


@pytest.mark.parametrize("odd", ["²", "٣", "⑤"])
def test_a_page_number_in_digits_int_cannot_read_is_no_page_number_and_no_crash(odd: str):
    from watcher.layouts.urls import page_number

    assert page_number(f"https://www.letudiant.fr{CLASSEMENTS_PATH}?page={odd}", "page") == 1
    nav = f'<nav><a href="{CLASSEMENTS_PATH}?page={odd}">x</a><a href="{CLASSEMENTS_PATH}?page=2">2</a></nav>'
    assert [n for n, _ in parse_list_page(cards_page(nav=nav), URL).page_links] in ([2], [1, 2])


def test_a_next_link_to_another_site_is_not_followed():
    nav = '<a rel="next" href="https://salon.example.com/inscription">Salon</a>'
    assert parse_list_page(cards_page(nav=nav), URL).next_url is None


def test_a_school_whose_card_differs_is_not_silently_dropped():
    content = cards_page().replace(b"<h3>\xc3\x89cole 5 - Paris</h3>", b"<h2>\xc3\x89cole 5 - Paris</h2>")
    with pytest.raises(ParseRefused, match=r"the page shows 12 schools .* but 11 were read"):
        parse_list_page(content, URL)


def test_derived_ranks_refuse_a_list_not_in_the_order_of_its_notes():
    notes = [100.0 - i for i in range(12)]
    notes[3], notes[4] = notes[4], notes[3]
    with pytest.raises(ParseRefused, match="not in the order of its notes"):
        assemble([parse_list_page(cards_page(notes=notes), URL)], ranking="C", fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"school_id": "/etablissement/"}, "school_id", "in parentheses"),
        ({"group": r"groupe\s+[A-E]"}, "group", "in parentheses"),
        ({"declared_pattern": r"rassemble \d+"}, "declared_pattern", "in parentheses"),
        ({"criteria": "col:Foo"}, "criteria", 'write "col:*"'),
        ({"page_param": ""}, "page_param", "not a query parameter"),
        ({"count": "a::b"}, "count", "not a valid CSS selector"),
    ],
)
def test_a_layout_that_could_never_work_is_refused_at_config_time(change, key, words):
    with pytest.raises(LayoutError) as info:
        layout_from_table({**OPERATOR_LAYOUT, **change})
    assert info.value.key == key and words in str(info.value)


def test_criteria_by_selector_keep_their_maximum_through_to_the_alert():
    from watcher.config import SchoolConfig
    from watcher.french.render import figures
    from watcher.news.diff import diff
    from watcher.news.rules import alerts_for

    item = (
        '<li class="ranking-item"><span class="rank">{rank}</span><h3>{name}</h3><b class="note">{note}/120</b>'
        '<p class="crit"><span class="l">Excellence académique</span><span class="v">{a}/30</span></p></li>'
    )
    layout = layout_from_table(
        {**OPERATOR_LAYOUT, "criteria": ".crit", "criterion_label": ".l", "criterion_value": ".v"}
    )

    def edition(year: int, first: str) -> object:
        names = [first, *(n for n in ("A", "B") if n != first), *(f"É{i}" for i in range(10))]
        items = "".join(item.format(rank=i, name=n, note=110 - i, a=30 - i) for i, n in enumerate(names, 1))
        content = RANKING_LIST.format(items=items).replace("2027", str(year)).encode()
        page = parse_list_page(content, URL, layouts=(layout,))
        return assemble([page], ranking="C", fetched_at=FETCHED)

    old, new = edition(2026, "A"), edition(2027, "B")
    row = new.rows[0]
    assert (row.scores, row.score_max, row.total_max) == (
        (("Excellence académique", 29.0),),
        (("Excellence académique", 30.0),),
        120.0,
    )
    (alert,) = alerts_for(old, new, diff(old, new), SchoolConfig(name="B"))
    lines = figures(alert).criteria
    assert lines[0][0] == "Excellence académique (sur 30)" and lines[-1][0] == "Total (sur 120)"


@pytest.mark.parametrize(
    "name", ["palmares-general-2021.html", "classements/classement-2023.html", "classements/classement-2026.html"]
)
def test_selection_walking_the_page_once_finds_what_soupsieve_finds(name):
    from bs4 import BeautifulSoup

    from watcher.layouts.find import Page

    soup = BeautifulSoup((FIXTURES / name).read_bytes(), "lxml")
    page = Page(soup)
    selectors = {"h1, title", "p", "a[href*='page=']", "tbody > tr", "title, h1, a[rel~=next]", "main .x", ":has(h3)"}
    for layout in builtin_layouts():
        selectors |= {s for s in (layout.match, layout.row, layout.next, layout.count, layout.anchor) if s}
    for selector in sorted(selectors):
        assert [id(e) for e in page.select(selector)] == [id(e) for e in soup.select(selector)], selector
        expected = soup.select_one(selector)
        assert page.select_one(selector) is expected, selector
