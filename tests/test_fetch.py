"""The fetch edge against a real local HTTP server: politeness, retries, conditional requests, limits."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from watcher.config import FetchConfig
from watcher.errors import FetchError
from watcher.model import Validators
from watcher.pages.fetch import Fetcher
from watcher.tables import build

from .conftest import LIST_PATH, Site


def fetcher(**overrides: object) -> Fetcher:
    settings = {"delay_seconds": 0, "backoff_seconds": 0.01, "timeout_seconds": 2, **overrides}
    return Fetcher(build(FetchConfig, settings), "comms@example.org")


def test_user_agent_names_the_tool_and_contact_and_fragment_is_stripped(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as f:
        page = f.get(httpserver.url_for(LIST_PATH) + "#indicateurs=900716,900717&criterias")
    assert page.status == 200 and len(page.content) > 100_000
    request = site.list_requests()[0]
    assert "#" not in request.url
    agent = request.headers["User-Agent"]
    assert agent.startswith("watcher/") and "comms@example.org" in agent


def test_conditional_request_gets_304_without_body(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as f:
        first = f.get(httpserver.url_for(LIST_PATH))
        second = f.get(httpserver.url_for(LIST_PATH), first.validators)
        log = f.take_log()
    assert first.validators.etag
    assert second.not_modified and second.content == b""
    assert site.list_requests()[1].headers["If-None-Match"] == first.validators.etag
    assert [entry.outcome for entry in log if entry.url.endswith("home.html")] == ["fetched", "not-modified"]


def test_last_modified_is_sent_back(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as f:
        f.get(httpserver.url_for(LIST_PATH), Validators("x", None, "Wed, 16 Dec 2020 08:00:00 GMT"))
    assert site.list_requests()[0].headers["If-Modified-Since"] == "Wed, 16 Dec 2020 08:00:00 GMT"


def test_burst_of_503_is_retried_then_succeeds(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 503, times=3)
    with fetcher(attempts=5) as f:
        page = f.get(httpserver.url_for(LIST_PATH))
        log = f.take_log()
    assert page.status == 200
    assert [e.status for e in log if e.url.endswith("home.html")] == [503, 503, 503, 200]


def test_429_with_retry_after_is_honoured(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 429, times=1, **{"Retry-After": "1"})
    with fetcher(attempts=3) as f:
        f.get(httpserver.url_for("/robots.txt"))  # robots.txt out of the way, so only the page is timed
        started = time.monotonic()
        page = f.get(httpserver.url_for(LIST_PATH))
        waited = time.monotonic() - started
    assert page.status == 200
    assert waited >= 1.0  # waited as asked, not the 0.01 s backoff


def test_retry_after_longer_than_allowed_gives_up_until_next_check(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.fail(LIST_PATH, 429, times=1, **{"Retry-After": "3600"})
    with fetcher(attempts=3) as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert "3600 s" in str(caught.value) and caught.value.status == 429
    assert len(site.list_requests()) == 1


def test_errors_name_the_url(site: Site, httpserver: HTTPServer) -> None:
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/nowhere.html"))
    assert "/nowhere.html" in str(caught.value) and "404" in str(caught.value)


def test_timeout_is_explained_with_the_url(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        if request.path != "/robots.txt":
            time.sleep(0.6)
        return Response(b"", status=404)

    httpserver.expect_request("").respond_with_handler(slow)
    with fetcher(timeout_seconds=0.2, attempts=2) as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for("/slow.html"))
    message = str(caught.value)
    assert "/slow.html" in message and "did not answer within 0.2 s" in message


def test_connection_refused_is_explained() -> None:
    with fetcher(attempts=2) as f, pytest.raises(FetchError) as caught:
        f.get("http://127.0.0.1:9/palmares.html")
    assert "127.0.0.1:9" in str(caught.value) and "ConnectError" in str(caught.value)


def test_robots_txt_disallow_is_respected(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    site.robots = b"User-agent: *\nDisallow: /palmares/\n"
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert "robots.txt" in str(caught.value)
    assert site.list_requests() == []


def test_missing_robots_txt_allows_everything(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page.html").respond_with_data("<html></html>", content_type="text/html")
    with fetcher() as f:
        assert f.get(httpserver.url_for("/page.html")).status == 200


def test_robots_txt_is_read_once_per_fetcher(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher() as f:
        for _ in range(3):
            f.get(httpserver.url_for(LIST_PATH))
    assert [r.path for r in site.requests].count("/robots.txt") == 1


def test_size_cap_refuses_huge_pages(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    with fetcher(max_bytes=50_000) as f, pytest.raises(FetchError) as caught:
        f.get(httpserver.url_for(LIST_PATH))
    assert "fetch.max_bytes" in str(caught.value)


def test_polite_delay_between_requests_to_one_host(site: Site, httpserver: HTTPServer) -> None:
    site.edition(2020)
    pauses: list[float] = []
    f = Fetcher(
        build(FetchConfig, {"delay_seconds": 2}), "comms@example.org", sleep=pauses.append
    )  # the clock is real; sleeping is recorded instead of done
    with f:
        f.get(httpserver.url_for(LIST_PATH))
        f.get(httpserver.url_for(LIST_PATH))
    assert len(pauses) == 2  # before the page (after robots.txt), and before the second page
    assert all(1.0 < p <= 2 for p in pauses)
