"""Discovery: the lists by criterion and by specialty a general list links to, found by their addresses alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.layouts.related import related_lists
from watcher.model import ListLink
from watcher.news.discovery import linked, list_name

SITE = "https://www.letudiant.fr"
GENERAL = f"{SITE}/classements/classement-des-ecoles-d-ingenieurs.html"


def page(*links: str) -> bytes:
    """A page whose links sit in markup nobody has seen: a plain list of anchors, anywhere in the body."""
    anchors = "\n".join(links)
    head = '<head><meta charset="utf-8"><title>Classement 2026</title></head>'
    return f"<!DOCTYPE html><html>{head}<body><div>{anchors}</div></body></html>".encode()


def test_criterion_and_specialty_lists_are_found_once_each_in_page_order() -> None:
    content = page(
        '<a href="/classements/classement-des-ecoles-d-ingenieurs/excellence-academique.html">'
        "Excellence académique</a>",
        f'<a href="{SITE}/classements/classement-des-ecoles-d-ingenieurs/ouverture-internationale.html#top">'
        "  Ouverture\n internationale </a>",
        '<a href="?filters[677]=Informatique&amp;page=2">Informatique</a>',
        '<a href="/classements/classement-des-ecoles-d-ingenieurs/excellence-academique.html">Voir</a>',
    )
    assert related_lists(content, GENERAL) == (
        ListLink(f"{SITE}/classements/classement-des-ecoles-d-ingenieurs/excellence-academique.html",
                 "Excellence académique", "criterion"),
        ListLink(f"{SITE}/classements/classement-des-ecoles-d-ingenieurs/ouverture-internationale.html",
                 "Ouverture internationale", "criterion"),
        ListLink(f"{GENERAL}?filters[677]=Informatique", "Informatique", "specialty"),
    )  # fmt: skip


@pytest.mark.parametrize(
    "href",
    [
        "?page=2",  # the list's own next page
        "/classements/classement-des-ecoles-d-ingenieurs/page-2.html",  # a page number written in the path
        "https://example.org/classements/classement-des-ecoles-d-ingenieurs/excellence-academique.html",  # elsewhere
        "/classements/classement-des-grandes-ecoles-de-commerce.html",  # another family
        "/classements/classement-des-ecoles-d-ingenieurs/a/b.html",  # deeper than one list
        "/classements/classement-des-ecoles-d-ingenieurs.html?sort=name",  # not a filter
        "/classements/classement-des-ecoles-d-ingenieurs.html?filters[677]=",  # an empty filter
        "mailto:contact@letudiant.fr",
        "javascript:void(0)",
    ],
)
def test_links_that_are_not_another_list_of_this_ranking_are_left(href: str) -> None:
    assert related_lists(page(f'<a href="{href}">x</a>'), GENERAL) == ()


def test_a_link_without_text_is_named_from_its_address() -> None:
    content = page('<a href="/classements/classement-des-ecoles-d-ingenieurs/proximite-avec-les-entreprises.html"></a>')
    (found,) = related_lists(content, GENERAL)
    assert found.name == "Proximite avec les entreprises"


@pytest.mark.parametrize("content", [b"", b"   ", b"\x00\x01 not html", b"<html></html>"])
def test_a_page_without_links_gives_none(content: bytes) -> None:
    assert related_lists(content, GENERAL) == ()


# --- The lists kept from one read to the next -----------------------------------------------------------------

PARENT = "Classement des écoles d'ingénieurs"
AT = datetime(2026, 1, 21, 6, tzinfo=UTC)
ACADEMIC = ListLink(f"{GENERAL.removesuffix('.html')}/excellence-academique.html", "Excellence académique", "criterion")
INFO = ListLink(f"{GENERAL}?filters[677]=Informatique", "Informatique", "specialty")


def test_new_lists_are_added_a_list_no_longer_linked_is_gone_once_and_back_when_linked_again() -> None:
    first, gone = linked((), (ACADEMIC, INFO), PARENT, AT)
    assert gone == ()
    assert [(f.name, f.gone_at) for f in first] == [
        (f"{PARENT} — Excellence académique", None),
        (f"{PARENT} — Informatique", None),
    ]
    later = AT + timedelta(days=1)
    second, gone = linked(first, (INFO,), PARENT, later)
    assert [f.link for f in gone] == [ACADEMIC] and gone[0].gone_at == later
    third, gone = linked(second, (INFO,), PARENT, later + timedelta(days=1))
    assert gone == ()  # told once
    assert [f.gone_at for f in third] == [later, None]
    renamed = ListLink(ACADEMIC.url, "Excellence", "criterion")
    back, gone = linked(third, (renamed, INFO), PARENT, later + timedelta(days=2))
    assert gone == () and (back[0].name, back[0].gone_at) == (list_name(PARENT, ACADEMIC), None)


# --- One email per publication --------------------------------------------------------------------------------


def test_one_email_tells_the_general_list_first_then_the_moves_then_the_kept_ranks() -> None:
    from dataclasses import replace

    from watcher.config import SchoolConfig
    from watcher.french.render import render_alert
    from watcher.news.diff import diff
    from watcher.news.rules import alerts_for, publication

    from .conftest import fixture_snapshot, plain

    old, new = fixture_snapshot(2020), fixture_snapshot(2021)
    (general,) = alerts_for(old, new, diff(old, new), SchoolConfig(name="IMT Mines Alès"))
    academic = replace(general, ranking=f"{PARENT} — Excellence académique", message_key="a" * 32)
    kept_row = replace(general.new_row, rank=general.old_row.rank)
    info = replace(general, ranking=f"{PARENT} — Informatique", new_row=kept_row, places=0, message_key="b" * 32)
    ordered = publication([info, academic, general], configured=[general.ranking])
    assert ordered == (general, academic, info)
    message = plain(render_alert(ordered[0], sender="w@example.org", recipients=("c@example.org",), others=ordered[1:]))
    assert message["Subject"].endswith(" et deux autres listes")
    text = message.get_body(("plain",)).get_content()
    lines = text.splitlines()
    moved = lines.index(f"  - {PARENT} — Excellence académique : 27e (+6 places ; 33e en 2020)")
    kept = lines.index(f"  - {PARENT} — Informatique : 33e (même rang ; 33e en 2020)")
    assert lines.index("Le même jour, dans les autres listes de L'Étudiant où elle figure :") < moved < kept
    assert text.index("Le même jour") < text.index("Paragraphe prêt à reprendre")
    again = render_alert(general, sender="w@example.org", recipients=("c@example.org",), others=(info, academic))
    assert again["Message-ID"] == message["Message-ID"] != f"<{general.message_key}@example.org>"


# --- End to end: the general list, three lists by criterion and one by specialty, over real HTTP and SMTP ---------

from .conftest import CLASSEMENTS_PATH, FIXTURES, LIVE, Site, SmtpServer  # noqa: E402

RELATED = FIXTURES / "related"
FOLDER = CLASSEMENTS_PATH.removesuffix(".html")
CRITERIA = ("excellence-academique", "ouverture-internationale", "proximite-avec-les-entreprises")
SPECIALTY = "filters[677]=Informatique"  # as the client sends the address the page links to


def serve(site: Site, year: int, base: str) -> None:
    """The general list (its first page linking to the other lists) and the four lists, with all their pages."""
    site.classements(year, base)
    live = base.rstrip("/").encode()
    site.pages[CLASSEMENTS_PATH] = (RELATED / f"classement-{year}.html").read_bytes().replace(LIVE, live)
    lists = [(slug, f"{FOLDER}/{slug}.html", "") for slug in CRITERIA] + [("informatique", CLASSEMENTS_PATH, SPECIALTY)]
    for stem, path, query in lists:
        for number in range(1, 10):
            file = RELATED / (f"{stem}-{year}.html" if number == 1 else f"{stem}-{year}-page{number}.html")
            if not file.exists():
                break
            parts = [p for p in (query, f"page={number}" if number > 1 else "") if p]
            site.pages[path + ("?" + "&".join(parts) if parts else "")] = file.read_bytes().replace(LIVE, live)


def test_the_lists_the_school_is_in_are_found_watched_and_told_in_one_email_per_publication(
    tmp_path: Path, site: Site, smtp: SmtpServer, httpserver, capsys
) -> None:
    from watcher.cli import main
    from watcher.store import Store

    serve(site, 2025, httpserver.url_for("/"))
    config = tmp_path / "config.toml"
    config.write_text(
        f"""database = "watcher.db"
