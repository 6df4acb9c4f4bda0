"""`watcher report`: one self-contained HTML page after a real import (2019) and real checks (2020, 2021),
read as HTML and then rendered by a real headless Chromium."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from watcher.cli import main
from watcher.config import SchoolConfig
from watcher.french.report import render_report, section
from watcher.model import Row, Snapshot

from .conftest import FIXTURES, LIST_PATH, RANKING, Site, SmtpServer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
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
    return BeautifulSoup(report().read_text(encoding="utf-8"), "lxml")


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
    # The chart is inline: a data: URI of a real PNG.
    (img,) = soup.find_all("img")
    src = str(img["src"])
    assert src.startswith("data:image/png;base64,")
    assert png_size(base64.b64decode(src.split(",", 1)[1])) == (600, 300)


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
