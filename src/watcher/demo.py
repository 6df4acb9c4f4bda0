"""`watcher demo`: the whole pipeline, offline, on the bundled fixtures served from 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import cast

from .model import EMAIL_POLICY

LIST_PATH = (
    "/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/palmares-general-des-ecoles-d-ingenieurs/home.html"
)
SCHOOL_PATH = "/palmares/palmares-des-ecoles-d-ingenieurs/"
RANKING = "Palmarès général des écoles d'ingénieurs"


def fixtures_dir() -> Path:
    """The fixture pages: inside the installed package, or beside `src/` in a checkout."""
    packaged = Path(str(files("watcher"))) / "fixtures"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "fixtures"


class FixtureSite:
    """A tiny L'Étudiant stand-in: serves one edition of the general list, with ETags and page 2."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.edition = 2020
        self.requests: list[str] = []

    def body(self, path: str) -> bytes | None:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n"
        if path == LIST_PATH:
            return (self.folder / f"palmares-general-{self.edition}.html").read_bytes()
        if path.startswith(SCHOOL_PATH):
            school = (
                self.folder / "school" / f"{path.removeprefix(SCHOOL_PATH).removesuffix('.html')}-{self.edition}.html"
            )
            return school.read_bytes() if school.exists() else None
        if path == LIST_PATH + "?page=2":
            page2 = self.folder / f"palmares-general-{self.edition}-page2.html"
            return page2.read_bytes() if page2.exists() else None
        return None

    @contextmanager
    def serve(self) -> Iterator[str]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                body = site.body(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header(
                    "Content-Type",
                    "text/html" if b"windows-1252" in body[:600] else "text/html; charset=utf-8",
                )
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def run_demo(output: Path) -> int:
    """Baseline on the 2020 list, then the 2021 list (split over two pages) arrives: one alert, saved as .eml."""
    from . import config
    from .check import run_check
    from .cli import print_run
    from .fetch import Fetcher
    from .history import format_history
    from .importer import import_pages
    from .mail import FileMailer
    from .report import write_report
    from .rules import school_history
    from .store import Store

    output.mkdir(parents=True, exist_ok=True)
    database = (output / "demo.db").resolve()
    database.unlink(missing_ok=True)
    site = FixtureSite(fixtures_dir())
    with site.serve() as base:
        cfg = config.from_dict(
            {
                "database": str(database),
                "school": {"name": "IMT Mines Alès", "peers": ["IMT Mines Albi", "Mines Saint-Étienne"]},
                "rankings": [{"name": RANKING, "url": base + LIST_PATH + "#indicateurs=900716,900717"}],
                "email": {"to": ["communication@example.org"], "from": "watcher@example.org"},
                "fetch": {"delay_seconds": 0, "backoff_seconds": 0.1},
            },
            base_dir=output,
            source="(demo)",
        )
        store = Store.open(cfg.database)
        mailer = FileMailer(output)
        with Fetcher(cfg.fetch, cfg.contact) as fetcher:
            print("0. `watcher import`: a saved copy of the 2019 list completes the history.")
            saved = str(site.folder / "palmares-general-2019.html")
            past, _ = import_pages([saved], edition=2019, ranking=RANKING, config=cfg, store=store, fetcher=fetcher)
            print(f"Imported {RANKING}, edition 2019: {past.count} schools.")
            steps = (
                (2020, "1. The site shows the 2020 list: the first check records it as the baseline."),
                (2021, "2. L'Étudiant publishes the 2021 list (two pages): the check reads both and alerts."),
                (2021, "3. Nothing changed since: the server answers 304 Not Modified, nothing is parsed."),
            )
            for edition, title in steps:
                site.edition = edition
                print(f"\n{title}")
                print_run(run_check(cfg, store=store, fetcher=fetcher, mailer=mailer))
        print("\n4. `watcher history`:")
        print(format_history(RANKING, school_history(store.snapshots(RANKING), cfg.school), cfg.school.name))
        report = write_report(cfg, store, output / "report.html")
        print(f"5. `watcher report`: {report} (open it in a browser)\n")
        store.close()
    for path in mailer.written:
        message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=EMAIL_POLICY))
        print(f"The alert email, saved as {path}:\n")
        print(f"Subject: {message['Subject']}\nTo: {message['To']}\n")
        body = message.get_body(("plain",))
        print(body.get_content() if body else "")
    return 0 if mailer.written else 1
