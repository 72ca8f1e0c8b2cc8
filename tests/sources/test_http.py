"""Retries against a real local HTTP server: backoff, Retry-After, final errors."""

import httpx
import pytest

from dailypapers.sources.http import FetchError, get_with_retries

from support.http_server import Reply, serving


def test_retries_a_503_honouring_retry_after_then_succeeds():
    replies = iter([Reply(503, b"busy", {"Retry-After": "7"}), Reply(502), Reply(200, b"ok")])
    waits = []
    with serving(lambda request: next(replies)) as (url, log), httpx.Client() as client:
        response = get_with_retries(client, f"{url}/x", params={"a": "1"}, sleep=waits.append)
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
        get_with_retries(client, f"{url}/missing", sleep=lambda s: None)
    assert len(log) == 1


def test_gives_up_after_the_last_attempt():
    with (
        serving(lambda request: Reply(500)) as (url, log),
        httpx.Client() as client,
        pytest.raises(FetchError, match="failed after 3 attempts: HTTP 500"),
    ):
        get_with_retries(client, url, attempts=3, sleep=lambda s: None)
    assert len(log) == 3


def test_a_refused_connection_is_retried_then_reported():
    with serving(lambda request: Reply()) as (url, _):
        closed = url  # the server is gone after the block
    with httpx.Client() as client, pytest.raises(FetchError, match="ConnectError"):
        get_with_retries(client, closed, attempts=2, sleep=lambda s: None)
