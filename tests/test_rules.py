"""alerts_for(): which changes make an alert for the watched school, and what the alert holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.config import SchoolConfig
from watcher.model import Entered, GroupPlace, Left, Moved, NewEdition, Renamed, Row, ScoreChanged, Snapshot
from watcher.news.diff import diff
from watcher.news.identity import find_in_pair
from watcher.news.rules import alerts_for, group_place

from .conftest import LIST_PATH, fixture_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = "https://www.letudiant.fr" + LIST_PATH
RANKING = "Palmarès général des écoles d'ingénieurs"
FETCHED = datetime(2021, 12, 15, 6, 30, tzinfo=UTC)
IMT = SchoolConfig(name="IMT Mines Alès")


@pytest.fixture(scope="module")
def fixtures():
    return {year: fixture_snapshot(year, url=URL, fetched_at=FETCHED) for year in (2019, 2020, 2021)}


def snap(*rows: Row, edition: int = 2021) -> Snapshot:
    return Snapshot(ranking=RANKING, url=URL, edition=edition, rows=rows, fetched_at=FETCHED)


def filler(start: int, stop: int, group: str | None = None) -> tuple[Row, ...]:
    return tuple(Row(rank, f"École {rank}", slug=f"ecole-{rank}", group=group) for rank in range(start, stop))


def alerts(old: Snapshot | None, new: Snapshot, school: SchoolConfig = IMT):
    return alerts_for(old, new, diff(old, new) if old else [], school)


IMT_ROW = Row(3, "IMT Mines Alès", slug="imt-mines-ales", total=40.0, group="A")


def with_imt(rank: int = 3, edition: int = 2021, **changes) -> Snapshot:
    """Five schools, IMT Mines Alès at `rank` (it swaps places with the school there)."""
    imt = replace(IMT_ROW, rank=rank, **changes)
    others = [r for r in filler(1, 6, group="A") if r.rank != rank]
    rows = sorted([*others, imt], key=lambda r: r.rank)
    return snap(*(replace(r, rank=i) for i, r in enumerate(rows, start=1)), edition=edition)


# --- The 2020 → 2021 fixture case ----------------------------------------------------------------


def test_fixture_2020_to_2021_is_one_move(fixtures):
    (alert,) = alerts(fixtures[2020], fixtures[2021])
    assert alert.kind == "moved"
    assert alert.school == "IMT Mines Alès"
    assert (alert.old_row.rank, alert.new_row.rank) == (33, 27)
    assert alert.places == 6
    assert alert.new_group_place == GroupPlace("A", 16, 34)
    assert alert.new_group_place.first_half is True
    assert (alert.old_count, alert.new_count) == (167, 168)
    assert (alert.old_edition, alert.new_edition) == (2020, 2021)
    assert (alert.ranking, alert.url, alert.fetched_at) == (RANKING, URL, FETCHED)
    assert alert.changes[0] == Moved("slug:imt-mines-ales", "IMT Mines Alès", 33, 27, False, False)
    assert ScoreChanged("slug:imt-mines-ales", "IMT Mines Alès", "total", 41.8, 43.5) in alert.changes
    assert all(e.key == "slug:imt-mines-ales" for e in alert.changes)
    assert not any(isinstance(e, NewEdition) for e in alert.changes)


def test_fixture_2019_to_2020_gains_seven_places(fixtures):
    (alert,) = alerts(fixtures[2019], fixtures[2020])
    assert (alert.kind, alert.places, alert.old_count, alert.new_count) == ("moved", 7, 174, 167)
    assert alert.old_row.city is None and alert.new_row.city == "Alès"


def test_baseline_alerts_nobody(fixtures):
    assert alerts(None, fixtures[2021]) == []
    assert alerts_for(None, fixtures[2021], [], IMT) == []


def test_group_place_counts_from_the_first_rank_of_the_group(fixtures):
    snapshot = fixtures[2021]
    first_of_a = next(r for r in snapshot.rows if r.group == "A")
    assert group_place(snapshot, first_of_a) == GroupPlace("A", 1, 34)
    assert group_place(snapshot, snapshot.rows[0]) == GroupPlace("A+", 1, 11)
    assert group_place(snapshot, Row(1, "No group")) is None


@pytest.mark.parametrize(
    ("position", "size", "first_half"), [(16, 34, True), (17, 34, True), (18, 34, False), (1, 1, False)]
)
def test_group_place_halves(position, size, first_half):
    assert GroupPlace("A", position, size).first_half is first_half


# --- Kinds of alert ------------------------------------------------------------------------------


def test_move_gives_one_moved_alert_with_both_rows():
    old, new = with_imt(3), with_imt(1)
    (alert,) = alerts(old, new)
    assert alert.kind == "moved"
    assert alert.old_row == replace(IMT_ROW, rank=3)
    assert alert.new_row == replace(IMT_ROW, rank=1)
    assert alert.places == 2
    assert alert.new_group_place == GroupPlace("A", 1, 5)
    assert alert.changes == (Moved("slug:imt-mines-ales", "IMT Mines Alès", 3, 1, False, False),)


def test_lost_places_are_negative():
    (alert,) = alerts(with_imt(2), with_imt(5))
    assert (alert.kind, alert.places) == ("moved", -3)


def test_becoming_ex_aequo_at_the_same_rank_is_a_move():
    old = with_imt(3)
    new = snap(*filler(1, 3), replace(IMT_ROW, tied=True), Row(3, "École 3", slug="ecole-3", tied=True))
    (alert,) = alerts(old, new)
    assert (alert.kind, alert.places, alert.new_row.tied) == ("moved", 0, True)


def test_new_edition_at_the_same_rank_is_stable():
    (alert,) = alerts(with_imt(3, edition=2021), with_imt(3, edition=2022))
    assert alert.kind == "stable"
    assert alert.places == 0
    assert (alert.old_edition, alert.new_edition) == (2021, 2022)


def test_same_edition_with_only_score_changes_is_silent():
    old = with_imt(3)
    new = with_imt(3, total=45.5, scores=(("Excellence", 12.0),))
    assert diff(old, new) != []
    assert alerts(old, new) == []


def test_other_schools_moving_is_silent():
    old = snap(*filler(1, 3), IMT_ROW, *filler(4, 6))
    new = snap(Row(1, "École 2", slug="ecole-2"), Row(2, "École 1", slug="ecole-1"), IMT_ROW, *filler(4, 6))
    assert len(diff(old, new)) == 2
    assert alerts(old, new) == []


def test_school_in_neither_snapshot_is_silent():
    assert alerts(snap(*filler(1, 6)), snap(*filler(1, 6), edition=2022)) == []


def test_entered():
    old = snap(*filler(1, 5))
    new = with_imt(3, edition=2022)
    (alert,) = alerts(old, new)
    assert alert.kind == "entered"
    assert (alert.old_row, alert.new_row, alert.places) == (None, new.rows[2], None)
    assert alert.new_group_place == GroupPlace("A", 3, 5)
    assert Entered("slug:imt-mines-ales", "IMT Mines Alès", 3) in alert.changes


def test_left():
    old = with_imt(4)
    new = snap(*filler(1, 5), edition=2022)
    (alert,) = alerts(old, new)
    assert alert.kind == "left"
    assert (alert.old_row, alert.new_row, alert.new_group_place) == (old.rows[3], None, None)
    assert alert.school == "IMT Mines Alès"
    assert alert.changes == (Left("slug:imt-mines-ales", "IMT Mines Alès", 4),)


# --- Finding the school --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "school",
    [
        SchoolConfig(name="imt mines ales"),
        SchoolConfig(name="IMT MINES ALÈS"),
        SchoolConfig(name="  IMT  Mines-Alès "),
        SchoolConfig(name="Mines d'Alès", aliases=("École des mines", "Imt Mines Ales")),
        SchoolConfig(name="Whatever", slug="imt-mines-ales"),
    ],
    ids=["lowercase-no-accent", "uppercase", "spaces-and-hyphen", "alias", "slug"],
)
def test_school_is_found_by_folded_name_alias_or_slug(school):
    (alert,) = alerts(with_imt(3), with_imt(2), school)
    assert (alert.old_row.rank, alert.new_row.rank) == (3, 2)


@pytest.mark.parametrize(
    "school",
    [SchoolConfig(name="IMT Mines Albi"), SchoolConfig(name="Mines Albi", slug="imt-mines-albi")],
    ids=["other-name", "other-slug"],
)
def test_other_schools_do_not_match(school):
    assert alerts(with_imt(3), with_imt(2), school) == []


def test_alias_matches_a_row_without_slug():
    old = snap(*filler(1, 3), Row(3, "École des mines d'Alès"), *filler(4, 6))
    new = snap(*filler(1, 2), Row(2, "École des Mines d'Alès"), *filler(3, 6))
    school = SchoolConfig(name="IMT Mines Alès", aliases=("Ecole des mines d'Ales",))
    (alert,) = alerts(old, new, school)
    assert (alert.kind, alert.places, alert.school) == ("moved", 1, "École des Mines d'Alès")


@pytest.mark.parametrize("name", ["Télécom Paris", "Télécom ParisTech"], ids=["new-name", "old-name"])
def test_renamed_school_is_followed_by_its_slug(fixtures, name):
    old_row, new_row = find_in_pair(fixtures[2019], fixtures[2020], SchoolConfig(name=name))
    assert (old_row.name, old_row.rank) == ("Télécom ParisTech", 3)
    assert (new_row.name, new_row.rank) == ("Télécom Paris", 7)
    (alert,) = alerts(fixtures[2019], fixtures[2020], SchoolConfig(name=name))
    assert (alert.kind, alert.places, alert.school) == ("moved", -4, "Télécom Paris")
    assert Renamed("slug:telecom-paris", "Télécom ParisTech", "Télécom Paris") in alert.changes


def test_renamed_school_followed_when_only_the_old_name_is_known():
    old = with_imt(3, name="École des mines d'Alès")
    new = with_imt(3, edition=2022)
    (alert,) = alerts(old, new, SchoolConfig(name="École des mines d'Alès"))
    assert alert.kind == "stable"
    assert (alert.old_row.name, alert.new_row.name, alert.school) == (
        "École des mines d'Alès",
        "IMT Mines Alès",
        "IMT Mines Alès",
    )


def test_find_in_pair_without_old_snapshot():
    assert find_in_pair(None, with_imt(2), IMT) == (None, with_imt(2).rows[1])


# --- Message key ---------------------------------------------------------------------------------


def test_message_key_is_stable_for_the_same_inputs(fixtures):
    first = alerts(fixtures[2020], fixtures[2021])[0]
    again = alerts(
        fixture_snapshot(2020, url=URL, fetched_at=FETCHED),
        replace(fixture_snapshot(2021, url=URL), fetched_at=datetime(2022, 1, 1, tzinfo=UTC)),
    )
    assert first.message_key == again[0].message_key
    assert len(first.message_key) == 32
    int(first.message_key, 16)  # hexadecimal


def test_message_key_differs_for_different_snapshots(fixtures):
    base = alerts(fixtures[2020], fixtures[2021])[0].message_key
    rows = list(fixtures[2021].rows)
    rows[0] = replace(rows[0], total=58.5)  # another school's total is revised
    revised = snap(*rows)
    assert alerts(fixtures[2020], revised)[0].message_key != base
    assert alerts(fixtures[2019], fixtures[2021])[0].message_key != base
    other_url = replace(fixtures[2021], url=URL + "?v=2")
    assert alerts(fixtures[2020], other_url)[0].message_key != base


def test_message_key_differs_per_school(fixtures):
    imt = alerts(fixtures[2020], fixtures[2021])[0]
    telecom = alerts(fixtures[2020], fixtures[2021], SchoolConfig(name="Télécom Paris"))[0]
    assert imt.message_key != telecom.message_key


def test_a_list_that_flips_back_and_forth_alerts_each_time(fixtures):
    """A → B, B → A, then A → B again: the second A → B is a new alert, not a duplicate of the first."""
    a_first, b = fixtures[2020], fixtures[2021]
    a_again = replace(a_first, fetched_at=datetime(2022, 1, 2, tzinfo=UTC))
    assert alerts(a_first, b)[0].message_key != alerts(a_again, b)[0].message_key


def test_slug_or_name_finds_a_school_whose_page_address_changed(fixtures):
    school = SchoolConfig(name="IMT Mines Alès", slug="mines-ales-old-address")
    (alert,) = alerts(fixtures[2020], fixtures[2021], school)
    assert (alert.old_row.rank, alert.new_row.rank) == (33, 27)
