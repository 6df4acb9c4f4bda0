"""A host's robots.txt as RFC 9309 reads it: its rules, its Crawl-delay, and when to ask for it again.

What the answer means (RFC 9309, section 2.3.1): a 2xx body holds the rules; a 4xx means there are none (the
site asks nothing); a 5xx, a 429, or no answer at all means "assume everything is disallowed for now".
"""

from __future__ import annotations

import math
import re
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FRESH_FOR = timedelta(days=1)  # RFC 9309, 2.4: a robots.txt should not be used for more than a day
# A robots.txt that could not be read is asked for again sooner, so one bad minute does not stop a day of checks.
UNREADABLE_FOR = timedelta(minutes=30)
MAX_CRAWL_DELAY = 60.0  # seconds: a longer Crawl-delay is honoured as 60 s, so a check still ends

# Python's parser turns these values into int() after a str.isdigit() test, which "²" passes: it would crash.
_NUMERIC_KEYS = re.compile(r"^\s*(crawl-delay|request-rate)\s*:(.*)$", re.IGNORECASE)
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True, slots=True)
class Robots:
    """One reading of a host's robots.txt: its body and status, or no status when the host did not answer."""

    body: str | None
    status: int | None
    fetched_at: datetime
    problem: str | None = field(default=None, compare=False)  # why it could not be read, when known
    _parser: urllib.robotparser.RobotFileParser = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(_safe_lines(self.body or "") if self.has_rules else [])
        object.__setattr__(self, "_parser", parser)

    @property
    def has_rules(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def readable(self) -> bool:
        """False when RFC 9309 says to assume everything is disallowed (5xx, 429, unreachable)."""
        return self.status is not None and 200 <= self.status < 500 and self.status != 429

    def due(self, now: datetime) -> bool:
        """Whether to ask for it again: a day after a reading, half an hour after a failure."""
        return now - self.fetched_at >= (FRESH_FOR if self.readable else UNREADABLE_FOR)

    def allows(self, agent: str, url: str) -> bool:
        return self.readable and (not self.has_rules or self._parser.can_fetch(agent, url))

    def crawl_delay(self, agent: str) -> float | None:
        """The Crawl-delay of the group for `agent` (else of `*`), at most `MAX_CRAWL_DELAY` seconds."""
        if not self.has_rules:
            return None
        delay = self._parser.crawl_delay(agent)
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY)


def _safe_lines(body: str) -> list[str]:
    # Python's parser keeps only whole seconds: a fractional Crawl-delay is rounded up, which is the polite side.
    lines = []
    for line in body.splitlines():
        numeric = _NUMERIC_KEYS.match(line.split("#", 1)[0])
        if numeric is None:
            lines.append(line)
        elif numeric.group(1).lower() == "crawl-delay" and _SECONDS.fullmatch(value := numeric.group(2).strip()):
            lines.append(f"Crawl-delay: {math.ceil(min(float(value), 1e9))}")
    return lines
