"""SMTP edge: deliver the outbox. An alert leaves the outbox only once the server has accepted it.

"Sent once" means: each alert has a stable Message-ID and is marked sent in the database right
after the SMTP server accepts it. A message the server did not accept stays pending and is tried
again by the next check; it is never queued twice (the outbox is keyed by Message-ID).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from watcher.config import EmailConfig
from watcher.errors import MailError, ServerUnreachable
from watcher.model import EMAIL_POLICY

log = logging.getLogger("watcher.mail")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpMailer:
    """Sends over SMTP with the settings of `[email]`; credentials come from the environment."""

    config: EmailConfig
    username: str | None = None
    password: str | None = None
    ssl_context: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    @classmethod
    def from_env(cls, config: EmailConfig) -> SmtpMailer:
        return cls(config, os.environ.get("WATCHER_SMTP_USERNAME"), os.environ.get("WATCHER_SMTP_PASSWORD"))

    def _where(self) -> str:
        return f"the mail server {self.config.smtp_host}:{self.config.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds, context=self.ssl_context
                )
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds)
            if cfg.use_starttls:
                smtp.starttls(context=self.ssl_context)
            if self.username:
                self._login(smtp)
        except smtplib.SMTPNotSupportedError as exc:
            raise ServerUnreachable(
                f"{self._where()} does not offer STARTTLS. Set email.starttls = false if it is a local "
                "relay, or use the server's TLS port (587 with STARTTLS, 465 for SMTPS)."
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnreachable(
                f"{self._where()} refused the login ({exc.smtp_code}). Check WATCHER_SMTP_USERNAME and "
                "WATCHER_SMTP_PASSWORD in the environment."
            ) from exc
        except ssl.SSLError as exc:
            raise ServerUnreachable(
                f"TLS with {self._where()} failed ({exc.reason or exc}). Check that the port matches the "
                "TLS mode (465: SMTPS, 587: STARTTLS) and that the server's certificate is valid."
            ) from exc
        except TimeoutError as exc:
            raise ServerUnreachable(
                f"{self._where()} did not answer within {cfg.timeout_seconds:g} s. Check email.smtp_host "
                "and email.smtp_port."
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnreachable(
                f"Cannot reach {self._where()}: {exc}. Check email.smtp_host and email.smtp_port, "
                "and that the server is running."
            ) from exc
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.login(self.username or "", self.password or "")
        except smtplib.SMTPNotSupportedError as exc:
            encrypted = self.config.use_starttls or self.config.use_ssl
            raise ServerUnreachable(
                f"{self._where()} offers no login (no AUTH"
                + ("" if encrypted else " without encryption: many servers only offer it after STARTTLS")
                + "). Unset WATCHER_SMTP_USERNAME and WATCHER_SMTP_PASSWORD if it needs none"
                + ("." if encrypted else ", or set email.starttls = true.")
            ) from exc

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raise `MailError` (or `ServerUnreachable`) when it is not accepted."""
        smtp = self._connect()
        try:
            refused = smtp.send_message(message)
            if refused:  # accepted for the others: it counts as sent, and the refused addresses are reported
                log.warning("%s refused some recipients: %s", self._where(), ", ".join(refused))
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"{self._where()} refused the recipients {', '.join(exc.recipients)}.") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"{self._where()} refused the sender {exc.sender}; check email.from.") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:  # this message is refused for good; the next ones may still go
                raise MailError(f"{self._where()} rejected the message ({exc.smtp_code} {exc.smtp_error!r}).") from exc
            raise ServerUnreachable(f"{self._where()} could not take the message now: {exc}.") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnreachable(f"{self._where()} dropped the connection while sending: {exc}.") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def test_message(sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The message `watcher test-email` sends."""
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = "[watcher] Test message"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    message.set_content(
        "This is a test message from watcher.\n\nIf you can read it, the comms alerts will reach you too.\n"
        "Ceci est un message de test de watcher : si vous le lisez, les alertes vous parviendront.\n"
    )
    return message


@dataclass
class FileMailer:
    """Writes each message as a .eml file instead of sending it (the offline demo)."""

    folder: Path
    written: list[Path] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"alert-{len(self.written) + 1}.eml"
        path.write_bytes(bytes(message))
        self.written.append(path)
