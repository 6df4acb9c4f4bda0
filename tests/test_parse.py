"""parse_list_page + assemble: the fixture pages, hand-written snippets, and every refusal of the gate."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.errors import ParseRefused
from watcher.layouts import MIN_ROWS, ListPage, assemble, french_number, parse_list_page

from .conftest import fixture, fixture_pages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIST_URL = (
    "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/"
    "palmares-general-des-ecoles-d-ingenieurs/home.html"
)
FETCHED = datetime(2021, 12, 15, 6, 30, tzinfo=UTC)
CRITERIA = ("Excellence académique", "Ouverture internationale", "Proximité avec les entreprises")


# --- Fixture pages -------------------------------------------------------------------------------


def read_fixture(year: int) -> list[ListPage]:
    return fixture_pages(year, LIST_URL)


def snapshot_of(year: int):
    return assemble(read_fixture(year), ranking="Palmarès général", fetched_at=FETCHED)


@pytest.fixture(scope="module")
def snapshots():
    return {year: snapshot_of(year) for year in (2019, 2020, 2021)}


def imt(snapshot):
    rows = [row for row in snapshot.rows if row.slug == "imt-mines-ales"]
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("year", "count", "rank", "total", "group", "city"),
    [
        (2019, 174, 40, 39.7, "A", None),
        (2020, 167, 33, 41.8, "A", "Alès"),
        (2021, 168, 27, 43.5, "A", "Alès"),
    ],
)
def test_fixture_editions(snapshots, year, count, rank, total, group, city):
    snapshot = snapshots[year]
    assert snapshot.edition == year
    assert snapshot.count == count
    assert snapshot.url == LIST_URL
    assert snapshot.fetched_at == FETCHED
    assert [row.rank for row in snapshot.rows][:3] == [1, 2, 3]
    row = imt(snapshot)
    assert (row.rank, row.name, row.tied) == (rank, "IMT Mines Alès", False)
    assert (row.total, row.group, row.city) == (total, group, city)
    assert row.key == "slug:imt-mines-ales"


def test_fixture_2021_criteria_scores_use_french_decimal_commas(snapshots):
    row = imt(snapshots[2021])
    assert row.scores == (
        ("Excellence académique", 13.7),
        ("Ouverture internationale", 16.1),
        ("Proximité avec les entreprises", 11.5),
        ("Ouverture à de nouveaux publics", 2.2),
    )


def test_fixture_2021_is_read_over_two_pages():
    first, second = read_fixture(2021)
    assert first.edition == second.edition == 2021
    assert (len(first.rows), len(second.rows)) == (100, 68)
    assert first.declared_count == second.declared_count == 168
    assert first.next_url == LIST_URL + "?page=2"
    assert second.next_url is None
    assert (first.rows[-1].rank, first.rows[-1].name) == (100, "ENSCR")
    assert (second.rows[0].rank, second.rows[0].name) == (101, "ENSSAT")


def test_group_is_carried_from_page_one_to_page_two():
    first, _ = read_fixture(2021)
    assert first.last_group == "B"
    content = (FIXTURES / "palmares-general-2021-page2.html").read_bytes()
    carried = parse_list_page(content, LIST_URL + "?page=2", group=first.last_group)
    alone = parse_list_page(content, LIST_URL + "?page=2")
    assert carried.rows[0].group == "B"
    assert alone.rows[0].group is None  # page 2 opens without a group heading
    assert carried.rows[-1].group == alone.rows[-1].group == "C"


def test_fixture_2021_group_sizes(snapshots):
    assert Counter(row.group for row in snapshots[2021].rows) == {"A+": 11, "A": 34, "B": 60, "C": 63}


def test_fixture_2021_tie_at_fourth_is_marked_on_both_rows(snapshots):
    rows = snapshots[2021].rows
    assert [(r.rank, r.name, r.tied) for r in rows[2:6]] == [
        (3, "Télécom SudParis", False),
        (4, "École polytechnique", True),
        (4, "ISAE-Supaero", True),
        (6, rows[5].name, False),
    ]
    assert [(r.rank, r.tied) for r in rows if r.tied] == [(4, True)] * 2 + [(60, True)] * 3 + [(131, True)] * 2


def test_fixture_2019_ties_without_ex_aequo_in_the_text_are_marked_from_the_ranks(snapshots):
    tied = [(r.rank, r.name) for r in snapshots[2019].rows if r.tied]
    assert tied == [
        (9, "Centrale Nantes"),
        (9, "ISAE-Supaero"),
        (88, "EIGSI"),
        (88, "HEI Lille"),
        (88, "ESAIP"),
    ]
    assert snapshots[2019].rows[10].rank == 11  # competition ranking: 9, 9, then 11


def test_fixture_2019_windows_1252_names_are_decoded(snapshots):
    names = {row.name for row in snapshots[2019].rows}
    assert {"École polytechnique", "Mines Saint-Étienne", "CentraleSupélec", "Télécom ParisTech"} <= names
    assert not any("Ã" in name or "\ufffd" in name for name in names)
    assert snapshots[2019].rows[0].scores[0] == ("Excellence académique", 18.1)


def test_fixture_2019_logo_column_without_header_is_ignored(snapshots):
    row = imt(snapshots[2019])
    assert row.city is None
    assert [label for label, _ in row.scores] == [
        "Excellence académique",
        "Ouverture internationale",
        "Proximité avec les entreprises",
        "Ouverture à de nouveaux publics",
    ]


def test_snapshot_lists_the_pages_it_was_read_from(snapshots):
    assert snapshots[2021].pages == (LIST_URL, LIST_URL + "?page=2")
    assert snapshots[2020].pages == (LIST_URL,)


def test_page_one_of_a_split_list_alone_is_refused():
    first, _ = read_fixture(2021)
    with pytest.raises(ParseRefused, match=r"the list goes on at .*\?page=2, but that page was not read"):
        assemble([first], ranking="r", fetched_at=FETCHED)


@pytest.mark.parametrize("path", sorted((FIXTURES / "refused").glob("*.html")), ids=lambda p: p.name)
def test_refused_read_fixture(path):
    with pytest.raises(ParseRefused):
        assemble([parse_list_page(path.read_bytes(), LIST_URL)], ranking="r", fetched_at=FETCHED)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty-table.html", "no school rows (empty table)"),
        ("headers-changed.html", "no column for Rang, École, Note"),
        ("layout-changed.html", "no known layout fits this page"),
        ("truncated.html", "the page is truncated"),
    ],
)
def test_refused_fixture_messages(name, message):
    with pytest.raises(ParseRefused, match=re.escape(message)) as info:
        page = parse_list_page((FIXTURES / "refused" / name).read_bytes(), LIST_URL)
        assemble([page], ranking="r", fetched_at=FETCHED)
    assert info.value.url == LIST_URL


def test_refused_folder_holds_a_variant_of_each_layout():
    assert sorted(p.name for p in (FIXTURES / "refused").glob("*.html")) == [
        "classements-cards-truncated.html",
        "classements-table-no-school-rows.html",
        "empty-table.html",
        "headers-changed.html",
        "layout-changed.html",
        "truncated.html",
    ]


# --- Hand-written snippets -----------------------------------------------------------------------

ORDER = ("rank", "school", "city", "criteria", "total")
LABELS = {"rank": "Rang", "school": "École", "city": "Ville", "total": "Note sur 63"}


def header(order: tuple[str, ...] = ORDER) -> str:
    """Two header rows: single columns span both, the criteria share a 'Critères' heading."""
    top, bottom = [], []
    for column in order:
        if column == "criteria":
            top.append(f'<th colspan="{len(CRITERIA)}">Critères (sur 20 points)</th>')
            bottom.extend(f"<th>{label}</th>" for label in CRITERIA)
        else:
            top.append(f'<th rowspan="2">{LABELS[column]}</th>')
    return f"<tr>{''.join(top)}</tr><tr>{''.join(bottom)}</tr>"


def school(
    rank: str | int,
    name: str,
    *,
    slug: str | None = None,
    city: str = "Paris",
    scores: tuple[str, ...] = ("12,5", "10", "8,3"),
    total: str = "30,8",
    order: tuple[str, ...] = ORDER,
    drop: str | None = None,
) -> str:
    """One school row, its cells in `order`; `drop` leaves one column's cell out."""
    href = f"/palmares/palmares-des-ecoles-d-ingenieurs/{slug}.html" if slug else "#"
    cells = {
        "rank": f"<td>{rank}</td>",
        "school": f'<td><a class="u-typo-strong" href="{href}">{name}</a></td>',
        "city": f"<td>{city}</td>",
        "criteria": "".join(f"<td>{score}</td>" for score in scores),
        "total": f"<td>{total}</td>",
    }
    return "<tr>" + "".join(cells[c] for c in order if c != drop) + "</tr>"


