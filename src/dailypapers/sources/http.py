"""Polite HTTP GETs: spaced requests, retries with backoff and jitter, Retry-After."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from dailypapers import __version__


class FetchError(Exception):
    """A source could not be read after all retries, or refused the request."""


def user_agent(contact_email: str = "") -> str:
    """Return the User-Agent that tells sources who is asking and how to reach them."""
    contact = f"; mailto:{contact_email}" if contact_email else ""
    return f"dailypapers/{__version__} (self-hosted Daily Papers{contact})"


class PoliteFetcher:
    """GET with at least `delay_s` between requests to a source, retrying what may pass.

    Timeouts, dropped connections, 429 and 5xx are retried with exponential backoff
    and jitter, or after the server's Retry-After; other 4xx are final.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        delay_s: float = 0.0,
        attempts: int = 4,
        backoff_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.delay_s = delay_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.clock = clock
        self.sleep = sleep
        self._last_request: float | None = None
        self._spacing = threading.Lock()  # one fetcher may serve several threads

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        accept_status: Collection[int] = (),
    ) -> httpx.Response:
        """GET the URL; raise FetchError when it cannot be had."""
        for attempt in range(1, self.attempts + 1):
            self._keep_distance()
            try:
                response = self.client.get(url, params=params)
            except httpx.TransportError as error:
                problem, wait = f"{type(error).__name__}: {error}", None
            else:
                status = response.status_code
                if status < 400 or status in accept_status:
                    return response
                if status < 500 and status != 429:
                    raise FetchError(f"GET {response.url} answered {status}")
                problem, wait = f"HTTP {status}", _retry_after(response)
            if attempt == self.attempts:
                raise FetchError(f"GET {url} failed after {self.attempts} attempts: {problem}")
            backoff = self.backoff_s * 2 ** (attempt - 1)
            self.sleep(
                (wait if wait is not None else backoff) + random.uniform(0, self.backoff_s / 2)
            )
        raise AssertionError("unreachable")

    def _keep_distance(self) -> None:
        """Wait until `delay_s` has passed since the previous request started."""
        with self._spacing:
            now = self.clock()
            if self._last_request is not None and now - self._last_request < self.delay_s:
                self.sleep(self.delay_s - (now - self._last_request))
                now = self.clock()
            self._last_request = now


def _retry_after(response: httpx.Response) -> float | None:
    """Read Retry-After as seconds or an HTTP date; None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


@contextmanager
def open_fetcher(
    *, contact_email: str, timeout_s: float, delay_s: float = 0.0
) -> Iterator[PoliteFetcher]:
    """Yield a fetcher that introduces itself and keeps `delay_s` between requests."""
    headers = {"User-Agent": user_agent(contact_email)}
    with httpx.Client(timeout=timeout_s, headers=headers) as client:
        yield PoliteFetcher(client, delay_s=delay_s)
