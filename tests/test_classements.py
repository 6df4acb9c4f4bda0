"""Today's site end to end: the nine-page classements list over real HTTP, alerts over real SMTP."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import sqlite_utils
from pytest_httpserver import HTTPServer

from watcher.cli import main

from .conftest import CLASSEMENTS_PATH, FIXTURES, Site, SmtpServer, classements_files

RANKING = "Classement des écoles d'ingénieurs"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def db(config: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(config.parent / "watcher.db")


@pytest.fixture
def config(tmp_path: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer) -> Path:
    site.classements(2025, httpserver.url_for("/"))
    path = tmp_path / "config.toml"
    path.write_text(
        f"""database = "watcher.db"
[school]
name = "IMT Mines Alès"
[[rankings]]
name = "{RANKING}"
url = "{httpserver.url_for(CLASSEMENTS_PATH)}"
[email]
to = ["communication@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
timeout_seconds = 5
[fetch]
delay_seconds = 0
backoff_seconds = 0.01
timeout_seconds = 5
attempts = 1
""",
        encoding="utf-8",
    )
    return path


def list_requests(site: Site) -> list[str]:
    return [r.full_path.rstrip("?") for r in site.requests if r.path == CLASSEMENTS_PATH]


def test_a_new_edition_in_todays_layout_gives_one_alert_with_the_right_figures(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer
) -> None:
    assert run(config, "check") == 0
    assert db(config)["snapshots"].get(1)["school_count"] == 170
    assert len(set(list_requests(site))) == 9  # every page of the list was read
    site.classements(2026, httpserver.url_for("/"))
    assert run(config, "check") == 0
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Subject"] == f"IMT Mines Alès : 15e (+6 places) au {RANKING} 2026"
    text = message.get_body(("plain",)).get_content()
    for expected in (
        "21e en 2025, 15e en 2026",
        "compté d'après les rangs déduits de l'ordre de la liste : 21 − 15 = 6",
        "174 écoles classées (170 dans l'édition 2025)",
        "Note totale : 93,0 points sur 119 (édition 2025 : 83,0 points sur 119)",  # some notes have a decimal
        "Rang déduit de l'ordre de la liste",
    ):
        assert expected in text, expected
    assert "Groupe" not in text  # no groups on today's site
    snapshot = db(config)["snapshots"].get(2)
    assert (snapshot["layout"], snapshot["ranks_derived"], snapshot["school_count"]) == ("classements-cards", 1, 174)
    assert run(config, "check") == 0  # unchanged since: nothing more
    assert len(smtp.inbox.messages) == 1


def test_an_edition_missing_its_page_7_gives_no_alert_and_exits_1(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    assert run(config, "check") == 0
    site.classements(2026, httpserver.url_for("/"))
    site.fail(CLASSEMENTS_PATH + "?page=7", 500)  # one try per check ([fetch] attempts = 1)
    assert run(config, "check") == 1
    assert smtp.inbox.messages == []
    assert db(config)["snapshots"].count == 1  # nothing recorded from a list read in part
    assert "page 7 of the list could not be fetched" in capsys.readouterr().err
    assert run(config, "check") == 0  # page 7 is back: the whole list is read and the move told once
    assert len(smtp.inbox.messages) == 1


def test_history_runs_across_the_layout_change(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    def imported(edition: int, *files: Path) -> None:
        assert run(config, "import", *map(str, files), "--edition", str(edition), "--ranking", RANKING) == 0

    # 2017: listed as "École des mines d'Alès", found through its page's link (the same slug in 2021).
    imported(2017, FIXTURES / "palmares-general-2017.html")
    imported(2021, FIXTURES / "palmares-general-2021.html", FIXTURES / "palmares-general-2021-page2.html")
    # Today's layout, nine saved pages: their own links give the list's address, so their pagination proves them whole.
    imported(2023, *classements_files(2023))
    assert run(config, "check") == 0
    site.classements(2026, httpserver.url_for("/"))
    assert run(config, "check") == 0
    text = smtp.inbox.messages[0].get_body(("plain",)).get_content()
    assert (
        "2017 : 51e, 2018 à 2020 : pas de relevé, 2021 : 27e, 2022 : pas de relevé, 2023 : 16e ex aequo, "
        "2024 : pas de relevé, 2025 : 21e, 2026 : 15e"
    ) in text
    capsys.readouterr()
    assert run(config, "history", "--format", "csv") == 0
    records = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["edition"], r["rank"], r["ex_aequo"], r["school"]) for r in records] == [
        ("2017", "51", "False", "École des mines d'Alès"),
        ("2021", "27", "False", "IMT Mines Alès"),
        ("2023", "16", "True", "IMT Mines Alès"),
        ("2025", "21", "False", "IMT Mines Alès"),
        ("2026", "15", "False", "IMT Mines Alès"),
    ]


# The list drawn by script from data in the page: a plain GET sees no school.
SCRIPTED = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Classement 2026 des écoles d'ingénieurs - L'Etudiant</title></head><body>
<h1>Classement 2026 des écoles d'ingénieurs</h1><div id="app"></div>
<script>
const schools = {schools};
document.getElementById("app").innerHTML = schools.map(([name, note, id]) =>
  `<div class="card"><h3>${{name}} - Paris</h3><span>${{note}}/119</span>` +
  `<a href="/etudes/annuaire-enseignement-superieur/etablissement/etablissement-e-${{id}}.html">` +
  `Voir la fiche complète</a></div>`).join("");
</script></body></html>"""


def test_a_list_drawn_by_script_is_read_with_browser_true(
    config: Path, site: Site, smtp: SmtpServer, chromium: str, capsys
) -> None:
    names = [f"École {i}" for i in range(1, 15)] + ["IMT Mines Alès"]
    data = [[name, 110 - i, 100 + i] for i, name in enumerate(names)]
    site.pages = {CLASSEMENTS_PATH: SCRIPTED.format(schools=json.dumps(data, ensure_ascii=False)).encode()}
    assert run(config, "check") == 1  # a plain GET: no school in the page
    assert "no known layout fits this page" in capsys.readouterr().err
    text = config.read_text(encoding="utf-8").replace(f'name = "{RANKING}"', f'name = "{RANKING}"\nbrowser = true')
    config.write_text(text, encoding="utf-8")
    assert run(config, "check") == 0
    assert "IMT Mines Alès 15e" in capsys.readouterr().out
    snapshot = db(config)["snapshots"].get(1)
    assert (snapshot["school_count"], snapshot["layout"]) == (15, "classements-cards")
    agents = {r.headers.get("User-Agent", "") for r in site.requests if r.path == CLASSEMENTS_PATH}
    assert any(agent.startswith("watcher/") for agent in agents)  # the browser names watcher too


REDESIGNED = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Classement 2027 - L'Etudiant</title></head><body><main><h1>Classement 2027 des écoles d'ingénieurs</h1>
<ol class="ranking-list">{items}</ol></main></body></html>"""
ITEM = '<li class="ranking-item"><span class="rank">{rank}</span><h3>{name}</h3><b class="note">{note}/120</b></li>'


def test_an_operator_layout_in_the_config_reads_a_redesigned_site(config: Path, site: Site, capsys) -> None:
    names = [f"École {i}" for i in range(1, 20)] + ["IMT Mines Alès"]
    items = "".join(ITEM.format(rank=i, name=n, note=115 - i) for i, n in enumerate(names, start=1))
    site.pages = {CLASSEMENTS_PATH: REDESIGNED.format(items=items).encode()}
    assert run(config, "check") == 1
    refusal = capsys.readouterr().err
    assert "no known layout fits this page" in refusal and "classements-cards: nothing matches" in refusal
    layout = """
[[layouts]]
name = "classements-2027"
match = "main .ranking-list"
row = "li.ranking-item"
school = "h3"
rank = ".rank"
total = ".note"
edition = "h1"
"""
    config.write_text(config.read_text(encoding="utf-8") + layout, encoding="utf-8")
    assert run(config, "check") == 0  # repaired by config alone
    assert "IMT Mines Alès 20e" in capsys.readouterr().out
    snapshot = db(config)["snapshots"].get(1)
    assert (snapshot["layout"], snapshot["ranks_derived"], snapshot["edition"]) == ("classements-2027", 0, 2027)


def test_saved_pages_imported_with_their_address_must_be_whole(config: Path, capsys) -> None:
    eight = [f for f in classements_files(2024) if not f.name.endswith("page7.html")]
    url = "https://www.letudiant.fr" + CLASSEMENTS_PATH
    common = ["--edition", "2024", "--ranking", RANKING, "--url", url]
    assert run(config, "import", *map(str, eight), *common) == 1  # eight of nine pages: refused
    assert "a page of the list is missing" in capsys.readouterr().err
    assert run(config, "import", *map(str, eight), *common[:4]) == 1  # and without their address too
    assert "a page of the list is missing" in capsys.readouterr().err
    assert run(config, "import", *map(str, classements_files(2024)), *common) == 0
    assert db(config)["snapshots"].get(1)["school_count"] == 170


def test_a_new_edition_far_shorter_than_the_last_is_refused(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    assert run(config, "check") == 0  # 2025: 170 schools
    site.classements(2026, httpserver.url_for("/"))
    # The 2026 list as if its pagination stopped at page 6 (120 schools), with no count on the page.
    for number in (7, 8, 9):
        del site.pages[f"{CLASSEMENTS_PATH}?page={number}"]
    for key, body in site.pages.items():
        for number in (7, 8, 9):
            body = re.sub(rb'<a href="[^"]*\?page=' + str(number).encode() + rb'"[^>]*>.*?</a>', b"", body)
        site.pages[key] = body
    assert run(config, "check") == 1
    assert "only 120 schools read, fewer than the 136 expected" in capsys.readouterr().err
    assert db(config)["snapshots"].count == 1 and smtp.inbox.messages == []


def test_a_school_link_to_another_kind_of_page_is_a_warning_not_a_failure(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    assert run(config, "check") == 0
    site.classements(2026, httpserver.url_for("/"))
    other = "/fiches/etudes/fiche/imt-mines-ales.html"  # seen once on the real site: a link out of the directory
    site.pages = {
        k: re.sub(rb'href="[^"]*etablissement-imt-mines-ales-\d+\.html', b'href="' + other.encode(), v)
        for k, v in site.pages.items()
    }
    site.pages[other] = b"<html><head><title>IMT Mines Al\xc3\xa8s</title></head><body><h1>Fiche</h1></body></html>"
    assert run(config, "check") == 0
    comms = [m for m in smtp.inbox.messages if m["X-Watcher-Kind"] != "ops"]
    assert len(comms) == 1  # the rank alert still goes out; ops hear of the page once
    assert [m["Subject"] for m in smtp.inbox.messages if m["X-Watcher-Kind"] == "ops"] == [
        f"[watcher] {RANKING}: checked, with a warning"
    ]
    assert "the page of IMT Mines Alès could not be read" in capsys.readouterr().err


def without(body: bytes, school: bytes) -> bytes:
    """A cards page without one school's card."""
    start = body.rindex(b'<div class="tw-rounded-lg', 0, body.index(school))
    return body[:start] + body[body.index(b"</div>\n", body.index(b"Voir la fiche compl", start)) + 7 :]


def test_a_school_leaving_is_told_only_once_a_second_whole_read_agrees(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer
) -> None:
    assert run(config, "check") == 0
    site.classements(2026, httpserver.url_for("/"))
    site.pages[CLASSEMENTS_PATH] = without(site.pages[CLASSEMENTS_PATH], "IMT Mines Alès - Alès".encode())
    site.requests.clear()
    assert run(config, "check") == 0
    (message,) = [m for m in smtp.inbox.messages if m["X-Watcher-Kind"] != "ops"]  # ops: the school is missing
    assert message["Subject"] == f"IMT Mines Alès ne figure plus au {RANKING} 2026"
    text = message.get_body(("plain",)).get_content()
    assert "lu en entier deux fois de suite (173 écoles)" in text
    assert "Départ confirmé : la liste a été lue en entier deux fois de suite, 173 écoles à chaque lecture" in text
    firsts = [r for r in site.requests if r.full_path.rstrip("?") == CLASSEMENTS_PATH]
    assert len(firsts) == 2 and not any(r.headers.get("If-None-Match") for r in firsts[1:])  # fresh, not 304


def test_a_school_leaving_on_one_read_only_is_not_told(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    assert run(config, "check") == 0
    site.classements(2026, httpserver.url_for("/"))
    whole = site.pages[CLASSEMENTS_PATH]
    site.versions[CLASSEMENTS_PATH] = [without(whole, "IMT Mines Alès - Alès".encode())]  # the first read only
    assert run(config, "check") == 1
    assert "a second whole read a moment later gave another list" in capsys.readouterr().err
    assert smtp.inbox.messages == [] and db(config)["snapshots"].count == 1
    assert run(config, "check") == 0  # read again: the school is there, and its move is told
    assert smtp.inbox.messages[0]["Subject"].startswith("IMT Mines Alès : 15e")


def test_a_layout_change_emails_ops_a_layout_that_pasted_into_the_config_reads_the_list(
    config: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer, capsys
) -> None:
    from .test_infer import unknown_markup

    assert run(config, "check") == 0  # 2025, the baseline: the known list
    site.classements(2026, httpserver.url_for("/"))
    for path in [p for p in site.pages if p.startswith(CLASSEMENTS_PATH)]:
        site.pages[path] = unknown_markup(site.pages[path].decode("utf-8")).encode("utf-8")
    assert run(config, "check") == 1  # no layout fits: refused, nothing recorded, comms hear nothing
    assert "no known layout fits this page" in capsys.readouterr().err
    (notice,) = smtp.inbox.messages
    assert notice["Subject"] == f"[watcher] {RANKING}: the site's layout changed, a new layout is proposed"
    body = notice.get_content()
    assert ("IMT Mines Alès" in body and "170 schools read" not in body) or "schools read" in body
    table = body[body.index("[[layouts]]") :]
    print(table)
    assert run(config, "check") == 1
    assert len(smtp.inbox.messages) == 1  # the same proposal is not sent twice
    config.write_text(config.read_text(encoding="utf-8") + "\n" + table, encoding="utf-8")  # the operator's paste
    assert run(config, "check") == 0
    (alert,) = [m for m in smtp.inbox.messages[1:] if m["X-Watcher-Kind"] != "ops"]
    assert alert["Subject"].startswith("IMT Mines Alès : 15e")
    with sqlite_utils.Database(config.parent / "watcher.db") as database:
        (latest,) = database.execute("select school_count, layout from snapshots order by id desc limit 1").fetchall()
    assert latest[0] == 174 and latest[1].startswith("inferred-")  # the 174 schools the built-in layout reads
