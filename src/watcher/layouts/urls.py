"""Which addresses are pages of one list: the same site and path, the same filters, a page number."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urljoin, urlsplit

if TYPE_CHECKING:  # only a type here: comparing addresses needs no HTML parser (a check answered 304 loads none)
    from watcher.layouts.find import Page


def _host(netloc: str) -> str:
    return netloc.lower().removeprefix("www.")


def _numbered(path: str, base: str) -> int | None:
    """The page number written in a path of the list (`…/home-2.html`, `…/home/page-2.html`), if any."""
    stem = re.escape(base.removesuffix(".html"))
    match = re.fullmatch(stem + r"[-_/]?(?:page[-_]?)?(\d+)(?:\.html)?", path)
    return int(match.group(1)) if match else None


def page_number(url: str, param: str, first: str | None = None) -> int:
    """The page's number: from its query (`?page=3`), or from its path next to the first page's; 1 without one."""
    value = dict(parse_qsl(urlsplit(url).query)).get(param, "")
    if value.isdecimal() and value.isascii():  # "²" is a digit to isdigit(), and int() would raise
        return int(value)
    numbered = _numbered(urlsplit(url).path, urlsplit(first).path) if first else None
    return numbered or 1


def same_host(candidate: str, url: str) -> bool:
    """Both on one site (www. or not)."""
    return _host(urlsplit(candidate).netloc) == _host(urlsplit(url).netloc)


def same_list(candidate: str, url: str, param: str = "page") -> bool:
    """Another page of this list: the same site and path (or the path with a page number) and the same filters."""
    here, there = urlsplit(url), urlsplit(candidate)
    if not same_host(candidate, url):
        return False
    if there.path != here.path and _numbered(there.path, here.path) is None:
        return False
    filters = sorted((k, v) for k, v in parse_qsl(here.query) if k != param)
    return filters == sorted((k, v) for k, v in parse_qsl(there.query) if k != param)


def links(doc: Page, selector: str | None, url: str, param: str) -> tuple[list[str], list[str]]:
    """The links to other pages of this list, and those the selector found that lead elsewhere."""
    if not selector:
        return [], []
    targets, elsewhere = [], []
    for a in doc.select(selector):
        href = a.get("href")
        if href:
            target = urljoin(url, str(href)).split("#", 1)[0]
            # rel="next" says it is the list's next page (on the same site); any other link must stay in this list.
            if target == url:
                continue
            if same_list(target, url, param) or ("next" in (a.get("rel") or ()) and same_host(target, url)):
                targets.append(target)
            else:
                elsewhere.append(target)
    return targets, elsewhere
