"""1. Parsing a full list page: watcher's parser against bare BeautifulSoup(lxml) and bare lxml + XPath."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import lxml.html
from bs4 import BeautifulSoup
from common import Result, median, verdict
from fixture_site import FIXTURES, LIST_PATH

TARGET_RATIO = 1.3
ROWS_XPATH = '//table[contains(concat(" ", normalize-space(@class), " "), " c-pmd-table ")]//tr'
# Today's site: one page of each classements layout, and the bare lxml query that finds its rows.
CLASSEMENTS_URL = "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"
PAGES = (
    ("palmares-general-2019.html", "https://www.letudiant.fr" + LIST_PATH, ROWS_XPATH),
    ("palmares-general-2020.html", "https://www.letudiant.fr" + LIST_PATH, ROWS_XPATH),
    ("classements/classement-2023.html", CLASSEMENTS_URL, '//tr[@data-toggle-group="laureate-details"]'),
    ("classements/classement-2026.html", CLASSEMENTS_URL, '//a[contains(., "Voir la fiche")]'),
)


def _median_time(function: Callable[[], object], runs: int) -> float:
    function()  # warm-up: first-call costs (selector compilation, imports) are not what is compared
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return median(times)


def parse_page(name: str, url: str, xpath: str, runs: int) -> Result:
    from watcher.layouts import parse_list_page

    content = (FIXTURES / name).read_bytes()

    def ours() -> int:
        return len(parse_list_page(content, url).rows)

    def bare_soup() -> object:
        return BeautifulSoup(content, "lxml")

    def bare_lxml() -> int:
        return len(lxml.html.fromstring(content).xpath(xpath))

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
        what=f"parse {name} ({rows} rows, {len(content) // 1024} KB)",
        measured=f"{ratio:.2f}× soup, {t_ours / t_lxml:.0f}× lxml (ours {t_ours * 1000:.1f} ms, "
        f"soup {t_soup * 1000:.1f} ms, lxml+XPath {t_lxml * 1000:.1f} ms)",
        target=f"≤ {TARGET_RATIO}× bare soup",
        status=verdict(ratio <= TARGET_RATIO),
        notes=[
            f"{name}: median of {3 * max(1, runs // 3)} runs each, interleaved; bare lxml+XPath finds "
            f"{bare_lxml()} elements with {xpath}"
        ],
    )


def run(runs: int) -> list[Result]:
    return [parse_page(name, url, xpath, runs) for name, url, xpath in PAGES]
