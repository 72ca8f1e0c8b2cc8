"""HTTP GETs that survive flaky networks: retries with backoff, jitter and Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from dailypapers import __version__

USER_AGENT = f"dailypapers/{__version__} (+https://github.com/dailypapers/dailypapers)"


class FetchError(Exception):
    """A source could not be read after all retries, or refused the request."""


def get_with_retries(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    attempts: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """GET the URL, retrying timeouts, dropped connections and 5xx; raise FetchError."""
    for attempt in range(1, attempts + 1):
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as error:
            problem, wait = f"{type(error).__name__}: {error}", None
        else:
            if response.status_code < 400:
                return response
            if response.status_code < 500 and response.status_code != 429:
                raise FetchError(f"GET {response.url} answered {response.status_code}")
            problem, wait = f"HTTP {response.status_code}", _retry_after(response)
        if attempt == attempts:
            raise FetchError(f"GET {url} failed after {attempts} attempts: {problem}")
        delay = wait if wait is not None else backoff_s * 2 ** (attempt - 1)
        sleep(delay + random.uniform(0, backoff_s / 2))
    raise AssertionError("unreachable")


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
