"""`watcher import`: a saved page (a file or an archived URL) as the snapshot of a past edition.

An imported snapshot completes the history; it never sends an alert and never becomes the
snapshot a check compares with (only checked snapshots do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from watcher.config import Config
from watcher.errors import ConfigError, ParseRefused
from watcher.layouts import Layout, ListPage, assemble, read_saved
from watcher.model import Snapshot
from watcher.pages.capture import captured_at, is_capture, parse_capture
from watcher.pages.fetch import Fetcher
from watcher.pages.lists import read_list
from watcher.store.db import Store


def _read_files(
    paths: Sequence[Path], layouts: tuple[Layout, ...], first_url: str | None
) -> tuple[list[ListPage], datetime]:
    contents = []
    for path in paths:
        try:
            contents.append(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from exc
    pages = read_saved(contents, [path.resolve().as_uri() for path in paths], first_url=first_url, layouts=layouts)
    saved = datetime.fromtimestamp(min(p.stat().st_mtime for p in paths), UTC)
    return pages, saved


def import_pages(
    sources: Sequence[str],
    *,
    edition: int,
    ranking: str,
    config: Config,
    store: Store,
    fetcher: Fetcher,
    first_url: str | None = None,
) -> tuple[Snapshot, bool]:
    """Parse the pages of one list and store them as `edition` of `ranking`; True when newly stored.

    `first_url`, the address saved files came from, lets their pagination prove them whole.
    """
    names = [r.name for r in config.rankings]
    if ranking not in names:
        raise ConfigError(f"No ranking named {ranking!r} in the config; the rankings are: {', '.join(names)}.")
    if all(s.startswith(("http://", "https://")) for s in sources[:1]):
        if len(sources) > 1:
            raise ConfigError("Give one URL: the next pages of an online list are followed from the first one.")
        _, pages = read_list(fetcher, fetcher.get(sources[0]), config.fetch.max_pages, config.site_layouts)
        when = datetime.now(UTC)
    elif len(sources) == 1 and is_capture(Path(sources[0])):
        pages = parse_capture(Path(sources[0]), layouts=config.site_layouts)
        when = captured_at(Path(sources[0]))
    else:
        pages, when = _read_files([Path(s) for s in sources], config.site_layouts, first_url)
        if pages[-1].next_url:
            link = urlsplit(pages[-1].next_url)
            raise ParseRefused(
                f"the list goes on at another page (its link: {link.path}{'?' + link.query if link.query else ''}); "
                "save that page too and pass it after this one",
                url=pages[-1].url,
            )
    for page in pages:
        if page.edition is not None and page.edition != edition:
            raise ParseRefused(f"the page is of edition {page.edition}, not {edition}; check --edition", url=page.url)
    pages = [replace(p, edition=edition) for p in pages]
    snapshot = replace(assemble(pages, ranking=ranking, fetched_at=when), origin="import")
    if any(s.content_hash == snapshot.content_hash for s in store.snapshots(ranking)):
        return snapshot, False
    store.record_check(ranking, fetcher.take_log(), snapshot=snapshot)
    return snapshot, True
