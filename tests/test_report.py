"""`watcher report`: one self-contained HTML page after a real import (2019) and real checks (2020, 2021),
read as HTML and then rendered by a real headless Chromium."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from watcher.cli import main
from watcher.config import SchoolConfig
from watcher.french.report import render_report, section
from watcher.model import Row, Snapshot

from .conftest import FIXTURES, LIST_PATH, RANKING, Site, SmtpServer, fixture_snapshot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEST_OUTPUT = Path(__file__).resolve().parents[1] / "test-output"  # screenshots kept for review (git-ignored)
SERIES = "2019 : 40e, 2020 : 33e, 2021 : 27e"
EVIL = "<b>Sigma</b> & <script>alert(1)</script>"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def with_school_keys(config: Path, keys: str) -> Path:
    """Add keys to the [school] table of a config written by `write_config`."""
    text = config.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[school]\n")
    assert sep, text
    name, nl, rest = tail.partition("\n")
    config.write_text(head + sep + name + nl + keys.rstrip("\n") + "\n" + rest, encoding="utf-8")
    return config


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, data[:16]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def report(site: Site, smtp: SmtpServer, write_config, tmp_path: Path) -> Callable[..., Path]:
    """Import 2019, check 2020 and 2021 (peers configured), then `watcher report --output`."""

    def go() -> Path:
        config = with_school_keys(write_config(smtp.port), 'peers = ["IMT Mines Albi", "mines-saint-etienne"]')
        page = str(FIXTURES / "palmares-general-2019.html")
        assert run(config, "import", page, "--edition", "2019", "--ranking", RANKING) == 0
        for year in (2020, 2021):
            site.edition(year)
            assert run(config, "check") == 0
        output = tmp_path / "out" / "rapport.html"
        output.parent.mkdir()
        assert run(config, "report", "--output", str(output)) == 0
        return output

    return go


@pytest.fixture
def soup(report) -> BeautifulSoup:
    # Narrow no-break spaces read as spaces: these tests are about figures (typography has its own test).
    return BeautifulSoup(report().read_text(encoding="utf-8").replace("\u202f", " "), "lxml")


def test_no_line_of_the_report_breaks_before_a_colon_or_a_percent(report) -> None:
    html = report().read_text(encoding="utf-8")
    style, _, body = html.partition("</style>")
    text = BeautifulSoup(body, "lxml").get_text()
    for mark in ":;%!?":
        assert f" {mark}" not in text, mark
    assert "\u202f:" in text and "\u202f%" in text
    assert "%\u202f" not in style and "\u202f" not in style  # the stylesheet is left as written


def table_after(soup: BeautifulSoup, heading: str) -> Tag:
    h3 = soup.find("h3", string=re.compile(heading))
    assert isinstance(h3, Tag), heading
    table = h3.find_next("table")
    assert isinstance(table, Tag)
    return table


def body_rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find("td")]


def cells(tr: Tag) -> list[str]:
    return [td.get_text(" ", strip=True) for td in tr.find_all("td")]


# --- The report as HTML ----------------------------------------------------------------------------------------


def test_command_says_where_it_wrote(report, capsys) -> None:
    path = report()
    assert f"Report written to {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_self_contained(soup: BeautifulSoup, httpserver) -> None:
    assert soup.find("script") is None
    for link in soup.find_all("link"):
        assert not re.match(r"(https?:)?//", str(link.get("href", ""))), link
    remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    http_links = []
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                if remote.match(str(v)):
                    assert (tag.name, attr) == ("a", "href"), f"remote resource: <{tag.name} {attr}={v!r}>"
                    http_links.append(v)
    # The only http links are the sources (2020 and 2021 were fetched from the site).
    assert set(http_links) == {httpserver.url_for(LIST_PATH)}
    for style in soup.find_all("style"):
        assert "url(" not in style.get_text() and "@import" not in style.get_text()
    # The chart is inline: data: URIs of real PNGs, drawn at twice their size (600×300 wide, 360×300 on a phone).
    (img,) = soup.find_all("img")
    src = str(img["src"])
    assert src.startswith("data:image/png;base64,")
    assert png_size(base64.b64decode(src.split(",", 1)[1])) == (1200, 600)
    assert (img["width"], img["height"]) == ("600", "300")
    (source,) = soup.find_all("source")
    narrow, density = str(source["srcset"]).split(" ")
    assert narrow.startswith("data:image/png;base64,") and density == "2x"
    assert png_size(base64.b64decode(narrow.split(",", 1)[1])) == (720, 600)


def test_rank_and_title(soup: BeautifulSoup) -> None:
    rank = soup.find(id="rank")
    assert isinstance(rank, Tag)
    assert rank.get_text(strip=True) == "27e"
    assert soup.find("h1").get_text(strip=True) == "IMT Mines Alès"
    assert "sur 168 écoles classées, édition 2021, groupe A" in rank.parent.get_text(" ", strip=True)
    assert soup.find("h2").get_text(strip=True) == RANKING


def test_rank_by_edition_table(soup: BeautifulSoup) -> None:
    rows = [cells(tr)[:2] for tr in body_rows(table_after(soup, "Rang par édition"))]
    assert rows == [["2019", "40e"], ["2020", "33e"], ["2021", "27e"]]


def test_neighbourhood_is_five_above_and_five_below(soup: BeautifulSoup) -> None:
    rows = body_rows(table_after(soup, "Voisinage dans l'édition 2021"))
    assert len(rows) == 11
    assert [cells(tr)[0] for tr in rows] == [f"{rank}e" for rank in range(22, 33)]
    me = [tr for tr in rows if "me" in (tr.get("class") or [])]
    assert me == [rows[5]]
    assert cells(rows[5])[:3] == ["27e", "IMT Mines Alès", "A"]
    assert cells(rows[5])[-1] == "43,5"
    assert "IMT Mines Albi" in cells(rows[7])  # 29e


def test_peers_and_overtakes(soup: BeautifulSoup) -> None:
    h3 = soup.find("h3", string=re.compile("Écoles comparables"))
    assert isinstance(h3, Tag)
    assert "2020 → 2021" in h3.get_text()
    items = [li.get_text(strip=True) for li in h3.find_next("ul").find_all("li")]
    assert items == ["IMT Mines Albi : 26e → 29e (perd 3 places)", "Mines Saint-Étienne : 5e → 1re (gagne 4 places)"]
    assert "IMT Mines Alès passe devant IMT Mines Albi." in [p.get_text(strip=True) for p in soup.find_all("p")]


def test_paragraph(soup: BeautifulSoup) -> None:
    (quote,) = soup.find_all("blockquote")
    text = quote.get_text(" ", strip=True)
    assert text.startswith("IMT Mines Alès gagne six places au")
    for expected in ("de la 33e place à la 27e place", "168 écoles", "première moitié du groupe A", "17 % premières"):
        assert expected in text


def test_criteria_table(soup: BeautifulSoup) -> None:
    rows = {cells(tr)[0]: cells(tr)[1:] for tr in body_rows(table_after(soup, r"Critères \(édition 2020 → 2021\)"))}
    assert rows["Excellence académique"] == ["13,5", "13,7", "+0,2"]
    assert rows["Total"] == ["41,8", "43,5", "+1,7"]


def test_sources(soup: BeautifulSoup, httpserver) -> None:
    h3 = soup.find("h3", string="Sources")
    assert isinstance(h3, Tag)
    items = h3.find_next("ul").find_all("li")
    assert len(items) == 3
    texts = [li.get_text(" ", strip=True) for li in items]
    assert [t.split(" :")[0] for t in texts] == ["Édition 2019", "Édition 2020", "Édition 2021"]
    assert "(copie importée)" in texts[0]
    assert items[0].a["href"] == (FIXTURES / "palmares-general-2019.html").resolve().as_uri()
    for li, text in zip(items[1:], texts[1:], strict=True):
        assert "copie importée" not in text
        assert li.a["href"] == httpserver.url_for(LIST_PATH)
    assert all("heure de Paris" in t for t in texts)


# --- Scraped text is escaped -----------------------------------------------------------------------------------


def test_scraped_names_are_escaped(smtp: SmtpServer, write_config, tmp_path: Path) -> None:
    """A 2020 page whose school name holds markup (as text), imported, then reported."""
    original = (FIXTURES / "palmares-general-2020.html").read_bytes()
    assert original.count(b">Sigma Clermont</a>") == 1
    escaped = b"&lt;b&gt;Sigma&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;"
    page = tmp_path / "palmares-2020-modifie.html"
    page.write_bytes(original.replace(b">Sigma Clermont</a>", b">" + escaped + b"</a>"))
    config = with_school_keys(write_config(smtp.port), 'peers = ["sigma-clermont"]')
    for path, edition in ((FIXTURES / "palmares-general-2019.html", "2019"), (page, "2020")):
        assert run(config, "import", str(path), "--edition", edition, "--ranking", RANKING) == 0
    output = tmp_path / "report.html"
    assert run(config, "report", "--output", str(output)) == 0
    html = output.read_text(encoding="utf-8")
    assert "<script" not in html and "<b>Sigma" not in html
    assert "&lt;b&gt;Sigma&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = BeautifulSoup(html, "lxml")
    assert soup.find("script") is None and soup.find("b") is None
    rows = body_rows(table_after(soup, "Voisinage dans l'édition 2020"))
    assert [cells(tr)[1] for tr in rows if cells(tr)[0] == "32e"] == [EVIL]
    # Also the peer line, which quotes the same name.
    assert any(li.get_text().startswith(EVIL) for li in soup.find_all("li"))


def test_render_report_escapes_the_school_and_every_row() -> None:
    when = datetime(2021, 12, 15, 6, 2, tzinfo=UTC)
    school = SchoolConfig(name='École "A" <i>&</i>')
    names = [f"École {i}" for i in range(1, 12)]
    names[3] = "<img src=x onerror=alert(1)>"
    old = Snapshot(
        RANKING, "https://example.org/?a=1&b=<2>", 2020, tuple(Row(i + 1, n) for i, n in enumerate(names)), when
    )
    rows = [Row(i + 1, n) for i, n in enumerate(names)]
    rows[4], rows[5] = Row(5, school.name), Row(6, names[4])
    new = Snapshot(RANKING, "https://example.org/?a=1&b=<2>", 2021, tuple(rows), when)
    found = section(RANKING, [old, new], school)
    assert found is not None
    html = render_report(school, [found], when)
    assert "<i>" not in html and "<img src=x" not in html and "<2>" not in html
    assert (
        "École &#34;A&#34; &lt;i&gt;&amp;&lt;/i&gt;" in html or "École &quot;A&quot; &lt;i&gt;&amp;&lt;/i&gt;" in html
    )
    soup = BeautifulSoup(html, "lxml")
    assert soup.find("h1").get_text() == school.name
    assert soup.find(id="rank").get_text(strip=True) == "5e"
    assert soup.find("img") is None  # no chart (only one edition ranks the school), and no injected image
    assert "https://example.org/?a=1&b=<2>" in [a["href"] for a in soup.find_all("a")]


def test_editions_without_a_list_read_are_said_in_their_place() -> None:
    when = datetime(2021, 12, 15, 6, 2, tzinfo=UTC)
    school = SchoolConfig(name="IMT Mines Alès")
    snapshots = [fixture_snapshot(2017, fetched_at=when), fixture_snapshot(2021, fetched_at=when)]
    found = section(RANKING, snapshots, school)
    assert found is not None
    soup = BeautifulSoup(render_report(school, [found], when).replace("\u202f", " "), "lxml")
    rows = [cells(tr)[:2] for tr in body_rows(table_after(soup, "Rang par édition"))]
    assert [r[0] for r in rows] == ["2017", "2018 à 2020", "2021"]
    assert rows[1][1] == "pas de relevé"


# --- A real browser --------------------------------------------------------------------------------------------


def headless(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return done


def test_browser_renders_the_rank_and_the_school(report, chromium: str, tmp_path: Path) -> None:
    path = report()
    done = headless(chromium, tmp_path / "profile", "--dump-dom", path.as_uri())
    dom = BeautifulSoup(done.stdout.decode("utf-8"), "lxml")
    rank = dom.find(id="rank")
    assert isinstance(rank, Tag), done.stdout[:2000]
    assert rank.get_text(strip=True) == "27e"
    assert dom.find("h1").get_text(strip=True) == "IMT Mines Alès"
    assert len(body_rows(table_after(dom, "Voisinage"))) == 11


def test_browser_screenshot_is_a_real_picture(report, chromium: str, tmp_path: Path) -> None:
    from PIL import Image  # matplotlib's own dependency

    path = report()
    shot = tmp_path / "report.png"
    headless(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,2400", path.as_uri())
    data = shot.read_bytes()
    assert png_size(data) == (1000, 2400)
    assert len(data) > 30_000
    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 20) or []
        # The page drew text, tables and the chart (its blue line and the rank are #1f4e8c), not a blank page.
        assert len(colours) > 50
        blue = sum(n for n, (r, g, b) in colours if abs(r - 0x1F) < 24 and abs(g - 0x4E) < 24 and abs(b - 0x8C) < 24)
        assert blue > 500


def test_a_scraped_criterion_label_is_escaped(smtp: SmtpServer, write_config, tmp_path: Path) -> None:
    """Both editions' tables name a criterion with markup (as text); the report's criteria table shows it as text."""
    label = b"&lt;i&gt;Excellence&lt;/i&gt; acad\xc3\xa9mique"
    config = write_config(smtp.port)
    for year in ("2019", "2020"):
        page = tmp_path / f"palmares-{year}.html"
        original = (FIXTURES / f"palmares-general-{year}.html").read_bytes()
        encoding = "windows-1252" if year == "2019" else "utf-8"
        page.write_bytes(original.replace("Excellence académique".encode(encoding), label.decode().encode(encoding)))
        assert run(config, "import", str(page), "--edition", year, "--ranking", RANKING) == 0
    output = tmp_path / "report.html"
    assert run(config, "report", "--output", str(output)) == 0
    html = output.read_text(encoding="utf-8")
    assert "<i>Excellence" not in html and "&lt;i&gt;Excellence&lt;/i&gt; académique" in html
    assert BeautifulSoup(html, "lxml").find("i") is None


def test_a_scraped_indicator_label_and_value_are_escaped() -> None:
    from dataclasses import replace

    from watcher.model import IndicatorChange

    when = datetime(2021, 12, 15, 6, 2, tzinfo=UTC)
    school = SchoolConfig(name="École 3")
    rows = tuple(Row(i + 1, f"École {i + 1}") for i in range(11))
    moved = (*rows[:1], Row(2, "École 3"), Row(3, "École 2"), *rows[3:])
    found = section(
        RANKING, [Snapshot(RANKING, "u", 2020, rows, when), Snapshot(RANKING, "u", 2021, moved, when)], school
    )
    assert found is not None and found.alert is not None
    evil = "<img src=x onerror=alert(1)>"
    found = replace(found, alert=replace(found.alert, indicators=(IndicatorChange(evil, "1", evil, 1),)))
    html = render_report(school, [found], when)
    assert "<img src=x" not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") >= 2


# --- At a phone's width and a laptop's, in the real browser ----------------------------------------------------


class DevTools:
    """Chromium driven over its DevTools pipe (fds 3 and 4), for exact widths.

    The command line's `--window-size` cannot go under 500 px in today's headless Chromium; the
    DevTools protocol sets the viewport itself, as a phone has it (375 CSS px, `mobile`).
    """

    def __init__(self, chromium: str, profile: Path, log: Path) -> None:
        # Chromium's ends of the pipes go above fd 9 first, so that putting them on 3 and 4 cannot clash.
        ends = [*os.pipe(), *os.pipe()]
        commands, self._write, self._read, answers = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in ends)
        for fd in ends:
            os.close(fd)
        arguments = [
            *("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"),
            *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
            *(f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"),
        ]
        # A small Python trampoline moves them onto 3 and 4 and becomes Chromium (no fork-time hook needed).
        onto_3_and_4 = "import os, sys; a, b = map(int, sys.argv[1:3]); os.dup2(a, 3); os.dup2(b, 4); "
        onto_3_and_4 += "os.close(a); os.close(b); os.execv(sys.argv[3], sys.argv[3:])"
        self.log = log
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", onto_3_and_4, str(commands), str(answers), chromium, *arguments],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=(commands, answers),
            )
        os.close(commands)
        os.close(answers)
        self._buffer, self._id = b"", 0
        self._events: list[dict[str, Any]] = []  # what Chromium said unasked, kept for `load`

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self._read, 1 << 20) if ready else b""
            if not chunk:  # a guard against a hung or dead browser, not a timed assertion
                pytest.fail(f"Chromium stopped answering: {self.log.read_text(errors='replace')[-3000:]}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        sent = {"id": self._id, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._write, json.dumps(sent).encode() + b"\0")
        deadline = time.monotonic() + 120
        while (message := self._message(deadline)).get("id") != self._id:
            self._events.append(message)
        assert "error" not in message, (method, message["error"])
        return dict(message["result"])

    def load(self, session: str, url: str) -> None:
        """Go to `url` and return once its load event has fired (an earlier page's events are dropped)."""
        self._events.clear()
        self.call("Page.navigate", session, url=url)
        deadline = time.monotonic() + 120
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._message(deadline))

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self._write)
            os.close(self._read)