[school]
name = "IMT Mines Alès"
[[rankings]]
name = "{PARENT}"
url = "{httpserver.url_for(CLASSEMENTS_PATH)}"
[email]
to = ["communication@example.org"]
ops_to = ["ops@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
[fetch]
delay_seconds = 0
attempts = 1
""",
        encoding="utf-8",
    )
    run = lambda *args: main(["--config", str(config), *args])  # noqa: E731
    assert run("check") == 0  # baseline of the general list and of the four lists it links to
    assert smtp.inbox.messages == []
    with Store.open(tmp_path / "watcher.db") as store:
        found = store.found_lists(PARENT)
        assert sorted(f.link.url.removeprefix(httpserver.url_for("/").rstrip("/")) for f in found) == sorted(
            [*(f"{FOLDER}/{slug}.html" for slug in CRITERIA), f"{CLASSEMENTS_PATH}?filters[677]=Informatique"]
        )
        assert {f.name: len(store.snapshots(f.name)) for f in found} == {f.name: 1 for f in found}
    capsys.readouterr()
    assert run("lists") == 0
    shown = capsys.readouterr().out
    assert shown.count(": watched") == 3 and "IMT Mines Alès not listed: read once a day" in shown
    assert f"{PARENT} — Excellence académique" in shown and "IMT Mines Alès 30e" in shown

    # Publication day: the general list and the three criterion lists come out; one email tells them all.
    serve(site, 2026, httpserver.url_for("/"))
    asked_before = len(site.requests)
    assert run("check") == 0
    [message] = smtp.inbox.messages
    assert message["To"] == "communication@example.org"
    assert message["Subject"] == f"IMT Mines Alès : 15e (+6 places) au {PARENT} 2026 et trois autres listes"
    text = message.get_body(("plain",)).get_content()
    lines = text.splitlines()
    told = [line.strip() for line in lines if line.startswith(f"  - {PARENT} — ")]
    assert told == [
        f"- {PARENT} — Excellence académique : 24e (+6 places ; 30e en 2025)",
        f"- {PARENT} — Proximité avec les entreprises : 18e (−6 places ; 12e en 2025)",
        f"- {PARENT} — Ouverture internationale : 40e (même rang ; 40e en 2025)",
    ]
    assert "Informatique" not in text  # the school is not in that list
    # The specialty list the school is not in was not read again the same day.
    informatique = [r for r in site.requests[asked_before:] if "Informatique" in r.query_string.decode()]
    assert informatique == []

    # Nothing new: one conditional request per page of each watched list (nine pages each), nothing else.
    asked_before = len(site.requests)
    assert run("check") == 0
    asked = site.requests[asked_before:]
    assert {r.path for r in asked} == {CLASSEMENTS_PATH, *(f"{FOLDER}/{slug}.html" for slug in CRITERIA)}
    assert len(asked) == 4 * 9 and len({r.full_path for r in asked}) == 4 * 9
    assert all(r.headers.get("If-None-Match") for r in asked)
    assert len(smtp.inbox.messages) == 1

    # The history covers each list.
    capsys.readouterr()
    assert run("history") == 0
    history = capsys.readouterr().out
    assert f"IMT Mines Alès — {PARENT} — Excellence académique" in history

    # The general list drops its link to one list: ops hear of it, comms do not.
    page = site.pages[CLASSEMENTS_PATH]
    link = rb'<li><a href="[^"]*excellence-academique\.html">[^<]*</a></li>'
    site.pages[CLASSEMENTS_PATH] = re.sub(link, b"", page)
    assert site.pages[CLASSEMENTS_PATH] != page
    assert run("check") == 0
    ops = [m for m in smtp.inbox.messages[1:] if m["To"] == "ops@example.org"]
    comms = [m for m in smtp.inbox.messages[1:] if m["To"] != "ops@example.org"]
    assert comms == []
    [gone] = [m for m in ops if "gone" in m["Subject"]]
    assert f"{PARENT} — Excellence académique" in gone.get_content()


def test_alerts_held_by_a_run_that_never_gathered_them_are_sent_by_the_next_one(tmp_path: Path, smtp) -> None:
    from email.message import EmailMessage

    from watcher.check import run_check
    from watcher.config import from_dict
    from watcher.mail import SmtpMailer
    from watcher.pages.fetch import Fetcher
    from watcher.store import Store

    message = EmailMessage()
    message["Message-ID"], message["Subject"] = "<held@example.org>", "IMT Mines Alès : 24e"
    message["From"], message["To"] = "watcher@example.org", "communication@example.org"
    message.set_content("texte")
    config = from_dict(
        {
            "school": {"name": "IMT Mines Alès"},
            "rankings": [{"name": PARENT, "url": "http://127.0.0.1:9/none.html"}],
            "email": {"to": ["communication@example.org"], "from": "watcher@example.org"}
            | {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False},
            "fetch": {"attempts": 1, "timeout_seconds": 2, "delay_seconds": 0},
        },
        base_dir=tmp_path,
    )
    with Store.open(tmp_path / "watcher.db") as store:
        store.record_check(PARENT, [], held=[message])  # the run that held it died before gathering
        assert store.pending() == []  # held: not sent on its own while a run may still gather it
        with Fetcher(config.fetch, config.contact) as fetcher:
            run_check(config, store=store, fetcher=fetcher, mailer=SmtpMailer(config.email))
        assert store.pending() == []
    assert [m["Message-ID"] for m in smtp.inbox.messages] == ["<held@example.org>"]


def discovery_config(tmp_path: Path, url: str, port: int, school: str = "", rankings: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""database = "watcher.db"
[school]
name = "IMT Mines Alès"
{school}
[[rankings]]
name = "{PARENT}"
url = "{url}"
{rankings}
[email]
to = ["communication@example.org"]
ops_to = ["ops@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = false
[fetch]
delay_seconds = 0
attempts = 1
""",
        encoding="utf-8",
    )
    return path


