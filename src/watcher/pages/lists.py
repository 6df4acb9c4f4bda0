"""A list read whole over the network: its first page (asked for conditionally), then every page its pagination
or next links show, each parsed by the layout that fits."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from watcher.errors import FetchError, ParseRefused
from watcher.model import Snapshot, Validators
from watcher.pages.fetch import Fetcher, Page
from watcher.pages.hosts import redacted

if TYPE_CHECKING:
    from watcher.layouts import Layout, ListPage


def read_list(
    fetcher: Fetcher,
    first: Page,
    max_pages: int,
    layouts: tuple[Layout, ...],
    layout: str | None = None,
    *,
    pages: list[Page] | None = None,
    browser: bool = False,
) -> tuple[list[Page], list[ListPage]]:
    """Parse the first page, then every page its pagination or next links show, until the list ends.

    `pages` receives each page as it is fetched, so a caller keeps them even when the list is refused.
    """
    from watcher.layouts import next_to_read, parse_list_page  # the HTML parser: only for pages with content

    pages = pages if pages is not None else []
    pages.append(first)
    parsed = [parse_list_page(first.content, first.url, encoding=first.encoding, layouts=layouts, layout=layout)]
    while (url := next_to_read(parsed)) is not None:
        if url in {p.url for p in pages} or len(pages) >= max_pages:
            raise ParseRefused(
                f"the list's pages go round in a loop or past {max_pages} pages (at {url})",
                url=first.url,
            )
        try:
            page = fetcher.get(url, browser=browser, within=first.url)  # a link, so on the list's host only
        except FetchError as exc:
            raise FetchError(
                f"page {len(pages) + 1} of the list could not be fetched, so the list was not read whole "
                f"and nothing was recorded: {exc}",
                url=url,
                status=exc.status,
            ) from exc
        pages.append(page)
        parsed.append(
            parse_list_page(
                page.content,
                page.url,
                encoding=page.encoding,
                group=parsed[-1].last_group,
                layouts=layouts,
                layout=layout or parsed[0].layout,
            )
        )
    return pages, parsed


def first_page(
    fetcher: Fetcher, url: str, previous: Snapshot | None, validators: dict[str, Validators], browser: bool = False
) -> Page | None:
    """The first page, or None when every page of the list answered 304 Not Modified."""
    if browser:  # a rendered page cannot be asked for conditionally
        return fetcher.get(url, browser=True)
    # Validators are kept under the address without credentials, as every address watcher shows or stores.
    first = fetcher.get(url, validators.get(redacted(url)) if previous else None)
    if not first.not_modified:
        return first
    assert previous is not None
    for other in previous.pages[1:]:
        if not fetcher.get(other, validators.get(redacted(other))).not_modified:
            # Another page changed: the list must be read whole, from a fresh first page.
            return fetcher.get(url)
    return None


def numbered_pages(content: bytes, url: str, encoding: str | None, max_pages: int) -> list[str]:
    """The other pages of a list as its first page links to them (`?page=N` on the same path), in order, whatever
    the markup: for a page no layout reads yet."""
    from bs4 import BeautifulSoup

    from watcher.layouts import same_list
    from watcher.layouts.text import decode
    from watcher.layouts.urls import page_number

    doc = BeautifulSoup(decode(content, encoding, url), "lxml")
    found: dict[int, str] = {}
    for link in doc.find_all("a", href=True):
        target = urljoin(url, str(link["href"])).split("#")[0]
        if same_list(target, url) and (number := page_number(target, "page")) > 1:
            found.setdefault(number, target)
    return [found[n] for n in sorted(found)][: max_pages - 1]
