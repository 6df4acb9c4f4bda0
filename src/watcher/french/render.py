"""Alerts → French emails (plain text and HTML). Pure: values in, an `EmailMessage` out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from functools import cache

import jinja2

from watcher.french.prose import prose
from watcher.french.words import count, number, of, ordinal, paris_time, places, spaced
from watcher.french.words import points as score
from watcher.model import EMAIL_POLICY, Alert, Share, SubsetPlace
from watcher.news.rules import publication_key

__all__ = ["number", "ordinal", "paris_time", "places", "render_alert"]


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure an alert states, computed once for both parts of the email."""

    subject: str
    headline: str
    ranking_line: str
    points_line: str | None
    group_line: str | None
    share_line: str | None
    subset_lines: tuple[str, ...]  # "3e école post-bac (sur 12 classées ; 5e dans l'édition 2025) …"
    criteria: tuple[tuple[str, str, str, str], ...]  # label, before, after, change
    source_line: str
    rank_note: str | None  # how the ranks were counted, when the page shows none
    confirmation: str | None  # that a school's leaving the list was confirmed by a second whole read
    fetched: str
    before: str  # column heading for the old figures: "2020", or "avant révision" for a revised list
    after: str


def _move(alert: Alert) -> tuple[str, str | None]:
    old, new, n = alert.old_row, alert.new_row, alert.places
    if old is None or new is None or n is None:
        return "", None
    short = f"+{places(n)}" if n > 0 else f"−{places(n)}" if n < 0 else "même rang"
    said = "gagne" if n > 0 else "perd"
    # A revision of the same edition is told as before / after, not "27e en 2021, 28e en 2021".
    before, after = (
        ("avant la révision", "dans la liste révisée")
        if alert.revision
        else (f"en {alert.old_edition}", f"en {alert.new_edition}")
    )
    basis = "déduits de l'ordre de la liste" if alert.ranks_derived else "publiés"
    counted = (
        f"{said} {places(n)} : {ordinal(old.rank, old.tied)} {before}, "
        f"{ordinal(new.rank, new.tied)} {after} "
        f"(compté d'après les rangs {basis} : {max(old.rank, new.rank)} − {min(old.rank, new.rank)} = {abs(n)})"
        if n
        else f"garde son rang : {ordinal(new.rank, new.tied)} {before} comme {after}"
    )
    if n == 0 and old.tied != new.tied:
        counted = (
            f"reste {ordinal(new.rank)}, "
            + ("désormais ex aequo" if new.tied else "n'est plus ex aequo")
            + f" ({ordinal(old.rank, old.tied)} {before})"
        )
        short = "même rang"
    return short, counted


def _points(label: str, total: float | None, out_of: float | None, digits: int) -> str:
    if total is None:
        return f"{label} non publiée" if label else "non publiée"
    points = f"{score(total, digits)} points" + (f" sur {number(out_of)}" if out_of is not None else "")
    return f"{label} : {points}" if label else points


def share_text(share: Share) -> str:
    """'26 écoles classées devant elle sur 168 : dans les 17 % premières écoles' (the share for the first half)."""
    if share.ahead == 0:
        return f"Aucune école devant elle sur {share.count} classées"
    plural = "s" if share.ahead > 1 else ""
    text = f"{share.ahead} école{plural} classée{plural} devant elle sur {share.count}"
    return text + (f" : dans les {share.top} % premières écoles" if share.top is not None else "")


def subset_line(place: SubsetPlace, before: str) -> str:
    """'3e école post-bac (sur 12 classées ; 5e avant) : compté parmi les écoles que la configuration range sous
    « école post-bac »'."""
    then = f" ; {ordinal(place.before)} {before}" if place.before is not None else ""
    return (
        f"{ordinal(place.position, place.tied)} {place.name} (sur {place.size} classées{then}) : compté parmi les "
        f"écoles de la liste que la configuration range sous « {place.name} »"
    )


def _criteria(alert: Alert) -> tuple[tuple[str, str, str, str], ...]:
    lines = []
    for c in alert.criteria:
        digits = alert.point_digits
        change = "" if c.change is None else score(c.change, digits, signed=True)
        shown = f"{c.label} (sur {number(c.out_of)})" if c.out_of is not None else c.label
        lines.append((shown, score(c.before, digits) if alert.old_row else "", score(c.after, digits), change))
    return tuple(lines)


