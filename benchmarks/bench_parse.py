"""1. Parsing a full list page: watcher's parser against bare BeautifulSoup(lxml) and bare lxml + XPath."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

import lxml.html
from bs4 import BeautifulSoup
from common import Result, median, verdict
from fixture_site import FIXTURES, LIST_PATH

TARGET_RATIO = 1.3
ROWS_XPATH = '//table[contains(concat(" ", normalize-space(@class), " "), " c-pmd-table ")]//tr'


def _median_time(function: Callable[[], object], runs: int) -> float:
    function()  # warm-up: first-call costs (selector compilation, imports) are not what is compared
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return median(times)


def parse_page(name: str, runs: int) -> Result:
    from watcher.layouts import assemble, parse_list_page

    content = (FIXTURES / name).read_bytes()
    url = "https://www.letudiant.fr" + LIST_PATH

    def ours() -> int:
        page = parse_list_page(content, url)
        return assemble([page], ranking="bench", fetched_at=datetime.now(UTC)).count

    def bare_soup() -> object:
        return BeautifulSoup(content, "lxml")

    def bare_lxml() -> int:
        return len(lxml.html.fromstring(content).xpath(ROWS_XPATH))

    rows = ours()
    # Interleave the three, so a slow patch of the machine hits them alike.
    timings: dict[str, list[float]] = {"ours": [], "soup": [], "lxml": []}
    for _ in range(3):
        for key, function in (("ours", ours), ("soup", bare_soup), ("lxml", bare_lxml)):
            timings[key].append(_median_time(function, max(1, runs // 3)))
    t_ours, t_soup, t_lxml = (median(timings[k]) for k in ("ours", "soup", "lxml"))
    ratio = t_ours / t_soup
    return Result(
        key="1",
        what=f"parse + assemble {name} ({rows} rows, {len(content) // 1024} KB)",
        measured=f"{ratio:.2f}× soup, {t_ours / t_lxml:.0f}× lxml (ours {t_ours * 1000:.1f} ms, "
        f"soup {t_soup * 1000:.1f} ms, lxml+XPath {t_lxml * 1000:.1f} ms)",
        target=f"≤ {TARGET_RATIO}× bare soup",
        status=verdict(ratio <= TARGET_RATIO),
        notes=[
            f"{name}: median of {3 * max(1, runs // 3)} runs each, interleaved; bare lxml+XPath finds "
            f"{bare_lxml()} <tr> (header, group and school rows)"
        ],
    )


def run(runs: int) -> list[Result]:
    return [parse_page(name, runs) for name in ("palmares-general-2019.html", "palmares-general-2020.html")]