def checks(config: Path, *args: str) -> int:
    from watcher.cli import main

    return main(["--config", str(config), *args])


def test_an_install_that_already_had_the_page_finds_the_lists_before_the_next_edition(
    tmp_path: Path, site: Site, smtp: SmtpServer, httpserver
) -> None:
    """Discovery turned on where the general list already answers 304: its links are collected the same day (one
    plain request), so the lists have their baseline before the publication and their moves are told on its day."""
    from watcher.store import Store

    serve(site, 2025, httpserver.url_for("/"))
    url = httpserver.url_for(CLASSEMENTS_PATH)
    config = discovery_config(tmp_path, url, smtp.port, school="discover = false")
    assert checks(config, "check") == 0
    config = discovery_config(tmp_path, url, smtp.port)  # discovery on: the page now answers 304
    assert checks(config, "check") == 0
    with Store.open(tmp_path / "watcher.db") as store:
        assert len(store.found_lists(PARENT)) == 4
    asked = len(site.requests)
    assert checks(config, "check") == 0  # collected once a day, not at each check
    assert not [r for r in site.requests[asked:] if r.path == CLASSEMENTS_PATH and not r.headers.get("If-None-Match")]
    serve(site, 2026, httpserver.url_for("/"))
    assert checks(config, "check") == 0
    [message] = smtp.inbox.messages
    assert message["Subject"].endswith(" et trois autres listes")


