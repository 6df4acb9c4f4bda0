"""`watcher capture URL DIR`: an exact copy of a live ranking, read back by `parse` and `import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from pytest_httpserver import HTTPServer

from watcher.cli import main

from .conftest import CLASSEMENTS_PATH, FIXTURES, Site, SmtpServer

RANKING = "Classement des écoles d'ingénieurs"


@pytest.fixture
def config(tmp_path: Path, site: Site, smtp: SmtpServer, httpserver: HTTPServer) -> Path:
    site.classements(2026, httpserver.url_for("/"))
    path = tmp_path / "config.toml"
    path.write_text(
        f"""database = "watcher.db"
[school]
name = "IMT Mines Alès"
peers = ["IMT Mines Albi"]
[[rankings]]
name = "{RANKING}"
url = "{httpserver.url_for(CLASSEMENTS_PATH)}"
[email]
to = ["communication@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
[fetch]
delay_seconds = 0
attempts = 1
""",
        encoding="utf-8",
    )
    return path


def test_a_capture_holds_every_page_with_its_headers_and_reads_back(
    config: Path, tmp_path: Path, httpserver: HTTPServer, capsys
) -> None:
    folder = tmp_path / "copy"
    assert main(["--config", str(config), "capture", httpserver.url_for(CLASSEMENTS_PATH), str(folder)]) == 0
    manifest = json.loads((folder / "capture.json").read_text(encoding="utf-8"))
    kinds = [p["kind"] for p in manifest["pages"]]
    assert kinds == ["list"] * 9 + ["school", "school"]  # the school and its peer
    assert manifest["refused"] is None and manifest["format"] == 1
    first = manifest["pages"][0]
    assert first["status"] == 200 and "text/html" in first["headers"]["content-type"]
    assert manifest["pages"][8]["url"].endswith("?page=9")
    served = (FIXTURES / "classements" / "classement-2026-page9.html").read_bytes()
    assert (folder / manifest["pages"][8]["file"]).read_bytes() == served.replace(
        b"https://www.letudiant.fr", httpserver.url_for("/").rstrip("/").encode()
    )  # byte for byte as received
    capsys.readouterr()
    assert main(["parse", str(folder)]) == 0
    assert (
        capsys.readouterr().out.splitlines()[0]
        == "Layout classements-cards: edition 2026, 174 schools read from 9 page(s)"
    )
    assert main(["--config", str(config), "import", str(folder), "--edition", "2026", "--ranking", RANKING]) == 0
    assert sqlite_utils.Database(tmp_path / "watcher.db")["snapshots"].get(1)["school_count"] == 174


def test_a_page_no_layout_fits_is_still_saved_and_the_refusal_said(
    config: Path, site: Site, tmp_path: Path, httpserver: HTTPServer, capsys
) -> None:
    site.pages[CLASSEMENTS_PATH] = (FIXTURES / "refused" / "layout-changed.html").read_bytes()
    folder = tmp_path / "copy"
    assert main(["--config", str(config), "capture", httpserver.url_for(CLASSEMENTS_PATH), str(folder)]) == 1
    manifest = json.loads((folder / "capture.json").read_text(encoding="utf-8"))
    assert [p["file"] for p in manifest["pages"]] == ["list-01.html"]
    assert "no known layout fits this page" in manifest["refused"]
    assert "could not be read whole" in capsys.readouterr().out
