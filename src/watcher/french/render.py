"""Alerts → French emails (plain text and HTML). Pure: values in, an `EmailMessage` out."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache

import jinja2

from watcher.french.prose import prose
from watcher.french.words import number, of, ordinal, paris_time, places
from watcher.model import EMAIL_POLICY, Alert, Share

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


def _points(label: str, total: float | None, out_of: float | None = None) -> str:
    if total is None:
        return f"{label} non publiée" if label else "non publiée"
    points = f"{number(total)} points" + (f" sur {number(out_of)}" if out_of is not None else "")
    return f"{label} : {points}" if label else points


def share_text(share: Share) -> str:
    """'26 écoles classées devant elle sur 168 : dans les 17 % premières écoles' (the share for the first half)."""
    if share.ahead == 0:
        return f"Aucune école devant elle sur {share.count} classées"
    plural = "s" if share.ahead > 1 else ""
    text = f"{share.ahead} école{plural} classée{plural} devant elle sur {share.count}"
    return text + (f" : dans les {share.top} % premières écoles" if share.top is not None else "")


def _criteria(alert: Alert) -> tuple[tuple[str, str, str, str], ...]:
    lines = []
    for c in alert.criteria:
        change = "" if c.change is None else "=" if c.change == 0 else ("+" if c.change > 0 else "") + number(c.change)
        shown = f"{c.label} (sur {number(c.out_of)})" if c.out_of is not None else c.label
        lines.append((shown, number(c.before) if alert.old_row else "", number(c.after), change))
    return tuple(lines)


def figures(alert: Alert) -> Figures:
    """Compute every sentence and number of an alert from its data."""
    title = f"{alert.ranking} {alert.new_edition}"
    short, counted = _move(alert)
    new, old = alert.new_row, alert.old_row
    if new is not None and old is not None:
        revised = " (liste révisée)" if alert.revision else ""
        subject = f"{alert.school} : {ordinal(new.rank, new.tied)} ({short}) au {title}{revised}"
        renamed = f" (listée « {old.bare_name} » auparavant)" if old.bare_name != new.bare_name else ""
        headline = f"{alert.school}{renamed} est classée {ordinal(new.rank, new.tied)} au {title} et {counted}."
    elif new is not None:
        subject = f"{alert.school} entre au {title} : {ordinal(new.rank, new.tied)}"
        headline = (
            f"{alert.school} figure au {title}, classée {ordinal(new.rank, new.tied)} ; "
            f"elle n'était pas dans la liste de l'édition {alert.old_edition}."
        )
    else:
        assert old is not None
        subject = f"{alert.school} ne figure plus au {title}"
        read = "lu en entier deux fois de suite" if alert.confirmed_reads > 1 else "lu en entier"
        headline = (
            f"{alert.school} ne figure plus au {title}, {read} ({alert.new_count} écoles) ; "
            f"elle était {ordinal(old.rank, old.tied)} dans l'édition {alert.old_edition}."
        )
    ranking_line = f"{alert.ranking}, édition {alert.new_edition} : {alert.new_count} écoles classées"
    if not alert.revision:
        ranking_line += f" ({alert.old_count} dans l'édition {alert.old_edition})"
    if alert.declared_count is not None:
        ranking_line += f" ; la page en annonce {alert.declared_count}"
    points_line = group_line = share_line = None
    if new is not None:
        earlier = "avant la révision" if alert.revision else f"édition {alert.old_edition}"
        points_line = _points("Note totale", new.total, new.total_max)
        if old is not None:
            points_line += f" ({earlier} : {_points('', old.total, old.total_max).strip(' :')})"
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


def render_alert(alert: Alert, *, sender: str, recipients: tuple[str, ...], chart: bytes | None = None) -> EmailMessage:
    """The email for one alert, with a Message-ID that is the same every time it is rendered.

    `chart` (a PNG of the rank by edition) is embedded in the HTML part, not attached.
    """
    fig = figures(alert)
    domain = sender.rpartition("@")[2]
    chart_cid = f"chart-{alert.message_key}@{domain}" if chart else None
    context = {"alert": alert, "fig": fig, "prose": prose(alert), "chart_cid": chart_cid}
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = fig.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(alert.fetched_at)
    message["Message-ID"] = f"<{alert.message_key}@{domain}>"
    message["X-Watcher-Ranking"] = alert.ranking
    message.set_content(template_env().get_template("alert.txt").render(context))
    message.add_alternative(template_env().get_template("alert.html").render(context), subtype="html")
    if chart and chart_cid:
        html = message.get_body(("html",))
        assert html is not None
        html.add_related(chart, "image", "png", cid=f"<{chart_cid}>", filename="classement.png", disposition="inline")
    return message
