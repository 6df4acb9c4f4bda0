"""The lists a watched ranking links to, kept up to date from each read of its page. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from watcher.model import FoundList, ListLink


def list_name(parent: str, link: ListLink) -> str:
    """'Classement des écoles d'ingénieurs — Excellence académique': the name a found list is watched under."""
    return f"{parent} — {link.name}"


def linked(
    known: Sequence[FoundList], related: Sequence[ListLink], parent: str, at: datetime
) -> tuple[tuple[FoundList, ...], tuple[FoundList, ...]]:
    """The parent's lists after a whole read of its page (new ones added, a list linked again back in), and those
    its page no longer links, newly gone. A list keeps the name it was first found under, whatever its link says."""
    by_url = {f.link.url: f for f in known}
    now_linked = {link.url for link in related}
    kept: list[FoundList] = []
    gone: list[FoundList] = []
    for found in known:
        if found.link.url in now_linked:
            kept.append(replace(found, gone_at=None))
        elif found.gone_at is None:
            gone.append(replace(found, gone_at=at))
            kept.append(gone[-1])
        else:
            kept.append(found)
    for link in related:
        if link.url not in by_url:
            kept.append(FoundList(link, parent, list_name(parent, link), at))
    return tuple(kept), tuple(gone)