def test_a_ranking_renamed_in_the_config_keeps_its_lists_and_their_histories(
    tmp_path: Path, site: Site, smtp: SmtpServer, httpserver
) -> None:
    from watcher.store import Store

    serve(site, 2025, httpserver.url_for("/"))
    url = httpserver.url_for(CLASSEMENTS_PATH)
    config = discovery_config(tmp_path, url, smtp.port)
    assert checks(config, "check") == 0
    text = config.read_text(encoding="utf-8").replace(f'name = "{PARENT}"', 'name = "Écoles d\'ingénieurs"')
    config.write_text(text, encoding="utf-8")
    serve(site, 2026, httpserver.url_for("/"))
    assert checks(config, "check") == 0
    with Store.open(tmp_path / "watcher.db") as store:
        found = store.found_lists("Écoles d'ingénieurs")
        assert len(found) == 4 and all(f.name.startswith("Écoles d'ingénieurs — ") for f in found)
        editions = {f.name.rpartition(" — ")[2]: [s.edition for s in store.snapshots(f.name)] for f in found}
        # Under the new name, with their history: 2025 and 2026 (the list without the school: read once a day).
        assert editions == {
            "Excellence académique": [2025, 2026],
            "Ouverture internationale": [2025, 2026],
            "Proximité avec les entreprises": [2025, 2026],
            "Informatique": [2025],
        }
        assert store.found_lists(PARENT) == []
    [message] = smtp.inbox.messages
    text = message.get_body(("plain",)).get_content()
    assert "Écoles d'ingénieurs — Excellence académique : 24e (+6 places ; 30e en 2025)" in text


