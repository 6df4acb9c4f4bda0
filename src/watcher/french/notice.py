"""Notices for the people who run watcher, as plain-text emails. Pure: an `OpsNotice` in, an `EmailMessage` out.

Written in English, unlike the comms team's alerts: operators read them beside logs and `watcher status`.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from watcher.model import EMAIL_POLICY
from watcher.news.ops import OpsNotice


def render_notice(notice: OpsNotice, *, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """A plain-text email for the operators."""
    when = f"{notice.since:%Y-%m-%d %H:%M} UTC"
    if notice.kind == "failing":
        checks = "check" if notice.failures == 1 else "checks in a row"
        subject = f"[watcher] {notice.ranking}: {notice.failures} failed {checks}"
        body = (
            f"The ranking “{notice.ranking}” has failed {notice.failures} {checks}, since {when}.\n\n"
            f"Last error:\n  {notice.error}\n\n"
            "No snapshot is recorded and no comms alert is sent while it fails. You will get one more email "
            "when it recovers, not one per check. `watcher status` shows the details."
        )
    elif notice.kind == "recovered":
        subject = f"[watcher] {notice.ranking}: recovered"
        body = (
            f"The ranking “{notice.ranking}” was checked successfully again, after {notice.failures} failed "
            f"{'check' if notice.failures == 1 else 'checks'} since {when}."
        )
    elif notice.kind == "warning":
        subject = f"[watcher] {notice.ranking}: checked, with a warning"
        body = (
            f"The ranking “{notice.ranking}” was checked at {when}, but:\n  {notice.error}\n\n"
            "The check went through and comms alerts are sent as usual; what is warned of may hide a mistake "
            "(a misspelt school or peer in the config, a page that cannot be read). You get this email once; "
            "again only if the warning changes. `watcher status` shows it until it clears."
        )
    elif notice.kind == "layout":
        subject = f"[watcher] {notice.ranking}: the site's layout changed, a new layout is proposed"
        body = (
            f"At {when} no layout could read the ranking “{notice.ranking}”: L'Étudiant has probably changed the "
            "markup of its pages. Nothing was recorded and comms were not alerted.\n\n"
            "watcher looked in the pages for the schools of the last list it read and inferred how to read them. "
            "What follows says what that layout reads; if it looks right, copy the table that ends this email to "
            "the end of your config file (config.toml), as it is: the next check uses it. Until then this ranking "
            "fails at each check, and you get this email again only if the proposal changes.\n\n"
            f"{notice.error}"
        )
    elif notice.kind == "alternating":
        subject = f"[watcher] {notice.ranking}: the list alternates between versions"
        body = (
            f"At {when} the ranking “{notice.ranking}” came back to a version of the list already read in the "
            f"last days:\n  {notice.error}\n\n"
            "This is how a stale cache in front of the site shows. The version is recorded, but comms were not "
            "alerted of the flip; they hear of the next change to a version not seen recently."
        )
    elif notice.kind == "list-gone":
        subject = f"[watcher] {notice.ranking}: a list it linked to is gone"
        body = (
            f"At {when} the page of “{notice.ranking}” no longer linked these lists, found there before:\n  "
            f"{notice.error}\n\nThey are not checked any more, and comms were not told. Their history is kept "
            "(`watcher history`); a list linked again is watched again. `watcher lists` shows them all."
        )
    else:
        subject = f"[watcher] {notice.ranking}: no successful check since {when}"
        body = (
            f"The ranking “{notice.ranking}” has not been checked successfully since {when}, so a new edition "
            f"would go unnoticed.\n\nLast error:\n  {notice.error}\n\n`watcher status` shows the details."
        )
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(notice.at)
    message["Message-ID"] = f"<{notice.key}@{sender.rpartition('@')[2]}>"
    message["X-Watcher-Kind"] = "ops"
    message.set_content(body + "\n")
    return message
