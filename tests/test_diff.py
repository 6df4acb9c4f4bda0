"""diff(): one unit test per event type, then properties on random valid snapshots."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from watcher.model import (
    Entered,
    GroupChanged,
    Left,
    Moved,
    NewEdition,
    Renamed,
    Row,
    ScoreChanged,
    Snapshot,
)
from watcher.news.diff import diff

FETCHED = datetime(2021, 12, 15, 6, 30, tzinfo=UTC)


def snap(*rows: Row, edition: int = 2021) -> Snapshot:
    return Snapshot(ranking="Test", url="https://example.org/list.html", edition=edition, rows=rows, fetched_at=FETCHED)


def row(rank: int, name: str, slug: str | None = None, **fields) -> Row:
    return Row(rank=rank, name=name, slug=slug or name.lower().replace(" ", "-"), **fields)


BASE = (row(1, "Alpha"), row(2, "Bravo"), row(3, "Charlie"), row(4, "Delta"))


# --- One test per event type ---------------------------------------------------------------------


def test_no_change_no_event():
    assert diff(snap(*BASE), snap(*BASE)) == []


def test_fetch_time_alone_is_no_change():
    later = Snapshot("Test", "https://example.org/list.html", 2021, BASE, datetime(2022, 1, 1, tzinfo=UTC))
    assert diff(snap(*BASE), later) == []


def test_moved_both_ways():
    new = snap(row(1, "Charlie"), row(2, "Alpha"), row(3, "Bravo"), row(4, "Delta"))
    assert diff(snap(*BASE), new) == [
        Moved("slug:charlie", "Charlie", 3, 1, False, False),
        Moved("slug:alpha", "Alpha", 1, 2, False, False),
        Moved("slug:bravo", "Bravo", 2, 3, False, False),
    ]
    events = diff(snap(*BASE), new)
    assert [e.places for e in events] == [2, -1, -1]


def test_moved_into_a_tie_at_the_same_rank():
    old = snap(row(1, "Alpha"), row(2, "Bravo"), row(3, "Charlie"))
    new = snap(row(1, "Alpha"), row(2, "Bravo", tied=True), row(2, "Charlie", tied=True))
    assert diff(old, new) == [
        Moved("slug:bravo", "Bravo", 2, 2, False, True),
        Moved("slug:charlie", "Charlie", 3, 2, False, True),
    ]
    assert [e.places for e in diff(old, new)] == [0, 1]


def test_moved_out_of_a_tie():
    old = snap(row(1, "Alpha", tied=True), row(1, "Bravo", tied=True), row(3, "Charlie"))
    new = snap(row(1, "Alpha"), row(2, "Bravo"), row(3, "Charlie"))
    assert diff(old, new) == [
        Moved("slug:alpha", "Alpha", 1, 1, True, False),
        Moved("slug:bravo", "Bravo", 1, 2, True, False),
    ]


def test_entered_and_left():
    new = snap(row(1, "Alpha"), row(2, "Echo"), row(3, "Bravo"), row(4, "Charlie"))
    assert diff(snap(*BASE), new) == [
        Entered("slug:echo", "Echo", 2),
        Moved("slug:bravo", "Bravo", 2, 3, False, False),
        Moved("slug:charlie", "Charlie", 3, 4, False, False),
        Left("slug:delta", "Delta", 4),
    ]


def test_schools_without_slug_are_matched_by_folded_name():
    old = snap(Row(1, "École Alpha"), Row(2, "Bravo"))
    new = snap(Row(1, "ECOLE ALPHA"), Row(2, "Bravo"))
    assert diff(old, new) == [Renamed("name:ecole alpha", "École Alpha", "ECOLE ALPHA")]


def test_renamed_school_keeps_its_slug():
    old = snap(row(1, "Télécom ParisTech", "telecom-paris"), row(2, "Bravo"))
    new = snap(row(1, "Télécom Paris", "telecom-paris"), row(2, "Bravo"))
    assert diff(old, new) == [Renamed("slug:telecom-paris", "Télécom ParisTech", "Télécom Paris")]


def test_renamed_and_moved_name_the_new_name():
    old = snap(row(1, "Alpha"), row(2, "Old Bravo", "bravo"))
    new = snap(row(1, "New Bravo", "bravo"), row(2, "Alpha"))
    assert diff(old, new) == [
        Renamed("slug:bravo", "Old Bravo", "New Bravo"),
        Moved("slug:bravo", "New Bravo", 2, 1, False, False),
        Moved("slug:alpha", "Alpha", 1, 2, False, False),
    ]


def test_score_changed_per_criterion_and_total():
    old = snap(row(1, "Alpha", scores=(("Excellence", 12.5), ("International", 10.0)), total=22.5))
    new = snap(row(1, "Alpha", scores=(("Excellence", 13.0), ("International", 10.0)), total=23.0))
    assert diff(old, new) == [
        ScoreChanged("slug:alpha", "Alpha", "Excellence", 12.5, 13.0),
        ScoreChanged("slug:alpha", "Alpha", "total", 22.5, 23.0),
    ]


def test_score_that_stops_being_published():
    old = snap(row(1, "Alpha", scores=(("Excellence", 12.5),), total=22.5))
    new = snap(row(1, "Alpha", scores=(("Excellence", None),), total=None))
    assert diff(old, new) == [
        ScoreChanged("slug:alpha", "Alpha", "Excellence", 12.5, None),
        ScoreChanged("slug:alpha", "Alpha", "total", 22.5, None),
    ]


def test_new_criterion_is_not_a_score_change():
    old = snap(row(1, "Alpha", scores=(("Excellence", 12.5),), total=12.5))
    new = snap(row(1, "Alpha", scores=(("Excellence", 12.5), ("Bonus", 1.0)), total=12.5))
    assert diff(old, new) == []


def test_group_changed():
    old = snap(row(1, "Alpha", group="A+"), row(2, "Bravo", group="A"))
    new = snap(row(1, "Alpha", group="A+"), row(2, "Bravo", group="A+"))
    assert diff(old, new) == [GroupChanged("slug:bravo", "Bravo", "A", "A+")]


def test_new_edition_comes_first():
    new = snap(row(1, "Bravo"), row(2, "Alpha"), row(3, "Charlie"), row(4, "Delta"), edition=2022)
    events = diff(snap(*BASE), new)
    assert events[0] == NewEdition(2021, 2022)
    assert events[1:] == [
        Moved("slug:bravo", "Bravo", 2, 1, False, False),
        Moved("slug:alpha", "Alpha", 1, 2, False, False),
    ]


def test_new_edition_with_identical_rows():
    assert diff(snap(*BASE), snap(*BASE, edition=2022)) == [NewEdition(2021, 2022)]


def test_event_order_new_list_order_then_leavers_in_old_order():
    old = snap(row(1, "Alpha"), row(2, "Bravo"), row(3, "Charlie"), row(4, "Delta"))
    new = snap(row(1, "Echo"), row(2, "Alpha", group="A"), edition=2022)
    assert diff(old, new) == [
        NewEdition(2021, 2022),
        Entered("slug:echo", "Echo", 1),
        Moved("slug:alpha", "Alpha", 1, 2, False, False),
        GroupChanged("slug:alpha", "Alpha", None, "A"),
        Left("slug:bravo", "Bravo", 2),
        Left("slug:charlie", "Charlie", 3),
        Left("slug:delta", "Delta", 4),
    ]


# --- Properties ----------------------------------------------------------------------------------

POOL = tuple((f"School {chr(65 + i)}", f"school-{i}") for i in range(26))
GROUPS = (None, "A+", "A", "B", "C")


@st.composite
def snapshots(draw) -> Snapshot:
    """A valid snapshot: some schools of the pool, in any order, competition-ranked with ties."""
    picks = draw(st.lists(st.sampled_from(range(len(POOL))), unique=True, max_size=len(POOL)))
    ties = draw(st.lists(st.booleans(), min_size=len(picks), max_size=len(picks)))
    ranks: list[int] = []
    for position, tied in enumerate(ties, start=1):
        ranks.append(ranks[-1] if tied and ranks else position)
    counts = Counter(ranks)
    rows = []
    for index, rank in zip(picks, ranks, strict=True):
        name, slug = POOL[index]
        renamed = draw(st.booleans())
        total = draw(st.one_of(st.none(), st.integers(0, 630).map(lambda t: t / 10)))
        rows.append(
            Row(
                rank=rank,
                name=f"{name} (new name)" if renamed else name,
                slug=slug,
                tied=counts[rank] > 1,
                group=draw(st.sampled_from(GROUPS)),
                scores=(("Excellence", draw(st.sampled_from((None, 10.0, 12.5)))),),
                total=total,
            )
        )
    return snap(*rows, edition=draw(st.integers(2019, 2022)))


def by_type(events, kind):
    return [e for e in events if isinstance(e, kind)]


@given(snapshots())
def test_diff_of_a_snapshot_with_itself_is_empty(s):
    assert diff(s, s) == []


@given(snapshots())
def test_generated_snapshots_are_competition_ranked(s):
    for position, r in enumerate(s.rows, start=1):
        assert r.rank == position or r.rank == s.rows[position - 2].rank
        assert r.tied == (sum(1 for o in s.rows if o.rank == r.rank) > 1)


@given(snapshots(), snapshots())
def test_entered_and_left_match_the_key_sets(a, b):
    events = diff(a, b)
    old_keys, new_keys = {r.key for r in a.rows}, {r.key for r in b.rows}
    entered = Counter(e.key for e in by_type(events, Entered))
    left = Counter(e.key for e in by_type(events, Left))
    assert entered == Counter(new_keys - old_keys)
    assert left == Counter(old_keys - new_keys)
    assert not set(entered) & set(left)
    new_by_key, old_by_key = b.by_key(), a.by_key()
    for e in by_type(events, Entered):
        assert (e.name, e.rank) == (new_by_key[e.key].name, new_by_key[e.key].rank)
    for e in by_type(events, Left):
        assert (e.name, e.rank) == (old_by_key[e.key].name, old_by_key[e.key].rank)


@given(snapshots(), snapshots())
def test_moved_counts_places_from_the_published_ranks(a, b):
    old_by_key, new_by_key = a.by_key(), b.by_key()
    moved = by_type(diff(a, b), Moved)
    expected = {
        k
        for k in old_by_key.keys() & new_by_key.keys()
        if (old_by_key[k].rank, old_by_key[k].tied) != (new_by_key[k].rank, new_by_key[k].tied)
    }
    assert sorted(e.key for e in moved) == sorted(expected)
    for e in moved:
        old, new = old_by_key[e.key], new_by_key[e.key]
        assert (e.old_rank, e.new_rank, e.old_tied, e.new_tied) == (old.rank, new.rank, old.tied, new.tied)
        assert e.places == old.rank - new.rank
        assert e.name == new.name


@given(snapshots(), snapshots())
def test_schools_mentioned_are_consistent(a, b):
    events = diff(a, b)
    old_keys, new_keys = {r.key for r in a.rows}, {r.key for r in b.rows}
    both = old_keys & new_keys
    keyed = [e for e in events if not isinstance(e, NewEdition)]
    assert {e.key for e in keyed} <= old_keys | new_keys
    for kind in (Moved, Renamed, ScoreChanged, GroupChanged):
        assert {e.key for e in by_type(events, kind)} <= both
    for kind in (Moved, Renamed, GroupChanged):
        assert len(by_type(events, kind)) == len({e.key for e in by_type(events, kind)})
    renamed = {e.key for e in by_type(events, Renamed)}
    assert renamed == {k for k in both if a.by_key()[k].name != b.by_key()[k].name}
    assert by_type(events, NewEdition) == ([NewEdition(a.edition, b.edition)] if a.edition != b.edition else [])
    assert events[: len(by_type(events, NewEdition))] == by_type(events, NewEdition)


@given(snapshots(), snapshots())
def test_diff_both_ways_swaps_entered_and_left(a, b):
    forward, backward = diff(a, b), diff(b, a)
    assert {e.key for e in by_type(forward, Entered)} == {e.key for e in by_type(backward, Left)}
    assert {e.key for e in by_type(forward, Left)} == {e.key for e in by_type(backward, Entered)}
    assert sorted(e.places for e in by_type(forward, Moved)) == sorted(-e.places for e in by_type(backward, Moved))