def schools(ranks: list[int | str] | None = None, n: int = 12) -> list[str]:
    """Rows 'École 1'…, slugged 'ecole-1'…, ranked 1..n unless `ranks` says otherwise."""
    ranks = ranks if ranks is not None else list(range(1, n + 1))
    return [school(rank, f"École {i}", slug=f"ecole-{i}") for i, rank in enumerate(ranks, start=1)]


def page(
    rows: list[str],
    *,
    title: str = "Palmarès 2021 des écoles",
    head: str | None = None,
    intro: str = "",
    after: str = "",
    end: str = "</body></html>",
    encoding: str = "utf-8",
) -> bytes:
    head = header() if head is None else head
    html = (
        f"<html><head><title>{title}</title></head><body>{intro}"
        f'<table class="c-pmd-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        f"{after}{end}"
    )
    return html.encode(encoding)


def read(content: bytes, url: str = LIST_URL, **kwargs) -> ListPage:
    return parse_list_page(content, url, **kwargs)


def build(*contents: bytes):
    return assemble([read(c) for c in contents], ranking="Test", fetched_at=FETCHED)


def test_minimal_snippet_is_read():
    snapshot = build(page(schools(n=MIN_ROWS)))
    assert snapshot.edition == 2021
    assert snapshot.count == MIN_ROWS == 10
    first = snapshot.rows[0]
    assert (first.rank, first.name, first.slug, first.city, first.tied) == (1, "École 1", "ecole-1", "Paris", False)
    assert first.scores == tuple(zip(CRITERIA, (12.5, 10.0, 8.3), strict=True))
    assert first.total == 30.8
    assert first.group is None
    assert [row.rank for row in snapshot.rows] == list(range(1, 11))


