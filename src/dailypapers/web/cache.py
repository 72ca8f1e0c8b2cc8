"""Reuse rendered responses until the data changes or they grow old.

Listing pages cost a ranking and a render; most visitors ask for the same few.
An entry is served again only while the storage's generation is the one it was
rendered at, so any write shows at once. Requests that carry cookies or
credentials are never cached: their pages may be personal.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.storage import Storage


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: int
    stored_at: float
    start: Message
    body: bytes


class ResponseCache:
    """ASGI middleware that keeps successful GET responses in memory."""

    def __init__(
        self, app: ASGIApp, *, storage: Storage, ttl_s: float, max_entries: int = 1024
    ) -> None:
        self.app = app
        self.storage = storage
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()

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
            await send(entry.start)
            await send({"type": "http.response.body", "body": entry.body})
            return
        await self._render_and_keep(scope, receive, send, key, generation)

    async def _render_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes], generation: int
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    self._keep(key, _Entry(generation, time.monotonic(), start, b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple[str, bytes], entry: _Entry) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    @staticmethod
    def _cacheable(scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        if scope["path"].startswith("/static/"):
            return False
        return not any(name in (b"cookie", b"authorization") for name, _ in scope["headers"])
