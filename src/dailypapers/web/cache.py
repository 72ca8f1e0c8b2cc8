"""Reuse rendered responses until the data changes or they grow old.

Listing pages cost a ranking and a render; most visitors ask for the same few.
An entry is served again only while the storage's generation is the one it was
rendered at, so any write shows at once. Requests that carry cookies or
credentials are never cached: their pages may be personal. When an entry is
missing or old, one request renders it and the others asking for the same page
meanwhile wait for that render instead of starting their own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.storage import Storage

# What the kept pages may weigh, the least recently served going first. Counted in pages,
# 1,024 distinct searches of 110 KB each grew a server by 112 MB; 16 MiB still holds 160
# listings of 100 KB, and a page asked for again within the time to live is what counts.
MAX_BYTES = 16 * 2**20
# What keeping a page costs besides its body (its headers, key and entry): 7,300 paper
# responses of 4.4 KB each grew a server by 68 MB (docs/performance.md).
ENTRY_BYTES = 4096


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: int
    stored_at: float
    start: Message
    body: bytes

    @property
    def weight(self) -> int:
        """Return the bytes this entry counts for in the cache's budget."""
        return len(self.body) + ENTRY_BYTES


@dataclass(slots=True)
class _Render:
    """A render under way, which later requests for the same page wait for."""

    generation: int
    done: anyio.Event = field(default_factory=anyio.Event)
    entry: _Entry | None = None


class ResponseCache:
    """ASGI middleware that keeps successful GET responses in memory."""

    def __init__(
        self, app: ASGIApp, *, storage: Storage, ttl_s: float, max_bytes: int = MAX_BYTES
    ) -> None:
        self.app = app
        self.storage = storage
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()
        self.size = 0  # the weight of the entries kept
        self.renders: dict[tuple[str, bytes], _Render] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        generation = self.storage.generation()
        entry = self.entries.get(key)
        if (
            entry is not None
            and entry.generation == generation
            and time.monotonic() - entry.stored_at < self.ttl_s
        ):
            self.entries.move_to_end(key)
            await _replay(entry, send)
            return
        # Without this, a page expiring under load is rendered once per waiting
        # connection at the same time, and all of them wait for the slowest.
        render = self.renders.get(key)
        if render is not None and render.generation == generation:
            await render.done.wait()
            if render.entry is not None:
                await _replay(render.entry, send)
                return
            await self.app(scope, receive, send)  # the render was not kept (an error, say)
            return
        render = self.renders[key] = _Render(generation)
        try:
            await self._render_and_keep(scope, receive, send, key, render)
        finally:
            if self.renders.get(key) is render:
                del self.renders[key]
            render.done.set()

    async def _render_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes], render: _Render
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and _shareable(start):
                    entry = _Entry(render.generation, time.monotonic(), start, b"".join(chunks))
                    render.entry = entry
                    self._keep(key, entry)
                    render.done.set()  # the waiters need not wait for this client's socket
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple[str, bytes], entry: _Entry) -> None:
        if entry.weight > self.max_bytes:
            return
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self.size -= replaced.weight
        self.entries[key] = entry
        self.size += entry.weight
        while self.size > self.max_bytes:
            _, oldest = self.entries.popitem(last=False)
            self.size -= oldest.weight

    @staticmethod
    def _cacheable(scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        if scope["path"].startswith("/static/"):
            return False
        return not any(name in (b"cookie", b"authorization") for name, _ in scope["headers"])


def _shareable(start: Message) -> bool:
    """Tell whether a response may be kept for others: a 200 that sets no cookie (accounts)."""
    headers = start.get("headers", [])
    return start.get("status") == 200 and not any(
        name.lower() == b"set-cookie" or (name.lower() == b"cache-control" and b"no-store" in value)
        for name, value in headers
    )


async def _replay(entry: _Entry, send: Send) -> None:
    """Send a kept response again."""
    await send(entry.start)
    await send({"type": "http.response.body", "body": entry.body})