@pytest.mark.parametrize(
    ("text", "rank"),
    [
        ("27", 27),
        ("27e", 27),
        ("27ème", 27),
        ("1er", 1),
        ("1re", 1),
        ("4e ex aequo", 4),
        ("4e ex-aequo", 4),
        ("4 (=)", 4),
        ("=4", 4),
        ("#27", 27),
        (" 27e ", 27),
    ],
)
def test_rank_formats(text, rank):
    (row,) = read(page([school(text, "École des mines d'Alès", slug="imt-mines-ales")])).rows
    assert row.rank == rank


def test_ex_aequo_comes_from_shared_ranks_not_from_the_words():
    ranks: list[int | str] = ["1", "2e ex aequo", "3", 4, 5, 6, 7, 8, 9, 10]
    snapshot = assemble(
        [read(page([school(r, f"École {i}") for i, r in enumerate(ranks, 1)]))], ranking="T", fetched_at=FETCHED
    )
    assert not any(row.tied for row in snapshot.rows)


@pytest.mark.parametrize(
    ("text", "value"),
    [("12,5", 12.5), ("45,2/63", 45.2), ("7", 7.0), ("0,3", 0.3), ("NC", None), ("-", None), ("", None)],
)
def test_french_numbers(text, value):
    assert french_number(text) == value


def test_score_cells_with_french_commas_and_missing_values():
    rows = [school(1, "École A", slug="a", scores=("19,9", "NC", "0,5"), total="20,4")]
    (row,) = read(page(rows)).rows
    assert row.scores == (("Excellence académique", 19.9), ("Ouverture internationale", None), (CRITERIA[2], 0.5))
    assert row.total == 20.4


def test_ex_aequo_marks_both_rows_even_when_only_the_text_of_one_says_so():
    ranks: list[int | str] = [1, 2, "3e ex aequo", "3e", 5, 6, 7, 8, 9, 10]
    snapshot = build(page(schools(ranks)))
    assert [(r.rank, r.tied) for r in snapshot.rows[1:5]] == [(2, False), (3, True), (3, True), (5, False)]


def test_columns_are_found_by_header_label_not_position():
    order = ("total", "criteria", "school", "city", "rank")
    rows = [
        school(i, f"École {i}", slug=f"ecole-{i}", city=f"Ville {i}", total=f"{60 - i},5", order=order)
        for i in range(1, 11)
    ]
    snapshot = build(page(rows, head=header(order)))
    row = snapshot.rows[2]
    assert (row.rank, row.name, row.slug, row.city, row.total) == (3, "École 3", "ecole-3", "Ville 3", 57.5)
    assert row.scores == tuple(zip(CRITERIA, (12.5, 10.0, 8.3), strict=True))


