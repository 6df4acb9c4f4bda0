"""`watcher demo`: the whole pipeline, offline, on the bundled fixtures served from 127.0.0.1."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path

from watcher.model import EMAIL_POLICY

LIST_PATH = "/classements/classement-des-ecoles-d-ingenieurs.html"
DIRECTORY_PATH = "/etudes/annuaire-enseignement-superieur/etablissement/"
RANKING = "Classement des écoles d'ingénieurs"
LIVE = b"https://www.letudiant.fr"


def fixtures_dir() -> Path:
    """The fixture pages: inside the installed package, or beside `src/` in a checkout."""
    packaged = Path(str(files("watcher"))) / "fixtures"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "fixtures"


class FixtureSite:
    """A tiny L'Étudiant stand-in: one edition of today's list (nine pages) and the schools' directory pages.

    The saved pages link to the live site; they are served with those links pointed at this server.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.edition = 2025
        self.base = ""
        self.requests: list[str] = []

    def body(self, path: str) -> bytes | None:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n"
        page = None
        if path.startswith(LIST_PATH):
            number = path.removeprefix(LIST_PATH).removeprefix("?page=") or "1"
            suffix = "" if number == "1" else f"-page{number}"
            page = self.folder / "classements" / f"classement-{self.edition}{suffix}.html"
        elif path.startswith(DIRECTORY_PATH):
            # etablissement-imt-mines-ales-3069.html → directory/imt-mines-ales-<edition>.html
            name = re.sub(r"^etablissement-|-\d+\.html$", "", path.removeprefix(DIRECTORY_PATH))
            page = self.folder / "directory" / f"{name}-{self.edition}.html"
        if page is None or not page.is_file():
            return None
        return page.read_bytes().replace(LIVE, self.base.encode())

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
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self.base
        finally:
            server.shutdown()
            server.server_close()


def run_demo(output: Path) -> int:
    """Past palmarès imported, a baseline on the 2025 classement, then the 2026 one arrives: one alert, as .eml."""
    from watcher import config
    from watcher.check import run_check
    from watcher.importer import import_pages
    from watcher.mail import FileMailer
    from watcher.pages.fetch import Fetcher
    from watcher.store import Store
    from watcher.views import history_table, print_run, write_report

    output.mkdir(parents=True, exist_ok=True)
    database = (output / "demo.db").resolve()
    database.unlink(missing_ok=True)
    site = FixtureSite(fixtures_dir())
    with site.serve() as base:
        cfg = config.from_dict(
            {
                "database": str(database),
                "school": {"name": "IMT Mines Alès", "peers": ["IMT Mines Albi", "Mines Saint-Étienne"]},
                "rankings": [{"name": RANKING, "url": base + LIST_PATH}],
                "email": {"to": ["communication@example.org"], "from": "watcher@example.org"},
                "fetch": {"delay_seconds": 0, "backoff_seconds": 0.1},
            },
            base_dir=output,
            source="(demo)",
        )
        store = Store.open(cfg.database)
        mailer = FileMailer(output)
        with Fetcher(cfg.fetch, cfg.contact) as fetcher:
            print("0. `watcher import`: saved copies of the 2020 and 2021 palmarès (the site's old layout) start")
            print("   the history.")
            for year, pages in (
                (2020, ["palmares-general-2020.html"]),
                (2021, ["palmares-general-2021.html", "palmares-general-2021-page2.html"]),
            ):
                saved = [str(site.folder / name) for name in pages]
                past, _ = import_pages(saved, edition=year, ranking=RANKING, config=cfg, store=store, fetcher=fetcher)
                print(f"Imported {RANKING}, edition {year}: {past.count} schools ({past.layout}).")
            steps = (
                (
                    2025,
                    "1. The site shows the 2025 classement (nine pages): the first check records it as the baseline.",
                ),
                (2026, "2. L'Étudiant publishes the 2026 classement: the check reads its nine pages and alerts."),
                (2026, "3. Nothing changed since: the server answers 304 Not Modified, nothing is parsed."),
            )
            for edition, title in steps:
                site.edition = edition
                print(f"\n{title}")
                print_run(run_check(cfg, store=store, fetcher=fetcher, mailer=mailer))
        print("\n4. `watcher history`:")
        print(history_table(cfg, store, [RANKING]))
        report = write_report(cfg, store, output / "report.html")
        print(f"5. `watcher report`: {report} (open it in a browser)\n")
        store.close()
    for path in mailer.written:
        message = message_from_bytes(path.read_bytes(), policy=EMAIL_POLICY)
        print(f"The alert email, saved as {path}:\n")
        print(f"Subject: {message['Subject']}\nTo: {message['To']}\n")
        body = message.get_body(("plain",))
        print(body.get_content() if body else "")
    return 0 if mailer.written else 1
