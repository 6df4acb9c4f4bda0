"""SMTP edge: hand one message to the mail server within a deadline, and say for whom it was accepted.

"Sent once" means: each alert has a stable Message-ID, and the caller is told the moment the server answers 250
to the message (before QUIT), so it can mark the alert sent before anything else can go wrong. Recipients the
server refused are reported one by one, with the server's code and text, so that only they are tried again.
No password crosses the network in clear: STARTTLS is used whenever the server offers it, and a login over an
unencrypted connection needs `email.allow_plain_auth`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Literal, Protocol

from watcher.config import EmailConfig
from watcher.errors import MailError, ServerUnreachable
from watcher.model import EMAIL_POLICY

log = logging.getLogger("watcher.mail")

Encryption = Literal["SMTPS", "STARTTLS", "none"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """One recipient the server refused, with its answer (e.g. 550, "5.1.1 User unknown")."""

    address: str
    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.address} ({self.code} {self.text})"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The server took the message (its 250 after DATA) for `recipients`; it refused `refused`."""

    server: str  # for the operator: "the mail server host:port", or the folder
    recipients: tuple[str, ...]
    refused: tuple[Refusal, ...] = ()
    encryption: Encryption = "none"

    def refusals(self) -> str:
        """The refused recipients in words for an operator; empty when there are none."""
        if not self.refused:
            return ""
        return (
            f"{self.server} refused {', '.join(map(str, self.refused))} (it took the message for "
            f"{', '.join(self.recipients)}). Check the address in email.to or email.ops_to."
        )


class Mailer(Protocol):
    """Where emails go: the SMTP server (`SmtpMailer`), or a folder (`FileMailer`, the demo)."""

    def send(
        self,
        message: EmailMessage,
        *,
        to: Sequence[str] | None = None,
        on_accepted: Callable[[Accepted], None] | None = None,
    ) -> Accepted:
        """Deliver to `to` (default: `recipients(message)`); call `on_accepted` as soon as it is accepted.

        Nothing after `on_accepted` raises `MailError`: once accepted, the message counts as handed over.
        """
        ...


def recipients(message: EmailMessage) -> tuple[str, ...]:
    """The envelope recipients of a message: its To, Cc and Bcc addresses, in order, each once."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return tuple(dict.fromkeys(address for _, address in getaddresses(fields) if address))


class _Watchdog:
    """Cuts the connection at the session's deadline: smtplib's timeout bounds each read, not the whole dialogue,
    so a server that answers a line every few seconds would otherwise hold delivery forever."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._deadline

    def connect(self, host: str, port: int) -> socket.socket:
        """Open the connection with what is left of the deadline, and watch it."""
        # Never 0 (a socket that does not wait) nor negative (refused): past the deadline, the cut below ends it.
        sock = socket.create_connection((host, port), max(self._deadline - time.monotonic(), 0.01))
        with self._lock:
            # A duplicate descriptor: wrapping the socket in TLS later detaches the original object, and closing
            # ours only at stop() means a cut can never reach a descriptor number reused by someone else.
            self._socket = sock.dup()
            if self.expired:  # the deadline passed while connecting, before there was anything to cut
                self._cut()
        return sock

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            self._cut()

    def _cut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the connection may already be gone
                self._socket.shutdown(socket.SHUT_RDWR)  # wakes the read or write smtplib is blocked in

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


class _Smtp(smtplib.SMTP):
    def __init__(self, host: str, port: int, watchdog: _Watchdog) -> None:
        self._watchdog = watchdog  # before connecting, which the constructor does
        super().__init__(host, port, timeout=watchdog.seconds)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._watchdog.connect(host, port)


class _Smtps(smtplib.SMTP_SSL):
    def __init__(self, host: str, port: int, watchdog: _Watchdog, context: ssl.SSLContext) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, timeout=watchdog.seconds, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = self._watchdog.connect(host, port)
        return self.context.wrap_socket(raw, server_hostname=host)


def _text(raw: bytes | str) -> str:
    words = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(words.split())  # a multi-line answer on one line


def _answer(code: int, raw: bytes | str) -> str:
    return f"{code} {_text(raw)}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> tuple[Refusal, ...]:
    return tuple(Refusal(address, code, _text(raw)) for address, (code, raw) in refused.items())