def test_name_without_link_and_no_slug():
    rows = ["<tr><td>1</td><td>École sans lien</td><td>Brest</td><td>1</td><td>2</td><td>3</td><td>6</td></tr>"]
    (row,) = read(page(rows)).rows
    assert (row.name, row.slug, row.city, row.total) == ("École sans lien", None, "Brest", 6.0)
    assert row.key == "name:ecole sans lien"


def test_group_headings_set_the_group_and_ad_rows_are_skipped():
    heading = '<tr class="c-pmd-table__group"><td colspan="7"><strong>Groupe {}</strong></td></tr>'
    ad = '<tr><td colspan="7"><div class="c-ad">Publicité</div></td></tr>'
    rows = schools(n=12)
    body = [heading.format("A+"), *rows[:3], ad, heading.format("A"), *rows[3:8], heading.format("b"), *rows[8:]]
    parsed = read(page(body))
    assert [row.group for row in parsed.rows] == ["A+"] * 3 + ["A"] * 5 + ["B"] * 4
    assert parsed.last_group == "B"
    assert len(parsed.rows) == 12


def test_group_given_by_the_previous_page_applies_until_a_heading():
    heading = '<tr><td colspan="7">Groupe C</td></tr>'
    rows = schools(n=4)
    parsed = read(page([*rows[:2], heading, *rows[2:]]), group="B")
    assert [row.group for row in parsed.rows] == ["B", "B", "C", "C"]


def test_declared_count_and_next_link_are_read():
    nav = f'<nav><a rel="next" href="{LIST_URL}?page=2#top">Page suivante</a></nav>'
    parsed = read(page(schools(n=3), intro="<p>Le palmarès classe 168 écoles d'ingénieurs.</p>", after=nav))
    assert parsed.declared_count == 168
    assert parsed.next_url == LIST_URL + "?page=2"


def test_relative_next_link_is_resolved_against_the_page_url():
    nav = '<a class="c-pagination__next" href="?page=3">Page suivante</a>'
    parsed = read(page(schools(n=3), after=nav), url=LIST_URL + "?page=2")
    assert parsed.next_url == LIST_URL + "?page=3"


def test_two_snippet_pages_are_joined():
    nav = '<a rel="next" href="?page=2">Suivant</a>'
    rows = schools(n=14)
    first = read(page(rows[:7], after=nav, intro="<p>classe 14 écoles</p>"))
    second = read(page(rows[7:]), url=LIST_URL + "?page=2", group=first.last_group)
    snapshot = assemble([first, second], ranking="Test", fetched_at=FETCHED)
    assert snapshot.count == 14
    assert [row.rank for row in snapshot.rows] == list(range(1, 15))
    assert snapshot.pages == (LIST_URL, LIST_URL + "?page=2")


def test_windows_1252_snippet_with_declared_charset():
    title = "Palmarès 2019 des écoles"
    meta = '<meta charset="windows-1252">'
    html = page(schools(n=2), title=title).decode().replace("<head>", f"<head>{meta}")
    html = html.replace("École 1", "Télécom Saint-Étienne")
    parsed = read(html.encode("windows-1252"))
    assert parsed.edition == 2019
    assert parsed.rows[0].name == "Télécom Saint-Étienne"
    assert parsed.rows[0].scores[0] == ("Excellence académique", 12.5)


def test_explicit_encoding_wins():
    parsed = read(page(schools(n=1)).decode().encode("windows-1252"), encoding="windows-1252")
    assert parsed.rows[0].name == "École 1"


def test_edition_from_h1_when_title_has_none():
    content = page(schools(n=1), title="L'Etudiant", intro="<h1>Palmarès 2022 des écoles d'ingénieurs</h1>")
    assert read(content).edition == 2022


# --- The sanity gate: one test per refusal -------------------------------------------------------


def refused(*contents: bytes, **kwargs) -> str:
    with pytest.raises(ParseRefused) as info:
        pages = [read(c) for c in contents]
        assemble(pages, ranking="Test", fetched_at=FETCHED, **kwargs)
    assert info.value.url is not None
    return str(info.value)


