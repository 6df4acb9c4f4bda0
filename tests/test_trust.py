"""Trust in the silence: every failure counted, warnings told once, editions that cannot be believed held back,
a list flipping between versions kept from comms, corrections by the operator, one lock per database, clean text."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watcher import check as check_module
from watcher import load_config
from watcher.cli import main
from watcher.config import AlertsConfig, SchoolConfig
from watcher.errors import Busy, StoreError
from watcher.layouts import parse_list_page
from watcher.layouts.text import clean
from watcher.model import Known, RankingState, Reading, Snapshot
from watcher.news.decide import decide
from watcher.news.series import renames
from watcher.store import Store
from watcher.store.lock import check_lock, daemon_lock

from .conftest import LIST_PATH, RANKING, Site, SmtpServer, fixture, fixture_snapshot

IMT = SchoolConfig(name="IMT Mines Alès", peers=("IMT Mines Albi",))
RULES = AlertsConfig(failures_before_alert=1)
AT = datetime(2021, 12, 15, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def editions() -> dict[int, Snapshot]:
    return {year: fixture_snapshot(year, ranking="P") for year in (2019, 2020, 2021)}


# --- Editions that cannot be believed yet ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "last", "why"),
    [(2031, 2021, "cannot be later than 2022"), (2021, 2019, "the last edition seen is 2019, so 2021 skips one")],
)
def test_an_edition_too_far_ahead_is_refused_until_the_operator_accepts_it(editions, edition, last, why) -> None:
    typo = replace(editions[2021], edition=edition, content_hash="")
    known = Known("P", snapshots=(editions[last],))
    decision = decide(known, Reading(typo), IMT, RULES, AT)
    assert (decision.outcome, decision.snapshot, decision.alerts) == ("refused", None, ())
    assert decision.error is not None and why in decision.error and "watcher accept-edition" in decision.error
    accepted = replace(known, state=RankingState("P", accepted_edition=edition))
    assert decide(accepted, Reading(typo), IMT, RULES, AT).outcome == "changed"
    # Ops hear of it at the first refusal, whatever the threshold for ordinary failures: only they can answer.
    patient = AlertsConfig(failures_before_alert=5)
    assert [n.kind for n in decide(known, Reading(typo), IMT, patient, AT).notices] == ["failing"]
    assert decide(known, Reading(None, failure="failed", error="timeout"), IMT, patient, AT).notices == ()


def test_the_next_edition_needs_no_word_from_the_operator(editions) -> None:
    decision = decide(Known("P", snapshots=(editions[2020],)), Reading(editions[2021]), IMT, RULES, AT)
    assert decision.outcome == "changed" and len(decision.alerts) == 1


# --- A list flipping between two versions -----------------------------------------------------------------


def test_a_list_coming_back_to_a_version_read_days_ago_tells_ops_not_comms(editions) -> None:
    a = replace(editions[2021], fetched_at=AT)
    b = replace(editions[2020], edition=2021, content_hash="", fetched_at=AT + timedelta(hours=1))  # IMT 33e
    again = replace(a, fetched_at=AT + timedelta(hours=2))
    decision = decide(Known("P", snapshots=(a, b)), Reading(again), IMT, RULES, again.fetched_at)
    assert (decision.outcome, decision.snapshot, decision.alerts) == ("changed", again, ())
    (notice,) = decision.notices
    assert (notice.kind, notice.since) == ("alternating", a.fetched_at)
    # Weeks later the same version is news again: a real revision back, not a cache flipping.
    later = replace(a, fetched_at=AT + timedelta(days=30))
    assert len(decide(Known("P", snapshots=(a, b)), Reading(later), IMT, RULES, later.fetched_at).alerts) == 1


# --- Warnings told once --------------------------------------------------------------------------------


def test_a_warning_is_told_to_ops_once_and_again_only_when_it_changes(editions) -> None:
    school = SchoolConfig(name="IMT Mines Alès", peers=("IMT Mines Alby",))  # a misspelt peer
    known = Known("P", snapshots=(editions[2021],))
    first = decide(known, Reading(None), school, RULES, AT)
    assert [n.kind for n in first.notices] == ["warning"]
    assert first.state.warning is not None and "IMT Mines Alby" in first.state.warning
    second = decide(replace(known, state=first.state), Reading(None), school, RULES, AT + timedelta(hours=1))
    assert second.notices == ()
    other = SchoolConfig(name="IMT Mines Alès", peers=("IMT Mines Alby", "Nowhere"))
    third = decide(replace(known, state=second.state), Reading(None), other, RULES, AT + timedelta(hours=2))
    assert [n.kind for n in third.notices] == ["warning"]
    fixed = decide(replace(known, state=third.state), Reading(None), IMT, RULES, AT + timedelta(hours=3))
    assert (fixed.notices, fixed.state.warning) == ((), None)
    # Coming back while the list is the same (a warning that comes and goes): not told again.
    again = decide(replace(known, state=fixed.state), Reading(None), other, RULES, AT + timedelta(hours=4))
    assert (again.notices, again.state.warning is not None) == ((), True)
    # A new list that no longer shows it forgets it; when it comes back after that, it is told again.
    clean = decide(replace(known, state=again.state), Reading(editions[2020]), IMT, RULES, AT + timedelta(hours=5))
    assert (clean.notices, clean.state.warning_key) == ((), None)
    back = decide(
        replace(known, snapshots=(editions[2021], editions[2020]), state=clean.state),
        Reading(None),
        other,
        RULES,
        AT + timedelta(hours=6),
    )
    assert [n.kind for n in back.notices] == ["warning"]


# --- Every failure counted --------------------------------------------------------------------------------


@pytest.fixture
def config(site: Site, smtp: SmtpServer, write_config) -> Path:
    site.edition(2020)
    return write_config(smtp.port, extra="[alerts]\nfailures_before_alert = 1", ops_to="ops@example.org")


def test_a_crash_in_a_check_is_counted_and_told_to_ops(config: Path, smtp: SmtpServer, monkeypatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(check_module, "observe", crash)
    cfg = load_config(config)
    with Store.open(cfg.database) as store:
        assert main(["--config", str(config), "check"]) == 1
        state = store.state(RANKING)
    assert (state.failures, state.failing_alerted) == (1, True)
    assert state.last_error is not None and "internal error" in state.last_error and "a bug" in state.last_error
    (notice,) = smtp.inbox.messages
    assert (notice["To"], notice["X-Watcher-Kind"]) == ("ops@example.org", "ops")


class BrokenStore(Store):
    """A database that can be opened but neither read nor written any more (a disk gone read-only)."""

    def known(self, ranking: str) -> Known:
        raise StoreError("Cannot read what is known of the ranking from the database: disk I/O error.")

    def state(self, ranking: str) -> RankingState:
        raise StoreError("Cannot read the state from the database: disk I/O error.")


def test_a_failure_the_database_cannot_take_is_mailed_to_ops_once_a_day(config: Path, smtp: SmtpServer) -> None:
    from watcher.mail import SmtpMailer
    from watcher.pages.fetch import Fetcher

    cfg = load_config(config)
    check_module._told_unrecorded.clear()
    with BrokenStore.open(cfg.database) as store, Fetcher(cfg.fetch, cfg.contact) as fetcher:
        mailer = SmtpMailer.from_env(cfg.email)
        for _ in range(2):
            result = check_module.run_check(cfg, store=store, fetcher=fetcher, mailer=mailer)
            assert result.exit_code == 1
    (message,) = smtp.inbox.messages
    assert message["To"] == "ops@example.org"
    assert "disk I/O error" in message.get_content()


# --- Corrections by the operator ---------------------------------------------------------------------


def test_forget_removes_one_edition_and_its_unsent_alerts_with_a_dry_run_first(tmp_path: Path, editions) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Message-ID"], message["Subject"], message["To"] = "<a@example.org>", "IMT 2031", "c@example.org"
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], snapshot=editions[2020])
        store.record_check("P", [], snapshot=replace(editions[2021], edition=2031, content_hash=""), alerts=[message])
        assert [s.edition for s in store.forget("P", 2031, dry_run=True)] == [2031]
        assert [s.edition for s in store.snapshots("P")] == [2020, 2031] and len(store.pending()) == 1
        assert [s.edition for s in store.forget("P", 2031)] == [2031]
        assert [s.edition for s in store.snapshots("P")] == [2020]
        assert store.pending() == []
        assert store.forget("P", 1999) == []


def test_accept_edition_is_kept_in_the_rankings_state(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        store.record_check("P", [], state=RankingState("P", failures=2))
        store.accept_edition("P", 2031)
        assert store.state("P") == RankingState("P", failures=2, accepted_edition=2031)


def test_renames_follow_a_ranking_by_its_url_only_when_unambiguous() -> None:
    stored = [
        ("Old", "https://x/list"),
        ("Gone", "https://x/other"),
        ("Twin1", "https://x/t"),
        ("Twin2", "https://x/t"),
    ]
    configured = [("New", "https://x/list"), ("Kept", "https://x/k"), ("T", "https://x/t"), ("Gone", "https://x/o2")]
    assert renames(configured, stored) == [("Old", "New")]


def test_a_ranking_renamed_in_the_config_keeps_its_history(config: Path, site: Site, smtp: SmtpServer) -> None:
    assert main(["--config", str(config), "check"]) == 0
    config.write_text(config.read_text(encoding="utf-8").replace(f'name = "{RANKING}"', 'name = "Palmarès"'))
    site.edition(2021)
    assert main(["--config", str(config), "check"]) == 0
    (alert,) = smtp.inbox.messages  # not a second baseline: the move is told
    assert "27e" in alert["Subject"]


# --- One lock per database --------------------------------------------------------------------------------


def test_the_lock_holds_whatever_path_reaches_the_database(tmp_path: Path) -> None:
    real = tmp_path / "data" / "watcher.db"
    real.parent.mkdir()
    (tmp_path / "link").symlink_to(real.parent)
    with daemon_lock(real), pytest.raises(Busy):
        daemon_lock(tmp_path / "link" / "watcher.db").acquire()
    with check_lock(Path(os.path.relpath(real))), pytest.raises(Busy):
        check_lock(tmp_path / "link" / "watcher.db").acquire()


def test_a_lock_that_cannot_be_taken_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "watcher.db.check.lock").mkdir()  # as unusable as a file left by another user
    with pytest.raises(StoreError, match="delete it or give it to the user that runs watcher"):
        check_lock(tmp_path / "watcher.db").acquire()


# --- Clean text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scraped", "shown"),
    [
        ("IMT Mines Alès", "IMT Mines Alès"),
        ("IMT\u202eseniM", "IMTseniM"),  # a right-to-left override
        ("\x1b[31mÉcole\x1b[0m  rouge", "École rouge"),  # ANSI colours
        ("=?utf-8?b?SGFjaw==?=", "= ?utf-8?b?SGFjaw== ?="),  # a literal encoded-word is not decoded by mail readers
        ("École\u00a0des\tMines\u200b", "École des Mines"),
        ("a\x00b\x07c", "abc"),
    ],
)
def test_scraped_text_is_cleaned_before_it_goes_anywhere(scraped: str, shown: str) -> None:
    assert clean(scraped) == shown


def test_a_hostile_school_name_is_read_clean(site: Site) -> None:
    page = fixture("palmares-general-2020.html").replace(
        "IMT Mines Alès".encode(), "IMT Mines Alès\u202e\x1b[2J".encode()
    )
    (imt,) = [r for r in parse_list_page(page, "https://www.letudiant.fr" + LIST_PATH).rows if "Alès" in r.name]
    assert imt.name == "IMT Mines Alès"


def test_a_typo_in_the_edition_waits_for_accept_edition_and_forget_undoes_it(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert main(["--config", str(config), "check"]) == 0  # 2020: the baseline
    site.edition(2021)
    for path, body in list(site.pages.items()):
        site.pages[path] = body.replace("Palmarès 2021 des".encode(), "Palmarès 2031 des".encode())
    assert main(["--config", str(config), "check"]) == 1
    assert "run `watcher accept-edition" in capsys.readouterr().err
    assert [m for m in smtp.inbox.messages if m["X-Watcher-Kind"] != "ops"] == []
    assert main(["--config", str(config), "accept-edition", RANKING, "2031"]) == 0
    assert main(["--config", str(config), "check"]) == 0
    assert any("2031" in m["Subject"] for m in smtp.inbox.messages)
    assert main(["--config", str(config), "forget", RANKING, "2031", "--dry-run"]) == 0
    assert "Would remove" in capsys.readouterr().out
    assert main(["--config", str(config), "forget", RANKING, "2031"]) == 0
    with Store.open(load_config(config).database) as store:
        assert [s.edition for s in store.snapshots(RANKING)] == [2020]
    # Undone for good: the same pages are read again (no 304 from the forgotten list) and refused again.
    assert main(["--config", str(config), "check"]) == 1
    assert "run `watcher accept-edition" in capsys.readouterr().err


def test_a_check_in_flight_is_named_by_its_own_pid_whatever_an_earlier_holder_wrote(tmp_path: Path) -> None:
    # The holder's line is written over in place, not after a truncation: no tail of a longer line may remain.
    database = tmp_path / "watcher.db"
    (tmp_path / "watcher.db.check.lock").write_text("pid 4194303, since 1999-12-31 23:59:59 UTC (an older watcher)")
    with check_lock(database), pytest.raises(Busy) as caught:
        check_lock(database).acquire()
    said = str(caught.value)
    assert f"A check is already running on this database (pid {os.getpid()}, since " in said
    assert "1999" not in said and "older" not in said and said.endswith(" UTC).")


def test_forget_and_accept_edition_wait_for_a_check_in_flight_and_name_a_misspelt_ranking(
    config: Path, site: Site, capsys
) -> None:
    assert main(["--config", str(config), "check"]) == 0  # 2020: the baseline
    database = load_config(config).database
    with check_lock(database):  # a check is running: its write would undo the repair
        assert main(["--config", str(config), "forget", RANKING, "2020"]) == 2
        assert main(["--config", str(config), "accept-edition", RANKING, "2031"]) == 2
        assert capsys.readouterr().err.count("A check is already running") == 2
    with Store.open(database) as store:
        assert [s.edition for s in store.snapshots(RANKING)] == [2020]
        assert store.state(RANKING).accepted_edition is None
    assert main(["--config", str(config), "forget", "Palmarès général des écoles d'ingénieur", "2020"]) == 2
    assert f"the rankings it holds: {RANKING!r}" in capsys.readouterr().err


def test_a_retry_after_told_to_one_check_is_honoured_by_the_next_process(config: Path, site: Site, capsys) -> None:
    site.statuses[LIST_PATH] = [(503, {"Retry-After": "7200"})] * 10
    assert main(["--config", str(config), "check"]) == 1
    asked = len([r for r in site.requests if r.path == LIST_PATH])
    assert asked >= 1
    with Store.open(load_config(config).database) as store:
        (host,) = [h for h in store.hosts() if h.not_before is not None]
    assert host.not_before is not None and host.not_before > datetime.now(UTC) + timedelta(minutes=90)
    capsys.readouterr()
    assert main(["--config", str(config), "check"]) == 1  # a new Fetcher, in a new run: the host is left alone
    assert len([r for r in site.requests if r.path == LIST_PATH]) == asked
    assert "again" in capsys.readouterr().err


def test_a_check_past_its_deadline_is_abandoned_and_counted_while_the_others_go_on(
    site: Site, smtp: SmtpServer, write_config, capsys
) -> None:
    import socket
    import threading

    tarpit = socket.create_server(("127.0.0.1", 0))  # accepts, reads, never answers
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(tarpit.accept()[0]), daemon=True).start()
    site.edition(2020)
    slow = f"http://127.0.0.1:{tarpit.getsockname()[1]}/classement.html"
    config = write_config(smtp.port, extra=f'[[rankings]]\nname = "Slow"\nurl = "{slow}"\n')
    fetch = "[fetch]\ncheck_deadline_seconds = 1\nrespect_robots_txt = false\n"  # the tarpit has no robots.txt
    text = config.read_text(encoding="utf-8").replace("[fetch]\n", fetch)
    config.write_text(text, encoding="utf-8")
    try:
        assert main(["--config", str(config), "check"]) == 1
    finally:
        tarpit.close()
    out = capsys.readouterr()
    assert f"{RANKING}: baseline" in out.out and "Slow: failed" in out.out
    assert "ran past its deadline of 1 s (fetch.check_deadline_seconds)" in out.err
    with Store.open(load_config(config).database) as store:
        assert store.state("Slow").failures == 1


def test_a_rank_cell_nested_thousands_deep_is_read_or_refused_never_a_crash() -> None:
    page = fixture("palmares-general-2020.html")
    start = page.index(b">", page.index(b'<td class="c-pmd-table__rank')) + 1
    deep = page[:start] + b"<span>" * 5000 + page[start : start + 1] + b"</span>" * 5000 + page[start + 1 :]
    read = parse_list_page(deep, "https://www.letudiant.fr" + LIST_PATH)
    assert read.rows[0].rank == 1 and len(read.rows) == 167


def test_a_long_lived_fetcher_takes_in_what_another_process_learnt_and_never_undoes_it() -> None:
    """The daemon's fetcher, before each run: a pause and a robots.txt written by a `watcher check` run by hand
    meanwhile are kept (the later pause, the newer robots.txt win), so the daemon's write does not erase them."""
    from watcher.config import FetchConfig
    from watcher.model import HostMemory
    from watcher.pages.fetch import Fetcher

    soon, later = AT + timedelta(hours=1), AT + timedelta(hours=3)
    now = datetime.now(UTC)
    with Fetcher(
        FetchConfig(), "ops@example.org", [HostMemory("site.example", not_before=now + timedelta(hours=1))]
    ) as f:
        f.remember([HostMemory("site.example", not_before=now + timedelta(hours=3))])
        f.remember([HostMemory("site.example", not_before=now + timedelta(minutes=5))])  # older news: ignored
        robots = HostMemory("other.example", robots="User-agent: *\nDisallow: /x\n", robots_status=200,
                            robots_fetched_at=later)  # fmt: skip
        f.remember([robots])
        f.remember([HostMemory("other.example", robots="", robots_status=200, robots_fetched_at=soon)])
        kept = {h.host: h for h in f.hosts()}
    assert kept["site.example"].not_before is not None
    assert kept["site.example"].not_before > now + timedelta(hours=2)
    assert kept["other.example"].robots == robots.robots
