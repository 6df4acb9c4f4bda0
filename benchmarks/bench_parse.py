"""1. Parsing list pages, on every shipped layout: watcher's parser against bare BeautifulSoup(lxml) and bare lxml."""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
from bs4 import BeautifulSoup
from common import Result, verdict
from fixture_site import FIXTURES, LIST_PATH

TARGET_RATIO = 1.0  # issue 13: no more than bare BeautifulSoup(page, "lxml") on the whole page
PALMARES_URL = "https://www.letudiant.fr" + LIST_PATH
CLASSEMENTS_URL = "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"
# Each shipped layout, the fixture pages it reads (every page of every edition), and the bare lxml query that
# finds its rows, for scale.
LAYOUTS = (
    ("palmares-table", "palmares-general-*.html", '//table[contains(concat(" ", @class, " "), " c-pmd-table ")]//tr'),
    ("classements-table", "classements/classement-202[34]*.html", '//tr[@data-toggle-group="laureate-details"]'),
    ("classements-cards", "classements/classement-202[56]*.html", '//a[contains(., "Voir la fiche")]'),
)


def _url(path: Path) -> str:
    """The address the page was served at: the list's, with ?page=N for `…-pageN.html`."""
    base = PALMARES_URL if path.name.startswith("palmares") else CLASSEMENTS_URL
    number = re.search(r"-page(\d+)\.html$", path.name)
    return f"{base}?page={number.group(1)}" if number else base


def _timed(function: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _page(path: Path, xpath: str, runs: int) -> tuple[str, list[float], list[float], list[float], list[float]]:
    """One page: the layout that read it, then ours ÷ soup per round and the three times per round."""
    from watcher.layouts import parse_list_page

    content, url = path.read_bytes(), _url(path)
    layout = parse_list_page(content, url).layout

    def ours() -> object:
        return parse_list_page(content, url)

    def soup() -> object:
        return BeautifulSoup(content, "lxml")

    def bare_lxml() -> object:
        return lxml.html.fromstring(content).xpath(xpath)

    for function in (ours, soup, bare_lxml):
        function()  # warm-up: first-call costs (selector compilation, imports) are not what is compared
    ratios, t_ours, t_soup, t_lxml = [], [], [], []
    for i in range(runs):
        # Back to back, in turns: each ratio compares two calls that a slow patch of the machine hits alike.
        if i % 2:
            b, a, c = _timed(soup), _timed(ours), _timed(bare_lxml)
        else:
            a, b, c = _timed(ours), _timed(soup), _timed(bare_lxml)
        ratios.append(a / b)
        t_ours.append(a)
        t_soup.append(b)
        t_lxml.append(c)
    return layout, ratios, t_ours, t_soup, t_lxml


def parse_layout(name: str, pattern: str, xpath: str, runs: int) -> Result:
    paths = sorted(FIXTURES.glob(pattern))
    ratios: list[float] = []
    per_page: list[str] = []
    ours_ms, soup_ms, lxml_ms = [], [], []
    wrong = []
    for path in paths:
        layout, page_ratios, t_ours, t_soup, t_lxml = _page(path, xpath, runs)
        if layout != name:
            wrong.append(f"{path.name} ({layout})")
        ratios += page_ratios
        ours_ms.append(statistics.median(t_ours) * 1000)
        soup_ms.append(statistics.median(t_soup) * 1000)
        lxml_ms.append(statistics.median(t_lxml) * 1000)
        per_page.append(f"{path.stem.removeprefix('classement-')} {statistics.median(page_ratios):.2f}")
    ratio = statistics.median(ratios)
    size = sum(p.stat().st_size for p in paths) // len(paths) // 1024
    notes = [
        f"{name}: {len(paths)} pages (~{size} KB each), {runs} rounds each, ours and bare soup back to back in turns; "
        f"median of the {len(ratios)} ratios ours ÷ soup; per page: " + ", ".join(per_page)
    ]
    if wrong:
        notes.append(f"{name}: read by another layout: {', '.join(wrong)}")
    t_ours, t_soup, t_lxml = (statistics.median(ms) for ms in (ours_ms, soup_ms, lxml_ms))
    return Result(
        key="1",
        what=f"parse, {name} ({len(paths)} pages)",
        measured=f"{ratio:.2f}× soup, {t_ours / t_lxml:.0f}× lxml (per page: ours {t_ours:.1f} ms, "
        f"soup {t_soup:.1f} ms, lxml+XPath {t_lxml:.1f} ms)",
        target=f"≤ {TARGET_RATIO}× bare soup",
        status=verdict(ratio <= TARGET_RATIO and not wrong),
        notes=notes,
    )


def run(runs: int) -> list[Result]:
    return [parse_layout(name, pattern, xpath, runs) for name, pattern, xpath in LAYOUTS]


if __name__ == "__main__":  # this line alone: python benchmarks/bench_parse.py [runs]
    import sys

    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 30):
        print(f"{result.what}: {result.measured} [{result.status}]")
        for note in result.notes:
            print(f"  - {note}")