@dataclass
class SmtpMailer:
    """Sends over SMTP with the settings of `[email]`; credentials come from the environment."""

    config: EmailConfig
    username: str | None = None
    password: str | None = None
    # Made at the first send that may use TLS: the system's authorities cost 2.5 MB, and more CPU than a whole check
    # with nothing to send.
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_env(cls, config: EmailConfig) -> SmtpMailer:
        return cls(config, os.environ.get("WATCHER_SMTP_USERNAME"), os.environ.get("WATCHER_SMTP_PASSWORD"))

    def _where(self) -> str:
        return f"the mail server {self.config.smtp_host}:{self.config.smtp_port}"

    def _context(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def send(
        self,
        message: EmailMessage,
        *,
        to: Sequence[str] | None = None,
        on_accepted: Callable[[Accepted], None] | None = None,
    ) -> Accepted:
        """Hand one message to the server within `email.timeout_seconds`; raise `MailError` if nobody got it."""
        envelope = tuple(to) if to is not None else recipients(message)
        watchdog = _Watchdog(self.config.timeout_seconds)
        try:
            smtp, encryption = self._open(watchdog)
            try:
                refused = self._transmit(smtp, message, envelope, watchdog)
            except BaseException:
                smtp.close()
                raise
            accepted = Accepted(
                self._where(),
                tuple(a for a in envelope if a not in refused),
                _refusals(refused),
                encryption,
            )
            try:
                if on_accepted is not None:
                    on_accepted(accepted)
            finally:
                self._quit(smtp)
            return accepted
        finally:
            watchdog.stop()

    def _late(self, watchdog: _Watchdog, step: str) -> ServerUnreachable:
        return ServerUnreachable(
            f"{self._where()} did not finish the SMTP exchange within {watchdog.seconds:g} s "
            f"(email.timeout_seconds); it was still at: {step}. Check that email.smtp_host and email.smtp_port "
            "name a working mail server, or raise email.timeout_seconds if it is only slow."
        )

    def _open(self, watchdog: _Watchdog) -> tuple[smtplib.SMTP, Encryption]:
        cfg = self.config
        # Before connecting, so that loading the authorities never stalls a session; a relay in clear needs none.
        clear = not cfg.use_ssl and cfg.starttls is False
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if clear else self._context()
        step = "the connection and the server's greeting"
        smtp: smtplib.SMTP | None = None
        encryption: Encryption
        try:
            if cfg.use_ssl:
                smtp, encryption = _Smtps(cfg.smtp_host, cfg.smtp_port, watchdog, context), "SMTPS"
            else:
                smtp, encryption = _Smtp(cfg.smtp_host, cfg.smtp_port, watchdog), "none"
                step = "EHLO"
                smtp.ehlo_or_helo_if_needed()
                # Unless the config says `starttls = false`, whenever offered: an alert should not cross in clear.
                if cfg.use_starttls or (cfg.starttls is None and smtp.has_extn("starttls")):
                    step = "STARTTLS"
                    smtp.starttls(context=context)
                    smtp.ehlo_or_helo_if_needed()
                    encryption = "STARTTLS"
            if self.username:
                step = "the login"
                self._login(smtp, encrypted=encryption != "none")
            return smtp, encryption
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            raise (self._late(watchdog, step) if watchdog.expired else self._connect_error(exc)) from exc
        except BaseException:  # our own refusal to log in, or an interruption: nothing to translate
            if smtp is not None:
                smtp.close()
            raise

    def _connect_error(self, exc: OSError | smtplib.SMTPException) -> ServerUnreachable:
        cfg = self.config
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ServerUnreachable(
                f"{self._where()} does not offer STARTTLS. Set email.starttls = false if it is a local "
                "relay, or use the server's TLS port (587 with STARTTLS, 465 for SMTPS)."
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ServerUnreachable(
                f"{self._where()} refused the login ({_answer(exc.smtp_code, exc.smtp_error)}). Check "
                "WATCHER_SMTP_USERNAME and WATCHER_SMTP_PASSWORD in the environment."
            )
        if isinstance(exc, ssl.SSLError):
            return ServerUnreachable(
                f"TLS with {self._where()} failed ({exc.reason or exc}); watcher uses STARTTLS whenever the server "
                "offers it. Check that the port matches the TLS mode (465: SMTPS, 587: STARTTLS) and that the "
                "server's certificate is valid for email.smtp_host (or trusted through SSL_CERT_FILE)."
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return ServerUnreachable(
                f"{self._where()} answered {_answer(exc.smtp_code, exc.smtp_error)} while opening the session. "
                "Check email.smtp_host and email.smtp_port, and the server's log."
            )
        if isinstance(exc, TimeoutError):
            return ServerUnreachable(
                f"{self._where()} did not answer within {cfg.timeout_seconds:g} s. Check email.smtp_host "
                "and email.smtp_port."
            )
        return ServerUnreachable(
            f"Cannot reach {self._where()}: {exc}. Check email.smtp_host and email.smtp_port, "
            "and that the server is running."
        )

    def _login(self, smtp: smtplib.SMTP, *, encrypted: bool) -> None:
        if not encrypted and smtp.has_extn("auth") and not self.config.allow_plain_auth:
            raise ServerUnreachable(
                f"{self._where()} offers no encryption (no STARTTLS), so watcher did not send the login: the "
                "password would cross the network in clear. Use the server's TLS port (587 with STARTTLS, 465 "
                "for SMTPS); only for a relay on this machine or a network you trust, set "
                "email.allow_plain_auth = true."
            )
        try:
            smtp.login(self.username or "", self.password or "")
        except smtplib.SMTPNotSupportedError as exc:
            raise ServerUnreachable(
                f"{self._where()} offers no login (no AUTH"
                + ("" if encrypted else " without encryption: many servers only offer it after STARTTLS")
                + "). Unset WATCHER_SMTP_USERNAME and WATCHER_SMTP_PASSWORD if it needs none"
                + ("." if encrypted else ", or use the server's submission port (587).")
            ) from exc

    def _transmit(
        self, smtp: smtplib.SMTP, message: EmailMessage, envelope: tuple[str, ...], watchdog: _Watchdog
    ) -> dict[str, tuple[int, bytes]]:
        try:
            return smtp.send_message(message, to_addrs=list(envelope))
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(map(str, _refusals(exc.recipients)))
            text = f"{self._where()} refused every recipient: {refused}. Check these addresses in email.to and ops_to."
            if any(code == 421 for code, _ in exc.recipients.values()):  # the server is closing: try later
                raise ServerUnreachable(text) from exc
            raise MailError(text) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(
                f"{self._where()} refused the sender {exc.sender} ({_answer(exc.smtp_code, exc.smtp_error)}); "
                "check email.from."
            ) from exc
        except smtplib.SMTPResponseException as exc:
            answer = _answer(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code >= 500:  # this message is refused for good; the next ones may still go
                raise MailError(f"{self._where()} rejected the message ({answer}).") from exc
            raise ServerUnreachable(f"{self._where()} could not take the message now ({answer}).") from exc
        except (OSError, smtplib.SMTPException) as exc:
            if watchdog.expired:
                raise self._late(watchdog, "sending the message") from exc
            raise ServerUnreachable(f"{self._where()} dropped the connection while sending: {exc}.") from exc

    def _quit(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException) as exc:
            # The message is already accepted: a server slow to say goodbye changes nothing.
            log.info("%s did not answer QUIT (%s); the message was already accepted", self._where(), exc)
            smtp.close()


def test_message(sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The message `watcher test-email` sends."""
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = "[watcher] Test message"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("test", domain=sender.rpartition("@")[2] or None)
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

    def send(
        self,
        message: EmailMessage,
        *,
        to: Sequence[str] | None = None,
        on_accepted: Callable[[Accepted], None] | None = None,
    ) -> Accepted:
        """Write the message to the next alert-N.eml of the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"alert-{len(self.written) + 1}.eml"
        path.write_bytes(bytes(message))
        self.written.append(path)
        accepted = Accepted(f"the folder {self.folder}", tuple(to) if to is not None else recipients(message))
        if on_accepted is not None:
            on_accepted(accepted)
        return accepted
