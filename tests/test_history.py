"""`watcher history` in its three formats and `--chart`, after a real import (2019) and real checks (2020, 2021)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.model import Row, Snapshot

from .conftest import FIXTURES, LIST_PATH, RANKING, Site, SmtpServer, fixture_snapshot

YEARS = (2019, 2020, 2021)
CSV_HEADER = "school,ranking,edition,rank,ex_aequo,points,group,schools,fetched_at,source"
FIELDS = set(CSV_HEADER.split(","))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fixture_snapshot_at(year: int) -> Snapshot:
    return fixture_snapshot(year, fetched_at=datetime(2021, 12, 15, tzinfo=UTC))


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


@pytest.fixture(scope="module")
def editions() -> dict[int, Snapshot]:
    return {year: fixture_snapshot_at(year) for year in YEARS}


def presence(editions: dict[int, Snapshot]) -> dict[str, dict[int, Row]]:
    """Each school (by key) → its row in each edition that lists it."""
    found: dict[str, dict[int, Row]] = {}
    for year, snapshot in editions.items():
        for row in snapshot.rows:
            found.setdefault(row.key, {})[year] = row
    return found


def pick(editions: dict[int, Snapshot], years: tuple[int, ...]) -> dict[int, Row]:
    """A school listed in exactly `years`, with a non-ASCII name if there is one (accents must survive too)."""
    candidates = [rows for rows in presence(editions).values() if tuple(sorted(rows)) == years]
    assert candidates, f"no school of the fixtures is listed in exactly {years}"
    # The same name in every edition it is listed in (matching is by name in the config).
    candidates = [rows for rows in candidates if len({r.name for r in rows.values()}) == 1]
    candidates.sort(key=lambda rows: (next(iter(rows.values())).name.isascii(), next(iter(rows.values())).name))
    return candidates[0]


@pytest.fixture
def populate(site: Site, smtp: SmtpServer, write_config) -> Callable[..., Path]:
    """Import 2019 from the saved page, then check 2020 and 2021 over HTTP, watching `school`."""

    def go(school: str = "IMT Mines Alès") -> Path:
        config = write_config(smtp.port, school=school)
        page_2019 = str(FIXTURES / "palmares-general-2019.html")
        assert run(config, "import", page_2019, "--edition", "2019", "--ranking", RANKING) == 0
        for year in (2020, 2021):
            site.edition(year)
            assert run(config, "check") == 0
        return config

    return go


def history(config: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(config, "history", *args)
    out = capsys.readouterr()
    return code, out.out, out.err


def table_lines(text: str) -> dict[int, str]:
    """The edition lines of the table, by edition."""
    return {int(m.group(1)): line for line in text.splitlines() if (m := re.match(r"\s+(\d{4})\s", line))}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, data[:16]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- The watched school in all three editions ----------------------------------------------------------------


def test_table_has_the_rank_of_each_edition(populate, capsys) -> None:
    config = populate()
    code, out, _ = history(config, capsys)
    assert code == 0
    assert out.splitlines()[0] == f"IMT Mines Alès — {RANKING}"
    lines = table_lines(out)
    assert sorted(lines) == list(YEARS)
    for year, rank, points, schools in (
        (2019, "40e", "39,7", 174),
        (2020, "33e", "41,8", 167),
        (2021, "27e", "43,5", 168),
    ):
        cols = lines[year].split()
        assert cols[:5] == [str(year), rank, points, "A", str(schools)], lines[year]
        assert "heure de Paris" in lines[year]
        assert ("imported from a copy saved" in lines[year]) == (year == 2019)
    assert "not ranked" not in out


def test_csv_has_the_header_and_the_rank_of_each_edition(populate, capsys, httpserver) -> None:
    config = populate()
    code, out, _ = history(config, capsys, "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == CSV_HEADER
    records = list(csv.DictReader(io.StringIO(out)))
    assert [(r["edition"], r["rank"], r["ex_aequo"], r["points"], r["group"], r["schools"]) for r in records] == [
        ("2019", "40", "False", "39.7", "A", "174"),
        ("2020", "33", "False", "41.8", "A", "167"),
        ("2021", "27", "False", "43.5", "A", "168"),
    ]
    assert {r["ranking"] for r in records} == {RANKING}
    # 2019 came from the saved page, 2020 and 2021 from the site.
    assert records[0]["source"] == (FIXTURES / "palmares-general-2019.html").resolve().as_uri()
    assert records[1]["source"] == records[2]["source"] == httpserver.url_for(LIST_PATH)
    for r in records:
        assert datetime.fromisoformat(r["fetched_at"]).tzinfo is not None


def test_json_has_the_keys_and_the_rank_of_each_edition(populate, capsys, httpserver) -> None:
    config = populate()
    code, out, _ = history(config, capsys, "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [set(r) for r in records] == [FIELDS] * 3
    assert [(r["edition"], r["rank"], r["ex_aequo"], r["points"], r["group"], r["schools"]) for r in records] == [
        (2019, 40, False, 39.7, "A", 174),
        (2020, 33, False, 41.8, "A", 167),
        (2021, 27, False, 43.5, "A", 168),
    ]
    assert [r["ranking"] for r in records] == [RANKING] * 3
    assert records[2]["source"] == httpserver.url_for(LIST_PATH)


def test_chart_is_a_png_of_sensible_size(populate, capsys, tmp_path: Path) -> None:
    config = populate()
    chart = tmp_path / "rang.png"
    code, out, err = history(config, capsys, "--chart", str(chart))
    assert code == 0
    assert "27e" in out  # the table is still printed
    assert str(chart) in err
    data = chart.read_bytes()
    assert png_size(data) == (600, 300)
    assert 5_000 < len(data) < 500_000


# --- A school absent from one edition --------------------------------------------------------------------------


def test_absent_edition_is_not_ranked_never_zero_in_every_format(populate, editions, capsys) -> None:
    rows = pick(editions, (2019, 2021))  # listed in 2019 and 2021, not in 2020
    name = rows[2019].name
    config = populate(name)

    code, out, _ = history(config, capsys)
    assert code == 0
    lines = table_lines(out)
    assert lines[2019].split()[1] == f"{rows[2019].rank}e"
    assert lines[2021].split()[1] == f"{rows[2021].rank}e"
    assert "not ranked" in lines[2020]
    assert lines[2020].split()[:4] == ["2020", "not", "ranked", "167"], lines[2020]  # no points, no group
    assert not re.search(r"\b0e\b", out)

    code, out, _ = history(config, capsys, "--format", "csv")
    assert code == 0
    records = {r["edition"]: r for r in csv.DictReader(io.StringIO(out))}
    assert records["2019"]["rank"] == str(rows[2019].rank)
    assert records["2021"]["rank"] == str(rows[2021].rank)
    absent = records["2020"]
    assert (absent["rank"], absent["ex_aequo"], absent["points"], absent["group"]) == ("", "", "", "")
    assert absent["schools"] == "167"

    code, out, _ = history(config, capsys, "--format", "json")
    assert code == 0
    by_edition = {r["edition"]: r for r in json.loads(out)}
    assert by_edition[2019]["rank"] == rows[2019].rank and by_edition[2021]["rank"] == rows[2021].rank
    assert by_edition[2020]["rank"] is None
    assert by_edition[2020]["points"] is None and by_edition[2020]["ex_aequo"] is None
    assert by_edition[2020]["schools"] == 167


def test_chart_of_a_school_absent_from_one_edition_still_draws(populate, editions, capsys, tmp_path: Path) -> None:
    rows = pick(editions, (2019, 2021))
    config = populate(rows[2019].name)
    chart = tmp_path / "chart.png"
    code, _, _ = history(config, capsys, "--chart", str(chart))
    assert code == 0
    assert png_size(chart.read_bytes()) == (600, 300)


def test_chart_with_fewer_than_two_ranked_editions_exits_1(populate, editions, capsys, tmp_path: Path) -> None:
    rows = pick(editions, (2020,))  # listed in 2020 only
    (row,) = rows.values()
    config = populate(row.name)
    chart = tmp_path / "chart.png"
    code, out, err = history(config, capsys, "--chart", str(chart))
    assert code == 1
    assert "fewer than two editions" in err
    assert row.name in err  # accents intact in the message
    assert RANKING in err
    assert not chart.exists()
    # The table itself was printed: ranked once, then absent.
    lines = table_lines(out)
    assert lines[2020].split()[1] == f"{row.rank}e"
    assert "not ranked" in lines[2019] and "not ranked" in lines[2021]


def test_chart_before_any_snapshot_exits_1(smtp: SmtpServer, write_config, capsys, tmp_path: Path) -> None:
    config = write_config(smtp.port)
    code, out, err = history(config, capsys, "--chart", str(tmp_path / "c.png"))
    assert code == 1
    assert "no snapshot yet" in out
    assert "fewer than two editions" in err


# --- Accents and long names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("school", ["Institut d'Optique Graduate School", "École des ponts ParisTech"])
def test_long_and_accented_names_in_every_format(populate, editions, capsys, school: str) -> None:
    expected = {}
    for year in YEARS:
        (row,) = [r for r in editions[year].rows if r.name == school]
        expected[year] = row.rank
    config = populate(school)

    code, out, _ = history(config, capsys)
    assert code == 0
    assert RANKING in out
    assert {y: line.split()[1] for y, line in table_lines(out).items()} == {y: f"{r}e" for y, r in expected.items()}

    code, out, _ = history(config, capsys, "--format", "csv")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    assert {int(r["edition"]): int(r["rank"]) for r in records} == expected
    assert {r["ranking"] for r in records} == {RANKING}

    code, out, _ = history(config, capsys, "--format", "json")
    assert code == 0
    assert "\\u00e9" not in out  # written as UTF-8, not escaped
    records = json.loads(out)
    assert {r["edition"]: r["rank"] for r in records} == expected
    assert {r["ranking"] for r in records} == {RANKING}


def test_csv_and_json_are_utf8_on_a_real_stdout_in_the_c_locale(populate) -> None:
    """The console script, its output piped as in `watcher history --format csv > history.csv`."""
    config = populate()
    script = Path(sys.executable).with_name("watcher")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO", "PYTHONUTF8"))}
    env["LANG"] = env["LC_ALL"] = "C"
    for fmt in ("csv", "json"):
        done = subprocess.run(
            [str(script), "--config", str(config), "history", "--format", fmt],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        text = done.stdout.decode("utf-8")  # raises if not UTF-8
        assert RANKING in text
        assert "27" in text


# --- Editions of which no list was read ------------------------------------------------------------------------


def test_an_edition_without_a_list_is_said_with_how_to_import_it(site: Site, smtp: SmtpServer, write_config, capsys):
    """2019 imported, 2021 checked, 2020 never read: the table says so between them, never skips it silently."""
    config = write_config(smtp.port)
    assert (
        run(config, "import", str(FIXTURES / "palmares-general-2019.html"), "--edition", "2019", "--ranking", RANKING)
        == 0
    )
    site.edition(2021)
    assert run(config, "check") == 0
    code, out, _ = history(config, capsys)
    assert code == 0
    lines = out.splitlines()
    [gap] = [line for line in lines if line.split()[:1] == ["2020"]]
    assert "no list read" in gap and "watcher import" in gap
    assert lines.index(gap) == lines.index(table_lines(out)[2019]) + 1  # in its place, between 2019 and 2021
    assert table_lines(out)[2021].split()[1] == "27e"
