"""How uvicorn runs the site: trusted proxies, timeouts, a connection limit, slow clients,
its event loop and what the garbage collector walks."""

from __future__ import annotations

import asyncio
import functools
import gc
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from dailypapers.settings import Settings, trusted_proxies

_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nThe request's headers were late."
)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Return the keyword arguments of uvicorn.run/uvicorn.Config that the settings decide."""
    proxies = trusted_proxies(settings)
    # A class, not an instance: uvicorn's worker processes receive it by name, and read
    # the timeout from the environment, as the settings were.
    HeaderDeadlineProtocol.header_timeout_s = settings.header_timeout_s
    return {
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: a client on
        # the same host could then pose as any address and escape per-address rate limits.
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "limit_concurrency": settings.max_connections or None,
        "timeout_graceful_shutdown": settings.shutdown_timeout_s,
        "server_header": False,
        "http": HeaderDeadlineProtocol,
        # uvloop kept some connections waiting a tenth of a second or more once the read lane
        # (run on the loop) kept it busy: p99 290 ms on a day's page against 46 on asyncio's.
        "loop": "asyncio",
    }


def freeze_startup_objects() -> None:
    """Leave what the process made at startup out of the garbage collector's full passes.

    Imports and the app make about 170,000 objects that live as long as the process, and each
    full collection walked them all: a pause of about 100 ms for every request in flight
    (a day's page, signed in: p99.9 135 to 167 ms, 66 to 71 with them frozen).
    """
    gc.collect()  # what is garbage now would never be collected once frozen
    gc.freeze()


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose headers come too slowly."""

    # uvicorn times out idle keep-alive connections but not a request whose headers trickle
    # in, nor a connection that never sends a byte: one such client per slot would hold
    # every connection the server allows (slowloris).
    header_timeout_s: float | None = None
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        """Start the clock for this request's headers, unless it already runs."""
        super().on_message_begin()
        if self._header_deadline is None:
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        """Stop the clock: the headers are in."""
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock of a connection that is gone."""
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        timeout_s = self.header_timeout_s or _header_timeout_from_environment()
        self._header_deadline = self.loop.call_later(timeout_s, self._headers_too_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # nothing of ours half-sent
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


@functools.cache
def _header_timeout_from_environment() -> float:
    return Settings.from_env().header_timeout_s
