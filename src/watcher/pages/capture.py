"""`watcher capture URL DIR`: an exact copy of a live ranking, and reading such a copy back.

A capture is a folder anyone with network access can hand over, so that real pages reach the tests:

    capture.json      {"format": 1, "url": "<the list's first page>", "captured_at": "<ISO time>",
                       "refused": null or "<why the list could not be read whole>",
                       "pages": [{"file": "list-01.html", "kind": "list" | "school", "url": "<address>",
                                  "status": 200, "fetched_at": "<ISO time>", "headers": {"name": "value"}}]}
    list-01.html …    the list's pages in order, byte for byte as received
    school-<id>.html  the watched school's and its peers' own pages

`watcher parse DIR` and `watcher import DIR` read the list pages with their real addresses and charsets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watcher.config import Config
from watcher.errors import ConfigError, FetchError, ParseRefused, WatcherError
from watcher.layouts import Layout, ListPage, assemble, read_saved
from watcher.news.identity import find_school
from watcher.pages.fetch import Fetcher, Page
from watcher.pages.lists import read_list

MANIFEST = "capture.json"


@dataclass(frozen=True, slots=True)
class Saved:
    """One page of a capture, read back."""

    url: str
    kind: str  # "list" | "school"
    content: bytes
    encoding: str | None


def is_capture(path: Path) -> bool:
    """True for a folder written by `watcher capture`."""
    return (path / MANIFEST).is_file()


def _entry(file: str, kind: str, page: Page) -> dict[str, object]:
    return {
        "file": file,
        "kind": kind,
        "url": page.url,
        "status": page.status,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "headers": dict(page.headers),
    }


def capture(url: str, folder: Path, *, config: Config, fetcher: Fetcher) -> tuple[int, str | None]:
    """Save every page of the list at `url` and the watched schools' pages; (pages saved, refusal or None)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the folder {folder}: {exc.strerror}.") from exc
    fetched: list[Page] = []
    refused: str | None = None
    ranking = next((r for r in config.rankings if r.url == url.split("#", 1)[0]), None)
    browser = config.uses_browser(ranking) if ranking else config.fetch.browser
    try:
        first = fetcher.get(url, browser=browser)
        layout = ranking.layout if ranking else None
        _, parsed = read_list(
            fetcher, first, config.fetch.max_pages, config.site_layouts, layout, pages=fetched, browser=browser
        )
        snapshot = assemble(parsed, ranking="(capture)", fetched_at=datetime.now(UTC))
    except Exception as exc:  # a capture is made because something is wrong: keep the pages, whatever failed
        refused = str(exc) if isinstance(exc, WatcherError) else f"{type(exc).__name__}: {exc}"
        snapshot = None
    entries = []
    for number, page in enumerate(fetched, start=1):
        name = f"list-{number:02d}.html"
        (folder / name).write_bytes(page.content)
        entries.append(_entry(name, "list", page))
    schools = (config.school, *config.school.peer_configs())
    rows = [row for s in schools if snapshot and (row := find_school(snapshot, s)) and row.link]
    for row in rows:
        try:
            page = fetcher.get(str(row.link), browser=browser)
        except FetchError as exc:
            refused = (refused + "; " if refused else "") + f"the page of {row.bare_name} could not be fetched: {exc}"
            continue
        name = "school-" + re.sub(r"[^a-z0-9-]+", "-", (row.slug or row.bare_name).lower()) + ".html"
        (folder / name).write_bytes(page.content)
        entries.append(_entry(name, "school", page))
    manifest = {
        "format": 1,
        "url": url,
        "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "refused": refused,
        "pages": entries,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(entries), refused


def _charset(headers: dict[str, str]) -> str | None:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def read_capture(folder: Path) -> list[Saved]:
    """The pages of a capture, in the order they were saved."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return [
            Saved(
                url=str(entry["url"]),
                kind=str(entry["kind"]),
                content=(folder / str(entry["file"])).read_bytes(),
                encoding=_charset(dict(entry.get("headers") or {})),
            )
            for entry in manifest["pages"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{folder} is not a readable capture ({type(exc).__name__}: {exc}); make it again with "
            "`watcher capture URL DIR`."
        ) from exc


def captured_at(folder: Path) -> datetime:
    """When a capture was made."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return datetime.fromisoformat(str(manifest["captured_at"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{folder} is not a readable capture ({type(exc).__name__}: {exc}).") from exc


def parse_capture(folder: Path, *, layouts: tuple[Layout, ...] | None = None) -> list[ListPage]:
    """The list pages of a capture, parsed with their real addresses and charsets."""
    saved = [page for page in read_capture(folder) if page.kind == "list"]
    if not saved:
        raise ParseRefused(f"the capture in {folder} holds no page of the list", url=None)
    return read_saved(
        [p.content for p in saved], [p.url for p in saved], layouts=layouts, encodings=[p.encoding for p in saved]
    )