def test_refuses_a_page_without_the_table():
    content = (
        b"<html><head><title>Palmar\xc3\xa8s 2021</title></head><body><table><tr><td>1</td></tr></table></body></html>"
    )
    message = refused(content)
    assert "no known layout fits this page" in message
    assert "palmares-table: nothing matches 'table.c-pmd-table'" in message  # each layout says what it missed


def test_refuses_changed_headers():
    head = header().replace(">Rang<", ">Position<").replace(">Note sur 63<", ">Score<")
    message = refused(page(schools(), head=head))
    assert "headers are not the expected ones: no column for Rang, Note" in message
    assert "Position" in message  # the headers found are listed


def test_refuses_a_table_without_header_rows():
    content = page(schools(), head="").replace(b"<thead></thead>", b"")
    assert "no header row" in refused(content)


def test_refuses_an_empty_table():
    assert "no school rows (empty table)" in refused(page([]))


def test_refuses_too_few_rows():
    assert "only 9 schools read, fewer than the 10 expected" in refused(page(schools(n=9)))


def test_min_rows_can_be_raised_by_the_caller():
    assert "only 12 schools read, fewer than the 50" in refused(page(schools(n=12)), min_rows=50)


def test_refuses_a_rank_gap():
    message = refused(page(schools([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12])))
    assert "after École 5 (5), École 6 is ranked 7 where 6 was expected: rows are missing" in message


def test_refuses_a_list_that_does_not_start_at_one():
    assert "at the top of the list, École 1 is ranked 2 where 1 was expected" in refused(
        page(schools(list(range(2, 14))))
    )


def test_refuses_ranks_out_of_order():
    message = refused(page(schools([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3])))
    assert "École 11 is ranked 3 where 11 was expected: ranks are out of order" in message


def test_refuses_dense_ranking_after_a_tie():
    message = refused(page(schools([1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10])))
    assert "École 4 is ranked 3 where 4 was expected: ranks are out of order" in message


def test_refuses_a_duplicate_school():
    rows = schools(n=11)
    rows.append(school(12, "École 3", slug="ecole-3"))
    assert "École 3 appears twice (ranks 3 and 12)" in refused(page(rows))


def test_refuses_a_duplicate_school_without_slug_by_folded_name():
    rows = [school(i, f"École {i}") for i in range(1, 12)] + [school(12, "ecole 3")]
    assert "ecole 3 appears twice (ranks 3 and 12)" in refused(page(rows))


def test_refuses_a_truncated_page():
    content = page(schools(), end="</body>")
    message = refused(content)
    assert f"the page is truncated: it stops after {len(content):,} bytes without its closing </html>" in message


def test_refuses_a_declared_count_that_is_not_matched():
    content = page(schools(n=12), intro="<p>Le palmarès 2021 classe 168 écoles d'ingénieurs.</p>")
    assert "the page says 168 schools are ranked but 12 were read over 1 page(s)" in refused(content)


def test_declared_count_that_matches_is_accepted():
    content = page(schools(n=12), intro="<p>Le palmarès 2021 classe 12 écoles.</p>")
    assert build(content).count == 12


def test_refuses_a_page_without_edition():
    assert "no edition year in the page's title" in refused(page(schools(), title="Palmarès des écoles"))


def test_refuses_pages_of_different_editions():
    rows = schools(n=14)
    message = refused(page(rows[:7]), page(rows[7:], title="Palmarès 2022 des écoles"))
    assert "the pages of one list name different editions: [2021, 2022]" in message


def test_refuses_page_one_alone_when_page_two_is_missing():
    nav = '<a rel="next" href="?page=2">Page suivante</a>'
    rows = schools(n=20)
    first = page(rows[:12], intro="<p>Le palmarès classe 20 écoles.</p>", after=nav)
    assert read(first).next_url == LIST_URL + "?page=2"
    assert "the list goes on at" in refused(first) and "but that page was not read" in refused(first)


def test_refuses_page_two_read_twice():
    nav = '<a rel="next" href="?page=2">Page suivante</a>'
    rows = schools(n=20)
    first, second = page(rows[:10], after=nav), page(rows[10:])
    assert "École 11 is ranked 11 where 21 was expected: ranks are out of order" in refused(first, second, second)


def test_refuses_a_row_with_the_wrong_number_of_cells():
    rows = schools(n=12)
    rows[4] = school(5, "École 5", slug="ecole-5", drop="city")
    message = refused(page(rows))
    assert "a school row has 6 cells where the headers have 7 columns" in message
    assert "École 5" in message


