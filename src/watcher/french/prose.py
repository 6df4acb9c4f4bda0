"""The sentences an alert tells in French: the series of editions, peers, who overtook whom, what
progressed, and a ready paragraph for a press release. Pure: an `Alert` in, strings out.

Every figure comes from the alert's data: ranks, counts, groups and points as published.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.french.words import number, ordinal, places
from watcher.model import SCORE_SUFFIX, Alert, PeerMove, Standing


@dataclass(frozen=True, slots=True)
class Prose:
    series: str | None  # "2019 : 40e, 2020 : 33e, 2021 : 27e"
    peers: tuple[str, ...]
    overtakes: tuple[str, ...]
    progressed: tuple[str, ...]
    declined: tuple[str, ...]
    paragraph: str


def standing_text(standing: Standing) -> str:
    row = standing.row
    return f"{standing.edition} : {ordinal(row.rank, row.tied) if row else 'non classée'}"


def _move_text(peer: PeerMove) -> str:
    old, new, n = peer.old, peer.new, peer.places
    if old is None and new is not None:
        return f"{ordinal(new.rank, new.tied)} (n'était pas classée)"
    if new is None and old is not None:
        return f"ne figure plus dans la liste (était {ordinal(old.rank, old.tied)})"
    assert old is not None and new is not None and n is not None
    how = f"gagne {places(n)}" if n > 0 else f"perd {places(n)}" if n < 0 else "même rang"
    return f"{ordinal(old.rank, old.tied)} → {ordinal(new.rank, new.tied)} ({how})"


def _overtakes(alert: Alert) -> tuple[str, ...]:
    out = []
    for peer in alert.peers:
        if peer.overtake == "school-passes":
            out.append(f"{alert.school} passe devant {peer.name}.")
        elif peer.overtake == "peer-passes":
            out.append(f"{peer.name} passe devant {alert.school}.")
    return tuple(out)


def _criteria(alert: Alert, sign: int) -> tuple[str, ...]:
    out = []
    for c in alert.criteria:
        if not c.is_total and c.change is not None and c.change * sign > 0:
            plural = "s" if abs(c.change) >= 2 else ""
            out.append(f"{c.label.lower()} ({'+' if c.change > 0 else ''}{number(c.change)} point{plural})")
    raw = {change.label for change in alert.indicators}
    for change in alert.indicators:
        # A criterion's score on 10 is told once, with its raw value, in the paragraph (the email lists both).
        if change.label.endswith(SCORE_SUFFIX) and change.label.removesuffix(SCORE_SUFFIX) in raw:
            continue
        if change.direction == sign:
            out.append(f"{change.label[0].lower()}{change.label[1:]} ({change.old} → {change.new})")
    return tuple(out)


def _enumerate(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def _paragraph(alert: Alert, progressed: tuple[str, ...], series: str | None) -> str:
    old, new = alert.old_row, alert.new_row
    title = f"{alert.ranking} {alert.new_edition} de L'Étudiant"
    if new is None:
        assert old is not None
        return (
            f"{alert.school} ne figure pas au {title} ({alert.new_count} écoles classées) ; "
            f"elle était {ordinal(old.rank, old.tied)} dans l'édition {alert.old_edition}."
        )
    rank = ordinal(new.rank, new.tied)
    if old is None:
        earlier = [s for s in alert.series if s.row is not None and s.edition < alert.new_edition]
        verb = "fait son retour" if earlier else "fait son entrée"
        opening = f"{alert.school} {verb} au {title}, classée {rank} sur {alert.new_count} écoles"
    else:
        n = alert.places or 0
        reference = (
            "dans la liste révisée par L'Étudiant" if alert.revision else f"par rapport à l'édition {alert.old_edition}"
        )
        since = f"{reference}, {alert.school} est classée {rank}"
        amount = "d'une place" if abs(n) == 1 else f"de {places(n)}"
        if n > 0:
            opening = f"Progressant {amount} {since}"
        elif n < 0:
            opening = f"En recul {amount} {since}"
        else:
            opening = f"{alert.school} conserve son rang et est classée {rank}"
        opening += f" au {title}, qui classe {alert.new_count} écoles"
    place = alert.new_group_place
    top = f" (top {alert.share.top} %)" if alert.share and alert.share.top is not None else ""
    if place is not None:
        half = "première" if place.first_half else "seconde"
        opening += f", et se positionne dans la {half} moitié du groupe {place.group}{top}."
    else:
        opening += f"{top}."
    sentences = [opening]
    if progressed:
        sentences.append(f"Les critères sur lesquels {alert.school} progresse : {_enumerate(progressed)}.")
    if series and len(alert.series) > 1:
        sentences.append(f"Son parcours dans ce classement : {series}.")
    return " ".join(sentences)


def prose(alert: Alert) -> Prose:
    """Every sentence an alert adds to its figures."""
    series = ", ".join(standing_text(s) for s in alert.series) or None
    progressed, declined = _criteria(alert, +1), _criteria(alert, -1)
    return Prose(
        series=series,
        peers=tuple(f"{p.name} : {_move_text(p)}" for p in alert.peers),
        overtakes=_overtakes(alert),
        progressed=progressed,
        declined=declined,
        paragraph=_paragraph(alert, progressed, series),
    )
