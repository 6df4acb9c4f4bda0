"""Headless Chromium, for a ranking whose content needs script to appear (`browser = true`).

Debian's `chromium --headless --dump-dom URL` prints the page as the browser built it, after its scripts ran.
A rendered page cannot be asked for conditionally: each check renders it again and compares what it reads.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

from watcher.errors import FetchError
from watcher.pages.hosts import redacted

# No first-run screens, no background requests of the browser's own: only the page and what it loads.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)


def render(url: str, *, user_agent: str, timeout: float, executable: str = "chromium") -> bytes:
    """The page's DOM after its scripts ran, as UTF-8 HTML; `FetchError` when the browser cannot give it.

    `url` may carry a user:password@ for the site; no message shows it.
    """
    shown = redacted(url)
    found = shutil.which(executable)
    if found is None:
        raise FetchError(
            f"{shown} is set to be read with a browser (browser = true), but there is no `{executable}` command: "
            "install Debian's chromium (`apt-get install chromium`), or set browser = false.",
            url=shown,
        )
    with tempfile.TemporaryDirectory(prefix="watcher-chromium-") as profile:
        command = [found, *_FLAGS, f"--user-data-dir={profile}", f"--user-agent={user_agent}", "--dump-dom", url]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise FetchError(f"the browser did not render {shown} within {timeout:g} s", url=shown) from exc
        except OSError as exc:
            raise FetchError(f"the browser could not be started for {shown}: {exc.strerror}", url=shown) from exc
    if done.returncode != 0 or not done.stdout.strip():
        detail = redacted(done.stderr.decode("utf-8", "replace")).strip().splitlines()[-1:] or ["no output"]
        raise FetchError(f"the browser could not render {shown} (exit {done.returncode}: {detail[0]})", url=shown)
    # A page the browser could not load (no network, DNS, refused) is its own error page, not the site's.
    if b"chrome-error://" in done.stdout[:4096] or b'id="main-frame-error"' in done.stdout:
        raise FetchError(f"the browser could not load {shown} (it showed its own error page)", url=shown)
    return done.stdout
