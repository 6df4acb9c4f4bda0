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
    school = SchoolConfig(name=IMT, subsets=[{"name": "école de l'IMT ou des Mines", "schools": MEMBERS}])
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


def test_members_by_city_and_by_id_and_ties_share_a_place(editions) -> None:
    new = editions[2021]
    me = next(r for r in new.rows if r.bare_name == IMT)
    # A member ranked with the school: ties share the place, and the place says so.
    twin = next((r for r in new.rows if r.rank == me.rank and r.key != me.key), None)
    ahead = [r for r in new.rows if r.rank < me.rank][:2]
    names = tuple(r.bare_name for r in ahead) + ((twin.bare_name,) if twin else ())
    school = SchoolConfig(name=IMT, subsets=[{"name": "école choisie", "schools": names}])
    old = editions[2020]
    (alert,) = alerts_for(old, new, diff(old, new), school)
    (place,) = alert.subsets
    assert (place.position, place.size, place.tied) == (3, len(names) + 1, twin is not None)
    assert me.city  # the palmarès writes each school's city
    by_city = SchoolConfig(name=IMT, subsets=[{"name": "école de la ville", "cities": [me.city.upper()]}])
    (alert,) = alerts_for(old, new, diff(old, new), by_city)
    same_city = [r for r in new.rows if r.city == me.city]
    assert alert.subsets[0].size == len(same_city)


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
