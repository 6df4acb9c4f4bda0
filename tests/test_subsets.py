"""Ranks within a subset the config names ("3e école post-bac"): computed from the list, stated and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.config import SchoolConfig, from_dict
from watcher.errors import ConfigError
from watcher.french.prose import prose
from watcher.french.render import figures
from watcher.model import Snapshot
from watcher.news.diff import diff
from watcher.news.rules import alerts_for
from watcher.tables import build

from .conftest import fixture_snapshot

IMT = "IMT Mines Alès"
MEMBERS = ("IMT Mines Albi", "Mines Saint-Étienne", "IMT Atlantique", "IMT Nord Europe", "Télécom Paris")


@pytest.fixture(scope="module")
def editions() -> dict[int, Snapshot]:
    return {year: fixture_snapshot(year) for year in (2020, 2021)}


def place_by_hand(snapshot: Snapshot, names: tuple[str, ...]) -> tuple[int, int]:
    """Position and size among `names` and the school, counted the plain way: sort the members by rank."""
    rows = [r for r in snapshot.rows if r.bare_name in (*names, IMT)]
    me = next(r for r in rows if r.bare_name == IMT)
    return 1 + len([r for r in rows if r.rank < me.rank]), len(rows)


def test_the_place_among_named_schools_is_counted_from_the_list(editions) -> None:
    school = build(
        SchoolConfig, {"name": IMT, "subsets": [{"name": "école de l'IMT ou des Mines", "schools": MEMBERS}]}
    )
    old, new = editions[2020], editions[2021]
    (alert,) = alerts_for(old, new, diff(old, new), school)
    (place,) = alert.subsets
    assert (place.position, place.size) == place_by_hand(new, MEMBERS)
    assert place.before == place_by_hand(old, MEMBERS)[0]
    assert place.size >= 3  # the fixtures list most of the members: the test says something
    line = figures(alert).subset_lines[0]
    assert line.startswith(f"{place.position}e école de l'IMT ou des Mines (sur {place.size} classées ; ")
    assert "que la configuration range sous « école de l'IMT ou des Mines »" in line
    assert f"Elle est la {place.position}e école de l'IMT ou des Mines de ce classement." in prose(alert).paragraph


def test_members_by_id_and_by_city_ties_share_a_place_and_a_subset_of_one_is_not_told() -> None:
    from datetime import UTC, datetime

    from watcher.model import Row

    def listed(*rows: Row) -> Snapshot:
        return Snapshot("R", "https://x/list.html", 2026, rows, datetime(2026, 1, 21, tzinfo=UTC))

    old = listed(
        Row(1, "A", slug="101", city="Lyon"),
        Row(2, "IMT Mines Alès", slug="3069", city="Alès"),
        Row(3, "B", slug="102", city="Toulouse"),
        Row(4, "C", slug="103", city="Toulouse"),
    )
    new = listed(
        Row(1, "A", slug="101", city="Lyon"),
        Row(2, "B", slug="102", city="Toulouse"),
        Row(3, "IMT Mines Alès", slug="3069", city="Alès", tied=True),
        Row(3, "C", slug="103", city="Toulouse", tied=True),
    )
    subsets = [
        {"name": "école choisie", "schools": ["101", "C"]},  # one by its directory id, one by name
        {"name": "école du Sud", "cities": ["toulouse", "ALÈS"]},
        {"name": "école absente", "schools": ["Nowhere"]},  # only the school itself: nothing to tell
    ]
    school = build(SchoolConfig, {"name": IMT, "subsets": subsets})
    (alert,) = alerts_for(old, new, diff(old, new), school)
    chosen, south = alert.subsets
    # A (1st) ahead; C shares the 3rd rank: 2nd of three, ex aequo; before: A ahead, C behind: 2nd.
    assert (chosen.name, chosen.position, chosen.size, chosen.tied, chosen.before) == ("école choisie", 2, 3, True, 2)
    # B (2nd) ahead, C tied: 2nd of three, ex aequo; before: 1st (B and C were behind).
    assert (south.name, south.position, south.size, south.tied, south.before) == ("école du Sud", 2, 3, True, 1)
    assert "Elle est la 2e école choisie ex aequo de ce classement." in prose(alert).paragraph


def test_a_subset_without_members_names_the_key_and_the_fix(tmp_path: Path) -> None:
    data = {
        "school": {"name": IMT, "subsets": [{"name": "école post-bac"}]},
        "rankings": [{"name": "R", "url": "https://www.letudiant.fr/x.html"}],
        "email": {"to": ["a@example.org"], "from": "w@example.org"},
    }
    with pytest.raises(ConfigError) as caught:
        from_dict(data, base_dir=tmp_path)
    message = str(caught.value)
    assert "school.subsets" in message and 'schools = ["' in message