def test_refuses_a_school_row_without_readable_rank():
    rows = schools(n=12)
    rows[4] = school("—", "École 5", slug="ecole-5")
    assert "a school row has no readable rank: '—'" in refused(page(rows))


def test_refuses_a_school_row_without_name():
    rows = schools(n=12)
    rows[4] = school(5, "", slug="ecole-5")
    assert "the school row ranked '5' has no school name" in refused(page(rows))


def test_a_group_of_partner_schools_is_not_group_d():
    heading = '<tr><td colspan="7">Groupe d\'écoles partenaires</td></tr>'
    parsed = read(page([heading, *schools(n=3)]), group="B")
    assert {row.group for row in parsed.rows} == {"B"}


def test_a_next_article_link_in_the_footer_is_not_a_next_page():
    footer = '<footer><a href="/articles/prepa.html">Lire l\'article suivant</a></footer>'
    assert read(page(schools(n=3), after=footer)).next_url is None


def test_a_next_page_link_without_rel_is_followed_within_the_list():
    nav = '<nav><a href="home-2.html">Suivant ›</a></nav>'
    assert read(page(schools(n=3), after=nav)).next_url == LIST_URL.removesuffix(".html") + "-2.html"


def test_swapped_ranks_are_reported_as_out_of_order():
    ranks = [1, 2, 3, 5, 4, 6, 7, 8, 9, 10]
    message = refused(page([school(r, f"École {i}") for i, r in enumerate(ranks, 1)]))
    assert "École 4 is ranked 5 where 4 was expected: ranks are out of order" in message


@pytest.mark.parametrize(("text", "value"), [("1 234,5", 1234.5), ("1\u202f234", 1234.0), ("\u22123,2", -3.2)])
def test_french_numbers_with_thousands_and_minus(text, value):
    assert french_number(text) == value


@pytest.mark.parametrize("text", ["NC", "Non classée", "non classé"])
def test_a_school_listed_as_not_ranked_is_left_out(text):
    rows = [*schools(n=10), school(text, "École non classée", slug="ecole-nc")]
    snapshot = assemble([read(page(rows))], ranking="T", fetched_at=FETCHED)
    assert snapshot.count == 10 and "École non classée" not in {r.name for r in snapshot.rows}


def test_fixture_2017_real_top_three_families_on_20_total_on_60():
    snapshot = assemble(
        [parse_list_page(fixture("palmares-general-2017.html"), LIST_URL)], ranking="P", fetched_at=FETCHED
    )
    assert (snapshot.edition, snapshot.count) == (2017, 168)
    top = [(r.rank, r.name, [v for _, v in r.scores], r.total, r.group) for r in snapshot.rows[:3]]
    assert top == [
        (1, "École polytechnique", [20.0, 19.0, 20.0], 59.0, "A+"),
        (2, "CentraleSupélec (diplôme Centrale)", [18.0, 19.0, 20.0], 57.0, "A+"),
        (3, "École des ponts ParisTech", [17.0, 17.0, 20.0], 54.0, "A+"),
    ]
    # 2017 ranks were positions: equal totals got consecutive ranks, so they are read as published, not as ties.
    equal = [(a, b) for a, b in zip(snapshot.rows, snapshot.rows[1:], strict=False) if a.total == b.total]
    assert equal and all(b.rank == a.rank + 1 and not a.tied and not b.tied for a, b in equal)
    (ales,) = [r for r in snapshot.rows if r.slug == "imt-mines-ales"]
    assert (ales.rank, ales.name) == (51, "École des mines d'Alès")  # its name before 2017


def test_the_total_is_the_note_column_not_a_criterion_under_a_notes_heading():
    head = header().replace("Critères (sur 20 points)", "Notes (sur 20 points)")
    (row, *_) = read(page(schools(n=3), head=head)).rows
    assert row.total == 30.8  # "Note sur 63", not the first criterion under "Notes (sur 20 points)"
    assert [label for label, _ in row.scores] == list(CRITERIA)


def test_of_two_total_columns_the_one_out_of_the_larger_maximum_is_the_total():
    head = header().replace('<th rowspan="2">Note sur 63</th>', '<th rowspan="2">Note sur 63</th>')
    head = head.replace('<th rowspan="2">Rang</th>', '<th rowspan="2">Rang</th><th rowspan="2">Note sur 20</th>')
    rows = [r.replace("<td>1</td>", "<td>1</td><td>12</td>", 1) for r in schools(n=1)]
    (row,) = read(page(rows, head=head)).rows
    assert row.total == 30.8 and ("Note sur 20", 12.0) in row.scores