def figures(alert: Alert) -> Figures:
    """Compute every sentence and number of an alert from its data."""
    title = f"{alert.ranking} {alert.new_edition}"
    short, counted = _move(alert)
    new, old = alert.new_row, alert.old_row
    revised = " (liste révisée)" if alert.revision else ""
    if new is not None and old is not None:
        subject = f"{alert.school} : {ordinal(new.rank, new.tied)} ({short}) au {title}{revised}"
        renamed = f" (listée « {old.bare_name} » auparavant)" if old.bare_name != new.bare_name else ""
        headline = f"{alert.school}{renamed} est classée {ordinal(new.rank, new.tied)} au {title} et {counted}."
    elif new is not None:
        # A revision that adds the school is one edition corrected, not a new one.
        before = "avant sa révision" if alert.revision else f"de l'édition {alert.old_edition}"
        subject = f"{alert.school} entre au {title} : {ordinal(new.rank, new.tied)}{revised}"
        headline = (
            f"{alert.school} figure au {title}, classée {ordinal(new.rank, new.tied)} ; "
            f"elle n'était pas dans la liste {before}."
        )
    else:
        assert old is not None
        subject = f"{alert.school} ne figure plus au {title}{revised}"
        read = "lu en entier deux fois de suite" if alert.confirmed_reads > 1 else "lu en entier"
        where = "avant sa révision" if alert.revision else f"dans l'édition {alert.old_edition}"
        headline = (
            f"{alert.school} ne figure plus au {title}, {read} ({alert.new_count} écoles) ; "
            f"elle était {ordinal(old.rank, old.tied)} {where}."
        )
    ranking_line = f"{alert.ranking}, édition {alert.new_edition} : {alert.new_count} écoles classées"
    if not alert.revision:
        ranking_line += f" ({alert.old_count} dans l'édition {alert.old_edition})"
    if alert.declared_count is not None:
        ranking_line += f" ; la page en annonce {alert.declared_count}"
    points_line = group_line = share_line = None
    if new is not None:
        earlier = "avant la révision" if alert.revision else f"édition {alert.old_edition}"
        points_line = _points("Note totale", new.total, new.total_max, alert.point_digits)
        if old is not None:
            points_line += f" ({earlier} : {_points('', old.total, old.total_max, alert.point_digits).strip(' :')})"
        place = alert.new_group_place
        if place is not None:
            half = "première" if place.first_half else "seconde"
            group_line = (
                f"Groupe {place.group} : {ordinal(place.position)} sur {place.size} écoles du groupe, "
                f"{half} moitié du groupe {place.group}"
            )
            if old is not None and old.group != new.group:
                group_line += f" ({earlier} : groupe {old.group or 'non précisé'})"
        share_line = share_text(alert.share) if alert.share else None
    return Figures(
        subject=subject,
        headline=headline,
        ranking_line=ranking_line,
        points_line=points_line,
        group_line=group_line,
        share_line=share_line,
        subset_lines=tuple(
            subset_line(p, "avant la révision" if alert.revision else f"dans l'édition {alert.old_edition}")
            for p in alert.subsets
        ),
        criteria=_criteria(alert),
        source_line=f"Source : {alert.url} — relevé le {paris_time(alert.fetched_at)}",
        confirmation=(
            f"Départ confirmé : la liste a été lue en entier deux fois de suite, {alert.new_count} écoles à chaque "
            "lecture, avec le même résultat."
            if alert.confirmed_reads > 1
            else None
        ),
        rank_note=(
            "Rang déduit de l'ordre de la liste : la page ne publie pas de rang ; "
            "des écoles de même note sont comptées ex aequo."
            if alert.ranks_derived
            else None
        ),
        fetched=paris_time(alert.fetched_at),
        before="avant révision" if alert.revision else str(alert.old_edition),
        after="après révision" if alert.revision else str(alert.new_edition),
    )


@cache
def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("watcher.french", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["of"] = of
    return env


def other_list_line(alert: Alert) -> str:
    """One line of a gathered email for another list of the same publication: 'Excellence académique : 12e
    (+3 places ; 15e en 2025)'."""
    old, new = alert.old_row, alert.new_row
    if new is None:
        assert old is not None
        was = f"{ordinal(old.rank, old.tied)} en {alert.old_edition}"
        return f"{alert.ranking} : ne figure plus dans la liste ({was})"
    if old is None:
        return f"{alert.ranking} : {ordinal(new.rank, new.tied)} (entre dans la liste ; absente en {alert.old_edition})"
    short, _ = _move(alert)
    before = f"{ordinal(old.rank, old.tied)} en {alert.old_edition}"
    return f"{alert.ranking} : {ordinal(new.rank, new.tied)} ({short} ; {before})"


def render_alert(
    alert: Alert,
    *,
    sender: str,
    recipients: tuple[str, ...],
    chart: bytes | None = None,
    others: Sequence[Alert] = (),
) -> EmailMessage:
    """The email for one alert, with a Message-ID that is the same every time it is rendered.

    `chart` (a PNG of the rank by edition) is embedded in the HTML part, not attached. `others` are the alerts of
    the other lists published the same day (`news.rules.publication` orders them): told after it, in one email.
    """
    fig = figures(alert)
    domain = sender.rpartition("@")[2]
    key = publication_key((alert, *others)) if others else alert.message_key
    chart_cid = f"chart-{key}@{domain}" if chart else None
    moved = tuple(other_list_line(a) for a in others if a.places != 0)
    kept = tuple(other_list_line(a) for a in others if a.places == 0)
    context = {"alert": alert, "fig": fig, "prose": prose(alert), "chart_cid": chart_cid, "moved": moved, "kept": kept}
    message = EmailMessage(policy=EMAIL_POLICY)
    lists = "" if not others else " et une autre liste" if len(others) == 1 else f" et {count(len(others), 'liste')}"
    lists = lists.replace(" listes", " autres listes")
    message["Subject"] = spaced(fig.subject + lists)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(alert.fetched_at)
    message["Message-ID"] = f"<{key}@{domain}>"
    message["X-Watcher-Ranking"] = alert.ranking
    # French spacing over the whole text, so that no "15 %" or "2020 : 33e" breaks across lines on a phone.
    message.set_content(spaced(template_env().get_template("alert.txt").render(context)))
    message.add_alternative(spaced(template_env().get_template("alert.html").render(context)), subtype="html")
    if chart and chart_cid:
        html = message.get_body(("html",))
        assert html is not None
        html.make_related()
        html.attach(_inline_png(chart, chart_cid))
    return message


def _inline_png(data: bytes, cid: str) -> MIMEPart:
    # Encoded under the default policy: base64 in lines of 76 characters (RFC 2045), where EMAIL_POLICY's
    # 998 (kept for the headers) would write lines of 996.
    part = MIMEPart(policy=policy.default)
    part.set_content(data, "image", "png", cid=f"<{cid}>", filename="classement.png", disposition="inline")
    return part