@contextmanager
def page_at(chromium: str, tmp_path: Path, url: str, width: int) -> Iterator[tuple[DevTools, str]]:
    """The page loaded in a viewport `width` CSS px wide (a phone's below 600), at one device pixel per px."""
    browser = DevTools(chromium, tmp_path / f"profile-{width}", tmp_path / f"chromium-{width}.log")
    try:
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        session = str(browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"])
        browser.call("Page.enable", session)
        metrics = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600}
        browser.call("Emulation.setDeviceMetricsOverride", session, **metrics)
        browser.load(session, url)
        yield browser, session
    finally:
        browser.close()


# What the page measures of itself, once loaded: the page's width against the viewport's, the column's content
# box, the chart's box, each table's box and its wrapper's, and any element sticking out past `width`.
MEASURE = """(width => {
  const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const img = document.querySelector("img");
  const scrolled = e => {  // inside a box of its own that scrolls (or clips), which the page does not widen
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== "visible") return true;
    return false;
  };
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    column: (() => { const r = box(document.body), s = getComputedStyle(document.body);  // its content box
                     const left = r.left + parseFloat(s.paddingLeft), right = r.right - parseFloat(s.paddingRight);
                     return {left, right, width: right - left}; })(),
    chart: img && {...box(img), complete: img.complete, wide: img.currentSrc === img.src,
                   natural: [img.naturalWidth, img.naturalHeight]},
    tables: [...document.querySelectorAll("table")].map(t => ({table: box(t), wrapper: box(t.parentElement),
                                                             scrolls: getComputedStyle(t.parentElement).overflowX})),
    sticking: [...document.body.querySelectorAll("*")]
      .filter(e => e.getBoundingClientRect().right > width + 0.5 && !scrolled(e))
      .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")),
  };
})"""


