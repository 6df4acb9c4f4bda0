"""The other lists a list's page links to: the same ranking by criterion, or filtered by specialty. Pure.

How these links look and where they sit on the page nobody has seen (*unknown*); their addresses are known
(`…/classement-des-ecoles-d-ingenieurs/excellence-academique.html`, `…classement-des-ecoles-d-ingenieurs.html?
filters[677]=Informatique`). So a related list is recognised by its address alone, whatever the markup around it,
and the whole page is read for them (not only the part that holds the list).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from watcher.layouts.text import clean, decode
from watcher.layouts.urls import same_host
from watcher.model import ListLink

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FILTER = re.compile(r"filters\[[^\]]*\]")


def _criterion(target: str, url: str) -> bool:
    """`…/classement-des-ecoles-d-ingenieurs/excellence-academique.html` below the list's own address."""
    here, there = urlsplit(url), urlsplit(target)
    folder = here.path.removesuffix(".html") + "/"
    if not (here.path.endswith(".html") and there.path.startswith(folder) and there.path.endswith(".html")):
        return False
    slug = there.path[len(folder) : -len(".html")]
    # A numbered page of the list itself (`…/page-2.html`) is not another list.
    return bool(_SLUG.fullmatch(slug)) and not re.fullmatch(r"(?:page[-_]?)?\d+", slug)


def _filters(target: str, url: str, param: str) -> list[tuple[str, str]]:
    """The specialty filters of a link to this same list (`?filters[677]=Informatique`), without its page number."""
    here, there = urlsplit(url), urlsplit(target)
    if there.path != here.path:
        return []
    query = [(k, v) for k, v in parse_qsl(there.query) if k != param]
    if not query or not all(_FILTER.fullmatch(k) and v for k, v in query):
        return []
    return query


def _name_from(slug_or_value: str) -> str:
    words = slug_or_value.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def related_lists(content: bytes, url: str, encoding: str | None = None, param: str = "page") -> tuple[ListLink, ...]:
    """Every list by criterion or by specialty the page at `url` links to, once each, in the page's order.

    `encoding` is the charset the server declared; else the page's own, as for the list itself."""
    text = decode(content, encoding, url)
    if not text.strip():
        return ()
    try:
        root = lxml.html.fromstring(text, base_url=url)
    except (ValueError, lxml.etree.ParserError):
        return ()
    found: dict[str, ListLink] = {}
    for element, attribute, link, _ in root.iterlinks():
        if element.tag != "a" or attribute != "href":
            continue
        target = urljoin(url, link).split("#", 1)[0]
        if not target.startswith(("http://", "https://")) or not same_host(target, url):
            continue
        text = clean(element.text_content())
        if _criterion(target, url):
            address = urlunsplit(urlsplit(target)._replace(query="", fragment=""))
            slug = urlsplit(address).path.rsplit("/", 1)[1].removesuffix(".html")
            link_ = ListLink(address, text or _name_from(slug), "criterion")
        elif query := _filters(target, url, param):
            address = urlunsplit(urlsplit(url)._replace(query=urlencode(sorted(query), safe="[]"), fragment=""))
            link_ = ListLink(address, text or ", ".join(v for _, v in sorted(query)), "specialty")
        else:
            continue
        found.setdefault(link_.url, link_)
    return tuple(found.values())
