"""`watcher import`: saved pages (files or a URL) as past editions; never an alert, and how checks follow it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from watcher.cli import main

from .conftest import FIXTURES, LIST_PATH, RANKING, Site, SmtpServer

PAGE_2019 = str(FIXTURES / "palmares-general-2019.html")
PAGE_2020 = str(FIXTURES / "palmares-general-2020.html")
PAGE_2021 = str(FIXTURES / "palmares-general-2021.html")
PAGE_2021_2 = str(FIXTURES / "palmares-general-2021-page2.html")
OTHER = "Palmarès post-bac des écoles d'ingénieurs"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def db(config: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(config.parent / "watcher.db")


def snapshots(config: Path) -> list[dict]:
    path = config.parent / "watcher.db"
    if not path.exists():
        return []
    database = db(config)
    return list(database["snapshots"].rows_where(order_by="id")) if "snapshots" in database.table_names() else []


def outbox_count(config: Path) -> int:
    path = config.parent / "watcher.db"
    return db(config)["outbox"].count if path.exists() and "outbox" in db(config).table_names() else 0


def do_import(config: Path, *pages: str, edition: int, ranking: str = RANKING) -> int:
    return run(config, "import", *pages, "--edition", str(edition), "--ranking", ranking)


@pytest.fixture
def config(smtp: SmtpServer, write_config) -> Path:
    return write_config(smtp.port)


@pytest.fixture
def two_rankings(smtp: SmtpServer, write_config, httpserver) -> Path:
    other = httpserver.url_for("/palmares/post-bac.html")
    return write_config(smtp.port, extra=f'[[rankings]]\nname = "{OTHER}"\nurl = "{other}"\n')


# --- Importing a file ------------------------------------------------------------------------------------------


def test_import_stores_an_import_snapshot_and_sends_nothing(config: Path, smtp: SmtpServer, capsys) -> None:
    assert do_import(config, PAGE_2019, edition=2019) == 0
    out = capsys.readouterr().out
    assert f"Imported {RANKING}, edition 2019: 174 schools." in out
    (snap,) = snapshots(config)
    assert (snap["ranking"], snap["edition"], snap["school_count"], snap["origin"]) == (RANKING, 2019, 174, "import")
    assert snap["url"] == Path(PAGE_2019).resolve().as_uri()
    assert db(config)["rows"].count == 174
    imt = next(db(config)["rows"].rows_where("name = ?", ["IMT Mines Alès"]))
    assert imt["rank"] == 40
    assert smtp.inbox.messages == []
    assert outbox_count(config) == 0


def test_importing_twice_says_already_in_the_database(config: Path, smtp: SmtpServer, capsys) -> None:
    assert do_import(config, PAGE_2019, edition=2019) == 0
    capsys.readouterr()
    assert do_import(config, PAGE_2019, edition=2019) == 0
    out = capsys.readouterr().out
    assert out.startswith("Already in the database")
    assert "edition 2019: 174 schools" in out
    assert len(snapshots(config)) == 1
    assert smtp.inbox.messages == []


def test_edition_mismatch_exits_1_naming_both_editions(config: Path, capsys) -> None:
    assert do_import(config, PAGE_2019, edition=2018) == 1
    err = capsys.readouterr().err
    assert "2019" in err and "2018" in err
    assert "--edition" in err
    assert snapshots(config) == []


def test_unknown_ranking_exits_2_listing_the_known_ones(two_rankings: Path, capsys) -> None:
    assert do_import(two_rankings, PAGE_2019, edition=2019, ranking="Palmarès imaginaire") == 2
    err = capsys.readouterr().err
    assert "Palmarès imaginaire" in err
    assert RANKING in err and OTHER in err
    assert snapshots(two_rankings) == []


def test_import_into_the_second_ranking_of_the_config(two_rankings: Path, capsys) -> None:
    assert do_import(two_rankings, PAGE_2020, edition=2020, ranking=OTHER) == 0
    (snap,) = snapshots(two_rankings)
    assert (snap["ranking"], snap["edition"], snap["school_count"]) == (OTHER, 2020, 167)


def test_unreadable_file_is_a_clear_error(config: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.html"
    assert do_import(config, str(missing), edition=2019) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert snapshots(config) == []


def test_page_one_of_a_split_list_alone_is_refused(config: Path, capsys) -> None:
    assert do_import(config, PAGE_2021, edition=2021) == 1
    err = capsys.readouterr().err
    assert "goes on" in err and "page=2" in err
    assert snapshots(config) == []


def test_both_pages_of_a_split_list_in_order_are_imported(config: Path, capsys) -> None:
    assert do_import(config, PAGE_2021, PAGE_2021_2, edition=2021) == 0
    assert f"Imported {RANKING}, edition 2021: 168 schools." in capsys.readouterr().out
    (snap,) = snapshots(config)
    assert (snap["edition"], snap["school_count"], snap["origin"]) == (2021, 168, "import")
    ranks = [r["rank"] for r in db(config)["rows"].rows_where("snapshot_id = ?", [snap["id"]], order_by="position")]
    assert ranks[0] == 1 and len(ranks) == 168 and max(ranks) <= 168
    imt = next(db(config)["rows"].rows_where("name = ?", ["IMT Mines Alès"]))
    assert (imt["rank"], imt["grp"]) == (27, "A")
    last = next(db(config)["rows"].rows_where("name = ?", ["EOST Strasbourg"]))
    assert last["rank"] == 168 and last["grp"] is not None  # page 2 carried page 1's group on


def test_pages_of_a_split_list_in_the_wrong_order_are_refused(config: Path, capsys) -> None:
    assert do_import(config, PAGE_2021_2, PAGE_2021, edition=2021) == 1
    assert "refused" in capsys.readouterr().err
    assert snapshots(config) == []


# --- Importing from a URL --------------------------------------------------------------------------------------


def test_import_from_a_url_follows_page_2(config: Path, site: Site, smtp: SmtpServer, httpserver, capsys) -> None:
    site.edition(2021)
    assert do_import(config, httpserver.url_for(LIST_PATH), edition=2021) == 0
    assert f"Imported {RANKING}, edition 2021: 168 schools." in capsys.readouterr().out
    asked = [(r.path, r.query_string.decode()) for r in site.requests if r.path == LIST_PATH]
    assert asked == [(LIST_PATH, ""), (LIST_PATH, "page=2")]
    (snap,) = snapshots(config)
    assert (snap["edition"], snap["school_count"], snap["origin"]) == (2021, 168, "import")
    assert snap["url"] == httpserver.url_for(LIST_PATH)
    assert smtp.inbox.messages == []
    assert outbox_count(config) == 0


def test_import_from_a_url_with_a_missing_page_2_stores_nothing(config: Path, site: Site, httpserver, capsys) -> None:
    site.edition(2021)
    del site.pages[LIST_PATH + "?page=2"]
    assert do_import(config, httpserver.url_for(LIST_PATH), edition=2021) == 1
    assert "page 2" in capsys.readouterr().err
    assert snapshots(config) == []


# --- Imports, then checks --------------------------------------------------------------------------------------


def test_first_check_after_an_import_is_a_baseline_then_the_next_alert_tells_the_series(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert do_import(config, PAGE_2019, edition=2019) == 0
    site.edition(2020)
    capsys.readouterr()
    assert run(config, "check") == 0
    out = capsys.readouterr().out
    assert f"{RANKING}: baseline" in out
    assert smtp.inbox.messages == []
    assert outbox_count(config) == 0

    site.edition(2021)
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Subject"] == f"IMT Mines Alès : 27e (+6 places) au {RANKING} 2021"
    text = message.get_body(("plain",)).get_content()
    assert "2019 : 40e, 2020 : 33e, 2021 : 27e" in text
    assert [(s["edition"], s["origin"]) for s in snapshots(config)] == [
        (2019, "import"),
        (2020, "check"),
        (2021, "check"),
    ]


def test_check_of_an_older_edition_than_the_latest_is_refused(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert do_import(config, PAGE_2019, edition=2019) == 0
    for year in (2020, 2021):
        site.edition(year)
        assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    before = (len(snapshots(config)), db(config)["rows"].count, outbox_count(config))

    site.edition(2020)  # an old copy served again
    capsys.readouterr()
    assert run(config, "check") == 1
    err = capsys.readouterr().err
    assert "edition 2020" in err and "2021" in err
    assert "Nothing was recorded" in err
    assert len(smtp.inbox.messages) == 1
    assert (len(snapshots(config)), db(config)["rows"].count, outbox_count(config)) == before
    # And the history still ends at 2021.
    assert max(s["edition"] for s in snapshots(config)) == 2021


def test_importing_a_past_edition_after_checks_sends_nothing_and_completes_the_history(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    for year in (2020, 2021):
        site.edition(year)
        assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    assert do_import(config, PAGE_2019, edition=2019) == 0
    assert run(config, "check") == 0  # 2021 again: not modified
    assert len(smtp.inbox.messages) == 1
    capsys.readouterr()
    assert run(config, "history") == 0
    out = capsys.readouterr().out
    lines = [line.split()[:2] for line in out.splitlines() if line.strip()[:4].isdigit()]
    assert lines == [["2019", "40e"], ["2020", "33e"], ["2021", "27e"]]


def test_importing_the_current_edition_before_the_first_check_loses_no_alert(
    config: Path, site: Site, smtp: SmtpServer, capsys
) -> None:
    assert do_import(config, PAGE_2020, edition=2020) == 0
    site.edition(2020)
    assert run(config, "check") == 0  # the list the import already holds
    site.edition(2021)
    capsys.readouterr()
    assert run(config, "check") == 0
    assert "baseline" not in capsys.readouterr().out
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.messages[0]["Subject"] == f"IMT Mines Alès : 27e (+6 places) au {RANKING} 2021"
