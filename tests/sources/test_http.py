"""Polite fetching against a real local HTTP server: spacing, retries, final errors."""

from itertools import pairwise

import httpx
import pytest

from dailypapers.sources.http import FetchError, PoliteFetcher, user_agent

from support.http_server import Reply, serving


def fetcher(client, **options):
    options.setdefault("sleep", lambda seconds: None)
    return PoliteFetcher(client, **options)


def test_retries_a_503_honouring_retry_after_then_succeeds():
    replies = iter([Reply(503, b"busy", {"Retry-After": "7"}), Reply(502), Reply(200, b"ok")])
    waits = []
    with serving(lambda request: next(replies)) as (url, log), httpx.Client() as client:
        response = fetcher(client, sleep=waits.append).get(f"{url}/x", params={"a": "1"})
    assert response.content == b"ok"
    assert len(log) == 3
    assert log[0].query == {"a": "1"}
    assert 7 <= waits[0] < 7.5  # Retry-After, plus a little jitter
    assert 2 <= waits[1] < 2.5  # exponential backoff: 1 s, then 2 s


def test_a_client_error_is_not_retried():
    with (
        serving(lambda request: Reply(404, b"no")) as (url, log),
        httpx.Client() as client,
        pytest.raises(FetchError, match="answered 404"),
    ):
        fetcher(client).get(f"{url}/missing")
    assert len(log) == 1


def test_an_accepted_error_status_is_handed_back():
    with serving(lambda request: Reply(400, b"feed")) as (url, _), httpx.Client() as client:
        assert fetcher(client).get(url, accept_status=(400,)).status_code == 400


def test_gives_up_after_the_last_attempt():
    with (
        serving(lambda request: Reply(500)) as (url, log),
        httpx.Client() as client,
        pytest.raises(FetchError, match="failed after 3 attempts: HTTP 500"),
    ):
        fetcher(client, attempts=3).get(url)
    assert len(log) == 3


def test_a_refused_connection_is_retried_then_reported():
    with serving(lambda request: Reply()) as (url, _):
        closed = url  # the server is gone after the block
    with httpx.Client() as client, pytest.raises(FetchError, match="ConnectError"):
        fetcher(client, attempts=2).get(closed)


def test_requests_are_spaced_by_the_delay():
    # A virtual clock: sleeping advances it, and so does each request, by 50 ms of "network".
    now = [0.0]
    slept: list[float] = []
    received: list[float] = []

    def answer(request: object) -> Reply:
        received.append(now[0])
        now[0] += 0.05
        return Reply(200, b"ok")

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with serving(answer) as (url, _), httpx.Client() as client:
        polite = PoliteFetcher(client, delay_s=0.2, clock=lambda: now[0], sleep=sleep)
        for _ in range(4):
            polite.get(url)
    gaps = [later - earlier for earlier, later in pairwise(received)]
    assert gaps == pytest.approx([0.2, 0.2, 0.2])
    assert slept == pytest.approx([0.15, 0.15, 0.15])  # counted from the previous start


def test_user_agent_names_the_contact():
    assert user_agent("lab@example.org").endswith("mailto:lab@example.org)")
    assert "dailypapers/" in user_agent()