def look_at(chromium: str, tmp_path: Path, report: Path, width: int, capsys: pytest.CaptureFixture[str]) -> Any:
    """The report's own measures at `width`, and its whole page saved to test-output/ for review."""
    with page_at(chromium, tmp_path, report.as_uri(), width) as (browser, session):
        measure = {"expression": f"{MEASURE}({width})", "returnByValue": True}
        measured = browser.call("Runtime.evaluate", session, **measure)["result"]["value"]
        height = browser.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        shot = browser.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True, clip=clip)
    TEST_OUTPUT.mkdir(exist_ok=True)
    path = TEST_OUTPUT / f"report-{width}px.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    with capsys.disabled():
        print(f"\nscreenshot of the report at {width} px: {path}")
    assert png_size(path.read_bytes()) == (width, int(height))
    return measured


def test_at_a_phones_width_nothing_overflows_and_the_chart_fits(
    report, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = look_at(chromium, tmp_path, report(), 375, capsys)
    # (A page wider than a phone also widens its layout viewport: innerWidth would follow scrollWidth.)
    assert m["scrollWidth"] <= 375, f"the page is {m['scrollWidth']} px wide; sticking out: {m['sticking']}"
    assert m["innerWidth"] == 375 and m["sticking"] == []
    chart, column = m["chart"], m["column"]
    assert chart["complete"] and chart["left"] >= 0 and chart["right"] <= 375, chart
    assert not chart["wide"] and chart["natural"] == [360, 300]  # the chart drawn for a phone, not the wide one
    # Scaled to the column (351 px here, less than the chart's 360): neither cut nor sticking into the margin.
    assert column["width"] < 360
    assert abs(chart["left"] - column["left"]) < 1 and abs(chart["width"] - column["width"]) < 1, (chart, column)
    assert len(m["tables"]) == 3  # by edition, the neighbourhood, the criteria: each in its own box
    for t in m["tables"]:
        assert t["scrolls"] == "auto", t
        assert column["left"] - 0.5 <= t["wrapper"]["left"] and t["wrapper"]["right"] <= column["right"] + 0.5, t
    # The neighbourhood (rank, school, group, four criteria, total) is wider than a phone: it scrolls in its box.
    assert max(t["table"]["width"] for t in m["tables"]) > max(t["wrapper"]["width"] for t in m["tables"])


def test_at_a_laptops_width_one_readable_column(
    report, chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = look_at(chromium, tmp_path, report(), 1280, capsys)
    assert m["innerWidth"] == 1280 and m["scrollWidth"] <= 1280 and m["sticking"] == []
    column = m["column"]
    assert 600 <= column["width"] <= 56 * 16, column  # a column of at most 56em, not the whole screen
    assert column["left"] > 100  # centred
    chart = m["chart"]
    assert chart["wide"] and chart["natural"] == [1200, 600] and chart["width"] == 600  # drawn twice as fine
    assert column["left"] <= chart["left"] and chart["right"] <= column["right"]
    for t in m["tables"]:
        assert t["table"]["width"] <= t["wrapper"]["width"] + 0.5, t  # room enough: nothing scrolls
