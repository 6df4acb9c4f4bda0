"""The sentences an alert tells in French: the series of editions, peers, who overtook whom, what
progressed, and a ready paragraph for a press release. Pure: an `Alert` in, strings out.

Every figure comes from the alert's data: ranks, counts, groups and points as published.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.french.words import count, ordinal, places, points
from watcher.model import SCORE_SUFFIX, Alert, PeerMove, Row, Standing
from watcher.news.series import missing_editions


@dataclass(frozen=True, slots=True)
class Prose:
    series: str | None  # "2019 : 40e, 2020 : 33e, 2021 : 27e", gaps said
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


def _change(change: float, digits: int) -> str:
    """'+1,5 point', '−2,0 points' (French counts below two in the singular)."""
    return f"{points(change, digits, signed=True)} point{'s' if abs(change) >= 2 else ''}"


def _criteria(alert: Alert, sign: int) -> tuple[str, ...]:
    out = []
    for c in alert.criteria:
        if not c.is_total and c.change is not None and c.change * sign > 0:
            out.append(f"{c.label.lower()} ({_change(c.change, alert.point_digits)})")
    raw = {change.label for change in alert.indicators}
    for change in alert.indicators:
        # A criterion's score on 10 is told once, with its raw value, in the paragraph (the email lists both).
        if change.label.endswith(SCORE_SUFFIX) and change.label.removesuffix(SCORE_SUFFIX) in raw:
            continue
        if change.direction == sign:
            out.append(f"{change.label[0].lower()}{change.label[1:]} ({change.old} → {change.new})")
    return tuple(out)


def _enumerate(items: tuple[str, ...] | list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def _place(row: Row) -> str:
    """'la 27e place', 'la 4e place ex aequo'."""
    return f"la {ordinal(row.rank)} place" + (" ex aequo" if row.tied else "")


def _notable(alert: Alert) -> tuple[str, ...]:
    """The criteria that progressed by a notable margin (`news.figures`), as the paragraph names them."""
    out = []
    for c in alert.criteria:
        if c.notable and not c.is_total and c.change is not None and c.change > 0:
            out.append(f"{c.label.lower()} ({_change(c.change, alert.point_digits)})")
    raw = {change.label for change in alert.indicators}
    for change in alert.indicators:
        # A criterion's score on 10 is told once, with its raw value; the values as published, without symbols.
        if change.direction > 0 and change.label.removesuffix(SCORE_SUFFIX) not in raw - {change.label}:
            out.append(f"{change.label[0].lower()}{change.label[1:]} (de {change.old} à {change.new})")
    return tuple(out)


def _years(gaps: tuple[tuple[int, int], ...]) -> list[str]:
    return [str(year) for first, last in gaps for year in range(first, last + 1)]


def _earlier(alert: Alert) -> str | None:
    """'Elle était 40e en 2019 et 33e en 2020.', with the editions of which no list was read said so."""
    past = [s for s in alert.series if s.edition < alert.new_edition]
    if not past:
        return None
    missing = _years(missing_editions(alert.series, until=alert.new_edition))
    said = [
        f"{ordinal(s.row.rank, s.row.tied)} en {s.edition}" if s.row else f"non classée en {s.edition}" for s in past
    ]
    gap = f" (pas de relevé pour {_enumerate(missing)})" if missing else ""
    return f"Elle était {_enumerate(said)}{gap}."


def series_text(series: tuple[Standing, ...]) -> str | None:
    """'2020 : 33e, 2021 : 27e, 2022 à 2024 : pas de relevé, 2025 : 21e': every edition from the first held."""
    items = [(s.edition, standing_text(s)) for s in series]
    for first, last in missing_editions(series):
        said = f"{first} : pas de relevé" if first == last else f"{first} à {last} : pas de relevé"
        items.append((first, said))
    return ", ".join(text for _, text in sorted(items)) or None


def _paragraph(alert: Alert) -> str:
    old, new = alert.old_row, alert.new_row
    title = f"{alert.ranking} {alert.new_edition} de L'Étudiant"
    if new is None:
        assert old is not None
        if alert.revision:
            return (
                f"{alert.school} ne figure plus dans la liste révisée du {title}, qui classe {alert.new_count} "
                f"écoles. Elle y était {ordinal(old.rank, old.tied)} avant la révision."
            )
        return (
            f"{alert.school} ne figure pas au {title}, qui classe {alert.new_count} écoles. "
            f"Elle était {ordinal(old.rank, old.tied)} dans l'édition {alert.old_edition}."
        )
    top = f", dans les {alert.share.top} % premières" if alert.share and alert.share.top is not None else ""
    of_count = f"sur {alert.new_count} écoles classées{top}"
    if old is None:
        earlier = [s for s in alert.series if s.row is not None and s.edition < alert.new_edition]
        verb = "fait son retour" if earlier else "fait son entrée"
        where = "dans la liste révisée du" if alert.revision else "au"
        opening = f"{alert.school} {verb} {where} {title} : elle est classée {ordinal(new.rank, new.tied)} {of_count}"
    else:
        n = alert.places or 0
        where = "dans la liste révisée du" if alert.revision else "au"
        if n:
            verb = "gagne" if n > 0 else "perd"
            opening = (
                f"{alert.school} {verb} {count(n, 'place')} {where} {title} : elle passe de {_place(old)} "
                f"à {_place(new)} {of_count}"
            )
        else:
            opening = f"{alert.school} conserve {_place(new).replace('la ', 'sa ', 1)} {where} {title}, {of_count}"
    place = alert.new_group_place
    if place is not None:
        half = "première" if place.first_half else "seconde"
        opening += f", et se positionne dans la {half} moitié du groupe {place.group}"
    sentences = [opening + "."]
    for subset in alert.subsets:
        tied = " ex aequo" if subset.tied else ""
        sentences.append(f"Elle est la {ordinal(subset.position)} {subset.name}{tied} de ce classement.")
    if notable := _notable(alert):
        sentences.append(f"Elle progresse notamment en {_enumerate(notable)}.")
    if (earlier_text := _earlier(alert)) is not None:
        sentences.append(earlier_text)
    return " ".join(sentences)


def prose(alert: Alert) -> Prose:
    """Every sentence an alert adds to its figures."""
    series = series_text(alert.series)
    progressed, declined = _criteria(alert, +1), _criteria(alert, -1)
    return Prose(
        series=series,
        peers=tuple(f"{p.name} : {_move_text(p)}" for p in alert.peers),
        overtakes=_overtakes(alert),
        progressed=progressed,
        declined=declined,
        paragraph=_paragraph(alert),
    )
