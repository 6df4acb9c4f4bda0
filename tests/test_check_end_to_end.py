"""`watcher check` end to end: fixture pages over real HTTP, alerts over real SMTP, a real SQLite file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from watcher import check as check_module
from watcher import load_config
from watcher.cli import main
from watcher.errors import StoreError
from watcher.layouts import engine as engine_module
from watcher.model import Known, RankingState, Snapshot
from watcher.pages.fetch import Fetcher
from watcher.store import Store

from .conftest import LIST_PATH, Site, SmtpServer, fixture


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def db(config: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(config.parent / "watcher.db")


@pytest.fixture
def config(site: Site, smtp: SmtpServer, write_config) -> Path:
    site.edition(2020)
    return write_config(smtp.port)


def test_first_check_records_a_baseline_and_sends_nothing(config: Path, smtp: SmtpServer, capsys) -> None:
    assert run(config, "check") == 0
    assert smtp.inbox.messages == []
    assert db(config)["snapshots"].count == 1
    assert db(config)["rows"].count == 167
    out = capsys.readouterr().out
    assert "baseline" in out and "IMT Mines Alès 33e" in out


def test_new_edition_sends_exactly_one_alert_with_the_right_numbers(config: Path, site: Site, smtp: SmtpServer) -> None:
    assert run(config, "check") == 0
    site.edition(2021)
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Subject"] == ("IMT Mines Alès : 27e (+6 places) au Palmarès général des écoles d'ingénieurs 2021")
    assert message["To"] == "communication@example.org"
    text = message.get_body(("plain",)).get_content()
    for expected in (
        "33e en 2020, 27e en 2021",
        "33 − 27 = 6",
        "168 écoles classées",
        "Groupe A : 16e sur 34",
        "première moitié du groupe A",
        "dans les 17 % premières écoles",
        "Note totale : 43,5 points (édition 2020 : 41,8 points)",
        LIST_PATH,
        "heure de Paris",
    ):
        assert expected in text, expected
    html = message.get_body(("html",)).get_content()
    assert "27e" in html and "<script" not in html
    # Both pages of the split 2021 list were read: 168 rows in the new snapshot.
    snapshots = list(db(config)["snapshots"].rows_where(order_by="id"))
    assert [s["school_count"] for s in snapshots] == [167, 168]
    assert db(config)["outbox"].get(message["Message-ID"])["status"] == "sent"
    # A later check of the same page sends nothing more.
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1


def test_unchanged_page_adds_no_snapshot_and_sends_nothing(config: Path, site: Site, smtp: SmtpServer) -> None:
    site.etags = False  # the server answers 200 every time
    assert run(config, "check") == 0
    # Same ranking, other page bytes (an ad changed): still nothing new.
    site.pages[LIST_PATH] = site.pages[LIST_PATH].replace(b"publicit", b"Publicit")
    assert run(config, "check") == 0
    assert db(config)["snapshots"].count == 1
    assert smtp.inbox.messages == []
    outcomes = [f["outcome"] for f in db(config)["fetches"].rows_where("url like '%home.html'", order_by="id")]
    assert outcomes == ["fetched", "fetched"]


def test_not_modified_skips_parsing(config: Path, site: Site, monkeypatch, capsys) -> None:
    assert run(config, "check") == 0
    calls: list[str] = []
    real = engine_module.parse_list_page
    monkeypatch.setattr(engine_module, "parse_list_page", lambda *a, **k: calls.append("parse") or real(*a, **k))
    capsys.readouterr()
    assert run(config, "check") == 0
    assert calls == []
    last = site.list_requests()[-1]
    assert last.headers.get("If-None-Match")
    assert "not-modified" in capsys.readouterr().out
    assert db(config)["snapshots"].count == 1


@pytest.mark.parametrize("variant", sorted(p.name for p in (Path(__file__).parents[1] / "fixtures/refused").iterdir()))
def test_refused_pages_send_no_alert_and_exit_1(
    config: Path, site: Site, smtp: SmtpServer, variant: str, capsys
) -> None:
    assert run(config, "check") == 0
    site.pages[LIST_PATH] = fixture(f"refused/{variant}")
    assert run(config, "check") == 1
    assert smtp.inbox.messages == []
    assert db(config)["snapshots"].count == 1
    assert db(config)["outbox"].count == 0
    err = capsys.readouterr().err
    assert "Nothing was recorded" in err
    refused = list(db(config)["fetches"].rows_where("outcome = 'refused'"))
    assert refused and refused[0]["error"]
    # The refused page left no validators behind: when the site is fixed, it is read again.
    site.edition(2021)
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1


def test_missing_second_page_is_a_failure_not_schools_leaving(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert run(config, "check") == 0
    site.edition(2021)
    del site.pages[LIST_PATH + "?page=2"]
    assert run(config, "check") == 1
    assert "page 2 of the list could not be fetched" in capsys.readouterr().err
    assert smtp.inbox.messages == []
    assert db(config)["snapshots"].count == 1


def test_alert_waits_in_the_outbox_while_smtp_is_down_then_is_sent_once(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert run(config, "check") == 0
    smtp.stop()
    site.edition(2021)
    assert run(config, "check") == 0  # the ranking was read: mail trouble is not a failed check
    assert "stays in the outbox" in capsys.readouterr().err
    assert run(config, "check") == 0  # still down: still pending, still one row
    outbox = list(db(config)["outbox"].rows)
    assert [(r["status"], r["attempts"]) for r in outbox] == [("pending", 2)]
    smtp.start()
    assert run(config, "check") == 0
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["Message-ID"] == outbox[0]["message_id"]


def test_an_alert_waiting_in_the_outbox_goes_to_the_address_the_config_names_now(
    config: Path, site: Site, smtp: SmtpServer
) -> None:
    assert run(config, "check") == 0
    smtp.stop()
    site.edition(2021)
    assert run(config, "check") == 0  # the alert waits in the outbox
    # The comms team changes email.to meanwhile (a new address, a typo corrected): the alert goes there.
    config.write_text(config.read_text().replace('to = ["communication@example.org"]', 'to = ["press@example.org"]'))
    smtp.start()
    assert run(config, "check") == 0
    assert [m["To"] for m in smtp.inbox.messages] == ["press@example.org"]
    assert [r["recipients"] for r in db(config)["outbox"].rows] == ["press@example.org"]


def test_starttls_delivery(site: Site, tls_smtp: SmtpServer, write_config) -> None:
    site.edition(2020)
    config = write_config(tls_smtp.port, starttls=True)
    assert run(config, "check") == 0
    site.edition(2021)
    assert run(config, "check") == 0
    assert len(tls_smtp.inbox.messages) == 1
    assert tls_smtp.inbox.tls_used == [True]


def test_starttls_refused_by_a_plain_server_is_explained(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    config = write_config(smtp.port, starttls=True)
    run(config, "check")
    site.edition(2021)
    run(config, "check")
    assert "does not offer STARTTLS" in capsys.readouterr().err
    assert smtp.inbox.messages == []


def test_bad_config_exits_2_naming_the_key(tmp_path: Path, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[rankings]]\nname = "x"\nurl = "https://example.org/"\n[email]\nto = ["a@example.org"]\n'
        'from = "b@example.org"\nsmtp_port = "twenty-five"\n',
        encoding="utf-8",
    )
    assert run(path, "check") == 2
    err = capsys.readouterr().err
    assert "email.smtp_port" in err and "whole number" in err


def test_one_failing_ranking_does_not_stop_the_others(
    site: Site, smtp: SmtpServer, write_config, httpserver, capsys
) -> None:
    site.edition(2020)
    config = write_config(
        smtp.port, extra=f'[[rankings]]\nname = "Ailleurs"\nurl = "{httpserver.url_for("/gone.html")}"\n'
    )
    assert run(config, "check") == 1
    out = capsys.readouterr()
    assert "Palmarès général des écoles d'ingénieurs: baseline" in out.out
    assert "404" in out.err
    assert db(config)["snapshots"].count == 1


def test_history_prints_each_edition(config: Path, site: Site, capsys) -> None:
    for year in (2019, 2020, 2021):
        site.edition(year)
        assert run(config, "check") == 0
    capsys.readouterr()
    assert run(config, "history") == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if line.strip()[:4].isdigit()]
    assert [(cols[0], cols[1]) for cols in lines] == [("2019", "40e"), ("2020", "33e"), ("2021", "27e")]


def test_a_list_cut_short_at_its_tail_sends_no_left_alert(config: Path, site: Site, smtp: SmtpServer, capsys) -> None:
    site.edition(2021)
    assert run(config, "check") == 0
    # The list loses its last ten schools (158 of 168, more than four fifths), and no count on the page says so.
    for path in (LIST_PATH, LIST_PATH + "?page=2"):
        site.pages[path] = site.pages[path].replace("classe 168 écoles".encode(), "classe des écoles".encode())
    page2 = site.pages[LIST_PATH + "?page=2"]
    cut = page2.rindex(b'<tr class="c-pmd-table__row">')
    for _ in range(9):
        cut = page2.rindex(b'<tr class="c-pmd-table__row">', 0, cut)
    site.pages[LIST_PATH + "?page=2"] = page2[:cut] + page2[page2.index(b"</tbody>") :]
    assert run(config, "check") == 1
    assert "158 schools read where the same edition listed 168: the list looks cut short" in capsys.readouterr().err
    assert smtp.inbox.messages == []
    assert db(config)["snapshots"].count == 1


def test_a_revised_list_of_the_same_edition_alerts_as_a_revision(config: Path, site: Site, smtp: SmtpServer) -> None:
    site.edition(2021)
    assert run(config, "check") == 0
    # L'Étudiant corrects the list: IMT Mines Alès (27e) and the school ranked 28e swap places.
    page = site.pages[LIST_PATH].decode()
    imt_link = page.index(">IMT Mines Alès</a>")
    next_row = page.index('<tr class="c-pmd-table__row">', imt_link)
    imt_row_start = page.rindex('<tr class="c-pmd-table__row">', 0, imt_link)
    imt_row, other_row = page[imt_row_start:next_row], page[next_row : page.index("</tr>", next_row) + 5]
    assert ">27e<" in imt_row and ">28e<" in other_row
    swapped = other_row.replace(">28e<", ">27e<") + "\n" + imt_row.replace(">27e<", ">28e<")
    site.pages[LIST_PATH] = page.replace(imt_row + other_row, swapped, 1).encode()
    assert run(config, "check") == 0
    (message,) = smtp.inbox.messages
    assert message["Subject"] == (
        "IMT Mines Alès : 28e (−1 place) au Palmarès général des écoles d'ingénieurs 2021 (liste révisée)"
    )
    text = message.get_body(("plain",)).get_content()
    assert "perd 1 place : 27e avant la révision, 28e dans la liste révisée" in text
    assert "IMT Mines Alès perd une place dans la liste révisée du" in text


def test_a_misspelt_peer_is_pointed_out(site: Site, smtp: SmtpServer, write_config, capsys) -> None:
    site.edition(2020)
    config = write_config(smtp.port)
    text = config.read_text(encoding="utf-8").replace(
        'name = "IMT Mines Alès"', 'name = "IMT Mines Alès"\npeers = ["IMT Mines Albi", "Mines Sant-Etienne"]'
    )
    config.write_text(text, encoding="utf-8")
    assert run(config, "check") == 0
    err = capsys.readouterr().err
    assert "peer Mines Sant-Etienne is not in this list" in err and "IMT Mines Albi" not in err


def test_a_crash_in_one_ranking_does_not_stop_the_others(
    site: Site, smtp: SmtpServer, write_config, httpserver, monkeypatch, capsys
) -> None:
    site.edition(2020)
    extra = f'[[rankings]]\nname = "Bis"\nurl = "{httpserver.url_for(LIST_PATH)}"\n'
    config = write_config(smtp.port, extra=extra)
    real = check_module.check_ranking

    def crash_on_the_first(ranking, *args, **kwargs):  # stands in for a bug no local part can trigger
        if ranking.name != "Bis":
            raise RuntimeError("boom")
        return real(ranking, *args, **kwargs)

    monkeypatch.setattr(check_module, "check_ranking", crash_on_the_first)
    assert run(config, "check") == 1
    out = capsys.readouterr()
    assert "Bis: baseline" in out.out
    assert "internal error: RuntimeError: boom" in out.err


def test_a_list_that_moves_onto_two_pages_is_then_watched_on_both(config: Path, site: Site, smtp: SmtpServer) -> None:
    # The 2021 list on one page, then the same list split over two: then a revision of page 2 alone.
    site.edition(2021)
    page1, page2 = site.pages[LIST_PATH], site.pages.pop(LIST_PATH + "?page=2")
    rows2 = page2[page2.index(b"<tbody>") + 7 : page2.index(b"</tbody>")]
    nav = page1.index(b'<nav class="c-pagination">')
    single = page1[:nav] + page1[page1.index(b"</nav>", nav) + 6 :]
    site.pages[LIST_PATH] = single.replace(b"</tbody>", rows2 + b"</tbody>", 1)
    assert run(config, "check") == 0
    site.pages[LIST_PATH], site.pages[LIST_PATH + "?page=2"] = page1, page2  # same schools, two pages
    assert run(config, "check") == 0
    assert db(config)["snapshots"].count == 2  # the same list, kept with its two pages
    last = next(iter(db(config)["snapshots"].rows_where(order_by="id desc", limit=1)))
    assert last["pages"].count("home.html") == 2
    # A revision on page 2 only (page 1 answers 304): two schools swap places.
    text = page2.decode()
    first = text.index('<tr class="c-pmd-table__row">')
    second = text.index('<tr class="c-pmd-table__row">', first + 1)
    end = text.index("</tr>", second) + 5
    a, b = text[first:second], text[second:end]
    rank_a = re.search(r'rank">([^<]+)<', a).group(1)
    rank_b = re.search(r'rank">([^<]+)<', b).group(1)
    swapped = b.replace(f'rank">{rank_b}<', f'rank">{rank_a}<') + a.replace(f'rank">{rank_a}<', f'rank">{rank_b}<')
    site.pages[LIST_PATH + "?page=2"] = (text[:first] + swapped + text[end:]).encode()
    assert run(config, "check") == 0
    assert db(config)["snapshots"].count == 3  # seen


def test_a_first_read_of_a_teaser_does_not_make_the_school_enter_later(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    # The first check sees a 12-school teaser of the 2021 list; the next one, the whole list.
    site.edition(2021)
    whole1, whole2 = site.pages[LIST_PATH], site.pages.pop(LIST_PATH + "?page=2")
    body = whole1.decode()
    cut = body.index('<tr class="c-pmd-table__row">')
    for _ in range(12):
        cut = body.index("</tr>", body.index('<tr class="c-pmd-table__row">', cut)) + 5
    teaser = body[:cut] + body[body.index("</tbody>") :]
    nav = teaser.index('<nav class="c-pagination">')
    teaser = teaser[:nav] + teaser[teaser.index("</nav>", nav) + 6 :]
    site.pages[LIST_PATH] = teaser.replace("classe 168 écoles", "classe des écoles").encode()
    assert run(config, "check") == 0
    site.pages[LIST_PATH], site.pages[LIST_PATH + "?page=2"] = whole1, whole2
    assert run(config, "check") == 0
    comms = [m for m in smtp.inbox.messages if m["X-Watcher-Kind"] != "ops"]
    assert comms == []  # no "IMT Mines Alès entre au palmarès" (ops hear of the school missing from the teaser)
    assert "the last list held 12 schools and this one 168" in capsys.readouterr().err
    assert db(config)["snapshots"].count == 2


def test_a_revision_that_lost_only_its_tail_is_refused(config: Path, site: Site, smtp: SmtpServer, capsys) -> None:
    site.edition(2021)
    assert run(config, "check") == 0
    # The same edition loses its last eight schools (160 of 168: within the 95 % a revision may lose).
    for path in (LIST_PATH, LIST_PATH + "?page=2"):
        site.pages[path] = site.pages[path].replace("classe 168 écoles".encode(), "classe des écoles".encode())
    page2 = site.pages[LIST_PATH + "?page=2"]
    cut = page2.rindex(b'<tr class="c-pmd-table__row">')
    for _ in range(7):
        cut = page2.rindex(b'<tr class="c-pmd-table__row">', 0, cut)
    site.pages[LIST_PATH + "?page=2"] = page2[:cut] + page2[page2.index(b"</tbody>") :]
    assert run(config, "check") == 1
    assert "the last 8 schools of the list" in capsys.readouterr().err
    assert smtp.inbox.messages == [] and db(config)["snapshots"].count == 1


class CountingStore(Store):
    """The real store, noting each time a check enters it."""

    entered: list[str]

    def known(self, ranking: str, *, history: bool = True) -> Known:
        self.entered.append("read" if history else "read the last list")
        return super().known(ranking, history=history)

    def snapshots(self, ranking: str) -> list[Snapshot]:
        self.entered.append("read")
        return super().snapshots(ranking)

    def state(self, ranking: str) -> RankingState:
        self.entered.append("read")
        return super().state(ranking)

    def record_check(self, *args: Any, **kwargs: Any) -> None:
        self.entered.append("write")
        super().record_check(*args, **kwargs)


def test_a_check_reads_before_it_writes_and_writes_once(config: Path, site: Site) -> None:
    """Baseline, a new edition with its alert and school pages, then a 304: a 304 reads the last list only, once; a
    list read with content reads the history too, once; every check writes once, at its end."""
    cfg = load_config(config)
    (ranking,) = cfg.rankings
    store = CountingStore.open(cfg.database)
    with store, Fetcher(cfg.fetch, cfg.contact) as fetcher:
        for edition in (2020, 2021, 2021):
            site.edition(edition)
            store.entered = []
            result = check_module.check_ranking(ranking, cfg, store=store, fetcher=fetcher)
            assert result.ok, result.error
            whole = ["read"] if result.outcome != "not-modified" else []
            assert store.entered == ["read the last list", *whole, "write"], result.outcome
    assert result.outcome == "not-modified"


class HistoryUnreadable(Store):
    """The last list reads; the whole history, asked for once the list came with content, does not."""

    def known(self, ranking: str, *, history: bool = True) -> Known:
        if history:
            raise StoreError("Cannot read what is known of the ranking from the database: disk I/O error.")
        return super().known(ranking, history=history)


def test_a_database_that_fails_once_the_list_came_is_a_database_failure_not_a_bug(config: Path, site: Site) -> None:
    """Told as what it is (and counted by the run like a database that cannot be opened), never as an internal
    error to report, and nothing is written."""
    cfg = load_config(config)
    (ranking,) = cfg.rankings
    with HistoryUnreadable.open(cfg.database) as store, Fetcher(cfg.fetch, cfg.contact) as fetcher:
        with pytest.raises(StoreError, match="disk I/O error"):
            check_module.check_ranking(ranking, cfg, store=store, fetcher=fetcher)
        assert store.conn.execute("select count(*) from snapshots").fetchone()[0] == 0
