"""What a check costs the site and the machine: the requests the local site sees, the modules a one-shot check loads,
and the heavy steps the daemon runs apart."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from watcher.apart import Apart
from watcher.cli import main
from watcher.config import FetchConfig
from watcher.errors import FetchError
from watcher.pages.fetch import Fetcher

from .conftest import LIST_PATH, SCHOOL_PATH, Site, SmtpServer

SCHOOL_PAGE = SCHOOL_PATH + "imt-mines-ales.html"
# A check whose pages answered 304 needs none of these: the parser, the templates, the chart, the scheduler, and
# the libraries whose import cost more than the check (sqlite-utils, and pydantic, which the config no longer uses).
HEAVY = (
    "bs4",
    "lxml",
    "soupsieve",
    "html5lib",
    "jinja2",
    "PIL",
    "matplotlib",
    "apscheduler",
    "sqlite_utils",
    "pydantic",
)


def run(config: Path) -> int:
    return main(["--config", str(config), "check"])


def db(config: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(config.parent / "watcher.db")


def asked(site: Site) -> list[str]:
    """The paths (with their query) the site was asked for since the last `site.requests.clear()`."""
    return [r.path + (f"?{r.query_string.decode()}" if r.query_string else "") for r in site.requests]


def a_day_later(config: Path) -> None:
    """As if the last check had run a day and an hour ago: what was asked then is due again."""
    earlier = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    db(config).execute("update school_page_asks set asked_at = ?", [earlier])
    db(config).execute("update hosts set robots_fetched_at = ?", [earlier])
    db(config).conn.commit()


def revised(content: bytes, score: bytes = b"99,5") -> bytes:
    """The same list with the first criterion score of the first school corrected: the list changed."""
    marker = b'<td class="c-pmd-table__crit">'
    start = content.index(marker) + len(marker)
    return content[:start] + score + content[content.index(b"</td>", start) :]


@pytest.fixture
def config(site: Site, smtp: SmtpServer, write_config) -> Path:
    site.edition(2021)  # two list pages
    path: Path = write_config(smtp.port)
    assert run(path) == 0  # the baseline: robots.txt, both list pages, the school's page
    assert asked(site) == ["/robots.txt", LIST_PATH, LIST_PATH + "?page=2", SCHOOL_PAGE]
    site.requests.clear()
    return path


def test_an_unchanged_check_asks_once_per_list_page_conditionally_and_nothing_else(config: Path, site: Site) -> None:
    # Each `watcher check` is a process of its own, as under cron: robots.txt comes from the database.
    for _ in range(3):
        assert run(config) == 0
    assert asked(site) == [LIST_PATH, LIST_PATH + "?page=2"] * 3
    assert all(r.headers.get("If-None-Match") for r in site.requests)


def test_robots_txt_is_read_again_after_a_day(config: Path, site: Site) -> None:
    a_day_later(config)
    assert run(config) == 0
    assert run(config) == 0
    assert asked(site).count("/robots.txt") == 1


def test_the_school_page_is_asked_for_when_the_list_changes(config: Path, site: Site) -> None:
    site.pages[LIST_PATH] = revised(site.pages[LIST_PATH])
    assert run(config) == 0
    assert asked(site).count(SCHOOL_PAGE) == 1
    (request,) = [r for r in site.requests if r.path == SCHOOL_PAGE]
    assert request.headers.get("If-None-Match")  # conditionally, like the list


def test_a_school_page_that_answered_404_waits_for_the_next_change_of_the_list(
    config: Path, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    del site.pages[SCHOOL_PAGE]
    site.pages[LIST_PATH] = revised(site.pages[LIST_PATH])
    assert run(config) == 0
    assert asked(site).count(SCHOOL_PAGE) == 1  # the list changed: asked, and it answered 404
    site.requests.clear()
    capsys.readouterr()
    a_day_later(config)
    for _ in range(2):
        assert run(config) == 0
    assert SCHOOL_PAGE not in asked(site)  # not even a day later
    # The warning stands until the page is asked for again (ops, told of it once, are not told again).
    assert capsys.readouterr().err.count("the page of IMT Mines Alès could not be read") == 2
    site.pages[LIST_PATH] = revised(site.pages[LIST_PATH], b"98,5")
    assert run(config) == 0
    assert asked(site).count(SCHOOL_PAGE) == 1  # the list changed again: asked again


def test_a_check_answered_304_loads_no_parser_templates_images_scheduler_or_costly_library(
    config: Path, site: Site
) -> None:
    """A real one-shot `watcher check` process, as cron runs it; its modules are listed once it is done."""
    script = (
        "import json, sys\nfrom watcher.cli import main\ncode = main()\nprint(json.dumps([code, sorted(sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--config", str(config), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert (code, done.stderr) == (0, "")
    assert "not-modified" in done.stdout
    assert asked(site) == [LIST_PATH, LIST_PATH + "?page=2"]
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_a_step_run_apart_gives_back_its_value_its_errors_and_its_requests(site: Site, httpserver) -> None:
    site.pages["/page.html"] = b"<p>hello</p>"
    with Fetcher(FetchConfig(delay_seconds=0), "watcher@example.org") as fetcher:
        apart = Apart(fetcher)
        assert apart(lambda: fetcher.get(httpserver.url_for("/page.html")).content) == b"<p>hello</p>"
        # The child's requests, in the fetch log.
        statuses = [(e.url.rsplit("/", 1)[1], e.status) for e in fetcher.take_log()]
        assert statuses == [("robots.txt", 200), ("page.html", 200)]
        with pytest.raises(FetchError) as raised:
            apart(lambda: fetcher.get(httpserver.url_for("/missing.html")))
        assert (raised.value.status, raised.value.url) == (404, httpserver.url_for("/missing.html"))
    # robots.txt, read by the first child, was not read again by the second: the Fetcher learnt it.
    assert asked(site) == ["/robots.txt", "/page.html", "/missing.html"]