def test_a_next_link_drawn_as_an_icon_is_followed():
    nav = '<nav><a href="?page=2" aria-label="Page suivante"><svg viewBox="0 0 8 8"></svg></a></nav>'
    assert read(page(schools(n=3), after=nav)).next_url == LIST_URL + "?page=2"


def test_an_undeclared_windows_1252_page_is_detected_and_read():
    (row, *_) = read(page(schools(n=3), encoding="windows-1252")).rows
    assert row.name == "École 1"


def test_bytes_that_are_not_the_declared_charset_are_refused_as_such():
    content = page(schools(n=3), encoding="windows-1252")
    with pytest.raises(ParseRefused, match=r"not valid utf-8, the charset that the server declares: byte 0xe8"):
        read(content, encoding="utf-8")


def test_a_declared_count_one_off_is_accepted_and_kept_two_off_is_refused():
    intro = "<p>Le palmarès 2021 classe {} écoles d'ingénieurs.</p>"
    snapshot = build(page(schools(n=12), intro=intro.format(13)))
    assert (snapshot.count, snapshot.declared_count) == (12, 13)
    assert snapshot.count_note == "the page says 13 schools are ranked, 12 were read"
    assert "the page says 14 schools are ranked but 12 were read" in refused(
        page(schools(n=12), intro=intro.format(14))
    )


@pytest.mark.parametrize(
    "heading",
    [
        '<tr><td colspan="7">A+</td></tr>',  # the letter alone
        '<tr><th colspan="7">Groupe A+</th></tr>',  # in a th
        '<tr><td colspan="7"><strong>Groupe A+</strong></td></tr>',
    ],
)
def test_group_headings_in_every_form_set_the_group(heading):
    parsed = read(page([heading, *schools(n=3)]))
    assert {row.group for row in parsed.rows} == {"A+"}


def test_a_group_given_as_a_column_is_read_for_each_school():
    head = header().replace('<th rowspan="2">Ville</th>', '<th rowspan="2">Groupe</th>')
    rows = [school(i, f"École {i}", city="A+" if i < 3 else "Groupe B") for i in range(1, 5)]
    assert [row.group for row in read(page(rows, head=head)).rows] == ["A+", "A+", "B", "B"]


def test_an_advert_row_is_skipped_and_a_refusal_counts_what_was_skipped():
    advert = (
        '<tr class="c-ad"><td colspan="7"><a href="https://ads.example.com/">Salon des grandes écoles</a></td></tr>'
    )
    rows = schools(n=12)
    assert build(page([*rows[:5], advert, *rows[5:]])).count == 12  # read, the advert aside
    gap = schools([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13])
    message = refused(page([*gap[:5], advert, *gap[5:]]))
    assert "rows are missing" in message and "(1 row that is not a school was skipped" in message


def test_a_list_split_into_one_table_per_group_is_read_as_one_list():
    tables = ""
    for group, ranks in (("A+", range(1, 5)), ("A", range(5, 9)), ("B", range(9, 13))):
        rows = "".join(school(r, f"École {r}", slug=f"ecole-{r}") for r in ranks)
        tables += (
            f'<h2>Groupe {group}</h2><table class="c-pmd-table"><thead>{header()}</thead><tbody>{rows}</tbody></table>'
        )
    content = f"<html><head><title>Palmarès 2021 des écoles</title></head><body>{tables}</body></html>".encode()
    snapshot = build(content)
    assert snapshot.count == 12 and [r.rank for r in snapshot.rows] == list(range(1, 13))


def test_a_page_cut_in_the_middle_of_the_table_is_refused():
    content = fixture("palmares-general-2020.html")
    cut = content.index(b'<tr class="c-pmd-table__row">', len(content) // 2)
    assert b"</table>" not in content[cut - 2000 : cut]  # really inside the table
    with pytest.raises(ParseRefused, match="the page is truncated"):
        read(content[: cut + 40])


def test_numbered_page_links_alone_make_a_palmares_list_go_on():
    nav = '<nav class="c-pagination"><span>1</span><a href="?page=2"><svg></svg></a></nav>'  # no text, no label
    with pytest.raises(ParseRefused, match=r"pagination shows 2 pages"):
        build(page(schools(n=12), after=nav))