def test_a_list_also_configured_as_a_ranking_is_checked_once_as_configured(
    tmp_path: Path, site: Site, smtp: SmtpServer, httpserver
) -> None:
    from watcher.store import Store

    serve(site, 2025, httpserver.url_for("/"))
    academic = httpserver.url_for(f"{FOLDER}/excellence-academique.html")
    extra = f'[[rankings]]\nname = "Excellence"\nurl = "{academic}"'
    config = discovery_config(tmp_path, httpserver.url_for(CLASSEMENTS_PATH), smtp.port, rankings=extra)
    assert checks(config, "check") == 0
    serve(site, 2026, httpserver.url_for("/"))
    assert checks(config, "check") == 0
    with Store.open(tmp_path / "watcher.db") as store:
        assert [s.edition for s in store.snapshots("Excellence")] == [2025, 2026]  # never left on 2025 by a 304
        assert store.snapshots(f"{PARENT} — Excellence académique") == []


def test_while_the_ranking_cannot_be_read_its_lists_wait_with_it(
    tmp_path: Path, site: Site, smtp: SmtpServer, httpserver
) -> None:
    """A redesign of the site: the general list fails (one notice to ops), its lists are not each failed too."""
    serve(site, 2025, httpserver.url_for("/"))
    config = discovery_config(tmp_path, httpserver.url_for(CLASSEMENTS_PATH), smtp.port)
    assert checks(config, "check") == 0
    site.pages[CLASSEMENTS_PATH] = (FIXTURES / "refused" / "layout-changed.html").read_bytes()
    asked = len(site.requests)
    assert checks(config, "check") == 1
    assert not [r for r in site.requests[asked:] if r.path.startswith(FOLDER + "/")]


def test_a_list_the_school_enters_or_leaves_is_one_line_with_the_edition_before() -> None:
    from dataclasses import replace

    from watcher.config import SchoolConfig
    from watcher.french.render import other_list_line
    from watcher.news.diff import diff
    from watcher.news.rules import alerts_for

    from .conftest import fixture_snapshot

    old, new = fixture_snapshot(2020), fixture_snapshot(2021)
    (alert,) = alerts_for(old, new, diff(old, new), SchoolConfig(name="IMT Mines Alès"))
    name = f"{PARENT} — Informatique"
    entered = replace(alert, ranking=name, kind="entered", old_row=None, places=None)
    left = replace(alert, ranking=name, kind="left", new_row=None, places=None)
    assert other_list_line(entered) == f"{name} : 27e (entre dans la liste ; absente en 2020)"
    assert other_list_line(left) == f"{name} : ne figure plus dans la liste (33e en 2020)"


def test_a_publication_that_cannot_be_gathered_is_sent_alert_by_alert(tmp_path: Path, monkeypatch) -> None:
    """Whatever fails while gathering (here the drawing of the email), the held alerts go out as they are."""
    from email.message import EmailMessage

    from watcher import check as check_module
    from watcher.check import CheckResult, gather
    from watcher.config import from_dict
    from watcher.store import Store

    from .test_render import moved

    def boom(*args: object) -> EmailMessage:
        raise RuntimeError("the chart could not be drawn")

    monkeypatch.setattr(check_module, "_render_gathered", boom)
    config = from_dict(
        {"school": {"name": "IMT Mines Alès"}, "email": {"to": ["c@example.org"], "from": "w@example.org"}},
        base_dir=tmp_path,
    )
    messages = []
    for n in (1, 2):
        m = EmailMessage()
        m["Message-ID"], m["Subject"], m["To"] = f"<{n}@example.org>", f"alerte {n}", "c@example.org"
        messages.append(m)
    with Store.open(tmp_path / "watcher.db") as store:
        store.record_check(PARENT, [], held=messages)
        family = [
            CheckResult(PARENT, "changed", held=(("<1@example.org>", moved(30, 24)),)),
            CheckResult(f"{PARENT} — X", "changed", held=(("<2@example.org>", moved(12, 18)),)),
        ]
        gather(config, store, family)
        assert sorted(item.message_id for item in store.pending()) == ["<1@example.org>", "<2@example.org>"]
