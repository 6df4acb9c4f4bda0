"""decide(): what one check means, from what was known and what the network gave. Pure: values in, values out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from watcher.config import AlertsConfig, SchoolConfig
from watcher.model import Indicator, Known, RankingState, Reading, SchoolPage, Snapshot, Value
from watcher.news.decide import decide, leaving
from watcher.news.series import latest, previous_check, previous_edition

from .conftest import fixture_snapshot

IMT = SchoolConfig(name="IMT Mines Alès", peers=("IMT Mines Albi",))
RULES = AlertsConfig(failures_before_alert=2)
AT = datetime(2021, 12, 15, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def editions() -> dict[int, Snapshot]:
    return {year: fixture_snapshot(year, ranking="P") for year in (2019, 2020, 2021)}


def without(snapshot: Snapshot, name: str) -> Snapshot:
    """The same list with one school cut out and the ranks below it moved up."""
    rows = [r for r in snapshot.rows if r.bare_name != name]
    rows = [replace(r, rank=r.rank - 1) if r.rank > 30 else r for r in rows]
    return replace(snapshot, rows=tuple(rows), content_hash="")


def page(edition: int, salary: str) -> SchoolPage:
    value = Value("number", salary, float(salary.replace(" ", "").removesuffix("€")), unit="€")
    fetched = datetime(edition, 12, 15, tzinfo=UTC)
    return SchoolPage(
        "imt-mines-ales", "https://x/imt.html", "IMT Mines Alès", (Indicator(None, "Salaire", value),), fetched, edition
    )


def test_a_first_list_is_the_baseline_recorded_without_alerts(editions) -> None:
    decision = decide(Known("P"), Reading(editions[2020]), IMT, RULES, AT)
    assert (decision.outcome, decision.snapshot, decision.alerts) == ("baseline", editions[2020], ())
    assert decision.school_row is not None and decision.school_row.rank == 33
    assert decision.state == RankingState("P", last_check_at=AT, last_ok_at=AT, last_change_at=AT)


def test_a_new_edition_gives_one_alert_with_its_figures_and_the_school_pages_changes(editions) -> None:
    known = Known("P", snapshots=(editions[2019], editions[2020]), school_pages=(page(2020, "38 000 €"),))
    decision = decide(known, Reading(editions[2021], school_pages=(page(2021, "41 000 €"),)), IMT, RULES, AT)
    (alert,) = decision.alerts
    assert (decision.outcome, alert.kind, alert.places, alert.revision) == ("changed", "moved", 6, False)
    assert alert.share is not None and (alert.share.ahead, alert.share.count) == (26, editions[2021].count)
    assert [s.edition for s in alert.series] == [2019, 2020, 2021]
    assert [(c.old, c.new, c.direction) for c in alert.indicators] == [("38 000 €", "41 000 €", 1)]
    assert decision.school_pages == (page(2021, "41 000 €"),)


def test_an_unchanged_list_records_nothing_and_shows_the_last_one(editions) -> None:
    known = Known("P", snapshots=(editions[2020],), school_pages=(page(2020, "38 000 €"),))
    again = replace(editions[2020], fetched_at=AT)
    decision = decide(known, Reading(again, school_pages=(page(2020, "38 000 €"),)), IMT, RULES, AT)
    assert (decision.outcome, decision.snapshot, decision.shown, decision.alerts) == (
        "unchanged",
        None,
        editions[2020],
        (),
    )
    assert decision.school_pages == ()  # the same school page is not kept twice


def test_every_page_answering_304_is_not_modified(editions) -> None:
    decision = decide(Known("P", snapshots=(editions[2020],)), Reading(None), IMT, RULES, AT)
    assert (decision.outcome, decision.snapshot, decision.shown) == ("not-modified", None, editions[2020])


def test_a_failed_read_records_nothing_and_counts_a_failure(editions) -> None:
    known = Known("P", snapshots=(editions[2020],), state=RankingState("P", failures=1, failing_since=AT))
    decision = decide(known, Reading(failure="failed", error="HTTP 503"), IMT, RULES, AT + timedelta(hours=1))
    assert (decision.outcome, decision.snapshot, decision.alerts, decision.error) == ("failed", None, (), "HTTP 503")
    assert decision.state.failures == 2
    assert [n.kind for n in decision.notices] == ["failing"]


def test_a_school_leaving_on_one_read_is_refused_never_told(editions) -> None:
    gone = without(editions[2021], "IMT Mines Alès")
    known = Known("P", snapshots=(editions[2021],))
    decision = decide(known, Reading(gone), IMT, RULES, AT)
    assert (decision.outcome, decision.snapshot, decision.alerts) == ("refused", None, ())
    assert decision.error is not None and "IMT Mines Alès seemed to have left" in decision.error


def test_a_school_leaving_confirmed_by_a_second_read_is_told_so(editions) -> None:
    gone = without(editions[2021], "IMT Mines Alès")
    decision = decide(Known("P", snapshots=(editions[2021],)), Reading(gone, confirmed_reads=2), IMT, RULES, AT)
    (alert,) = decision.alerts
    assert (decision.outcome, alert.kind, alert.confirmed_reads) == ("changed", "left", 2)


def test_leaving_names_the_school_and_peers_gone_only_when_the_school_is_concerned(editions) -> None:
    new = editions[2021]
    assert leaving(new, without(new, "IMT Mines Albi"), IMT) == ("IMT Mines Albi",)
    assert leaving(new, new, IMT) == ()
    assert leaving(None, new, IMT) == ()
    assert leaving(new, without(new, "IMT Mines Albi"), SchoolConfig(name="Nowhere School")) == ()


def test_an_imported_edition_is_history_not_a_base_for_news(editions) -> None:
    imported = replace(editions[2020], origin="import")
    decision = decide(Known("P", snapshots=(imported,)), Reading(editions[2021]), IMT, RULES, AT)
    assert (decision.outcome, decision.alerts) == ("baseline", ())


def test_latest_and_previous_mean_one_thing(editions) -> None:
    first = editions[2021]
    revised = replace(first, fetched_at=first.fetched_at + timedelta(days=2), origin="import")
    snapshots = [editions[2020], revised, first, editions[2019]]  # recorded in this order
    assert latest(snapshots) is revised  # the newest edition, then the last read of it
    assert previous_check(snapshots) is first  # imported copies are never the base for news
    assert previous_edition(snapshots, 2021) is editions[2020]
    assert latest([]) is None and previous_edition(snapshots, 2019) is None


def test_a_new_list_is_never_judged_without_the_history(editions) -> None:
    """A check reads only the last list until a page comes with content; news told from that alone would miss every
    edition before it (the series, a flip back, an edition far ahead), so `decide` refuses."""
    light = Known("P", snapshots=(editions[2020],), history=False)
    with pytest.raises(ValueError, match="without the ranking's history"):
        decide(light, Reading(editions[2021]), IMT, RULES, AT)
    assert decide(light, Reading(), IMT, RULES, AT).outcome == "not-modified"  # a 304 needs no more
    whole = Known("P", snapshots=(editions[2019], editions[2020]))
    assert decide(whole, Reading(editions[2021]), IMT, RULES, AT).outcome == "changed"
