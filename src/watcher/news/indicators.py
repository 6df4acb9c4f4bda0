"""What changed on the school's own page since the previous edition, and whether it is progress. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from watcher.model import SCORE_SUFFIX, IndicatorChange, SchoolPage, Value, normalize_name

_HIGHER_IS_BETTER = (
    "salaire", "publication", "chaire", "docteur", "hdr", "poste a l etranger", "cdi", "start up",
    "boursier", "double diplome", "doubles diplomes", "moyenne au bac", "poursuite en these", "reussite",
    "etudiants etrangers", "insertion", "taux net d emploi", "poste a l international",
)  # fmt: skip
_LOWER_IS_BETTER = ("delai", "taux d echec", "frais de scolarite")


def _direction(label: str, old: Value, new: Value) -> int:
    before, after = old.magnitude, new.magnitude
    if before is None or after is None or old.kind != new.kind or before == after:
        return 0
    if label.endswith(SCORE_SUFFIX):  # a ranking's points: more is better, whatever the criterion measures
        return 1 if after > before else -1
    folded = f" {normalize_name(label)} "
    if any(f" {word}" in folded for word in _HIGHER_IS_BETTER):
        return 1 if after > before else -1
    if any(f" {word}" in folded for word in _LOWER_IS_BETTER):
        return 1 if after < before else -1
    return 0


def indicator_changes(old: SchoolPage, new: SchoolPage) -> tuple[IndicatorChange, ...]:
    """Indicators whose published value changed, with whether that is progress (+1), a decline (-1) or neither."""
    before = {(i.section, i.label): i.value for i in old.indicators}
    changes = []
    for indicator in new.indicators:
        prior = before.get((indicator.section, indicator.label))
        if prior is not None and prior.text != indicator.value.text:
            direction = _direction(indicator.label, prior, indicator.value)
            changes.append(IndicatorChange(indicator.label, prior.text, indicator.value.text, direction))
    return tuple(changes)


def _last(pages: list[SchoolPage]) -> SchoolPage | None:
    # The newest edition, and within it the last page read (pages come in the order they were read).
    return max(reversed(pages), key=lambda p: p.edition, default=None)


def since_last_edition(pages: Iterable[SchoolPage], key: str, edition: int) -> tuple[IndicatorChange, ...]:
    """The changes between the school's last page read and its last one read during an edition before `edition`.

    `pages` are in the order they were read; `key` is the row's `page_key`.
    """
    own = [p for p in pages if p.slug == key]
    current, before = _last(own), _last([p for p in own if p.edition < edition])
    return indicator_changes(before, current) if current is not None and before is not None else ()
