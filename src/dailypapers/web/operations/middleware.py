"""What an operator's tools ask of a running site: health, readiness, metrics, request ids.

The middleware sits outside every other one, so that a health check never waits on the
response cache or a session lookup, and so that each request's id and timing cover all of it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

import anyio
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.services.health import ReadinessProbe
from dailypapers.storage import Storage
from dailypapers.web.operations.metrics import SiteMetrics

access_log = logging.getLogger("dailypapers.access")
request_id: ContextVar[str] = ContextVar("request_id", default="-")

# A caller's own id (a proxy's, say) is kept only when it is short and plain: it goes into
# logs and a response header.
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_NO_STORE = {"Cache-Control": "no-store"}


class RequestIdFilter(logging.Filter):
    """Give every log record the id of the request it was written for ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id` to the record."""
        record.request_id = request_id.get()
        return True


class Operations:
    """ASGI middleware: request ids and access logs, /healthz, /readyz and /metrics."""

    def __init__(self, app: ASGIApp, *, storage: Storage, metrics: SiteMetrics | None) -> None:
        self.app = app
        self.storage = storage
        self.metrics = metrics
        self.readiness = ReadinessProbe(storage)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        current = incoming if _GOOD_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(current)
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", current.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            endpoint = self._own_endpoint(scope["path"])
            await (endpoint or self.app)(scope, receive, tagged)
        finally:
            seconds = time.perf_counter() - started
            route = _route_template(scope)
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], route, status, seconds)
            access_log.info(
                "%s %s %s %.1f ms",
                scope["method"],
                scope["path"],
                status,
                seconds * 1000,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )
            request_id.reset(token)

    def _own_endpoint(self, path: str) -> ASGIApp | None:
        if path == "/healthz":
            return JSONResponse({"status": "ok"}, headers=_NO_STORE)
        if path == "/readyz":
            return self._readiness
        if path == "/metrics" and self.metrics is not None:
            return self._metrics
        return None

    async def _readiness(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 200 when the database answers with the expected schema, else 503."""
        response: Response
        try:
            readings = await anyio.to_thread.run_sync(self.readiness.read)
        except Exception as error:  # whatever the driver raises: the site cannot serve
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            response = JSONResponse(
                {"status": "unavailable", "error": f"the database does not answer: {reason}"},
                status_code=503,
                headers=_NO_STORE,
            )
        else:
            body: dict[str, Any] = {
                "status": "ready" if readings.ready else "unavailable",
                "database": self.storage.dialect,
                "papers": readings.papers,
                "vector_lag": readings.vector_lag,
                "word_index_lag": readings.word_index_lag,
            }
            if not readings.ready:
                body["error"] = "migrations not applied: " + ", ".join(readings.pending_migrations)
            status = 200 if readings.ready else 503
            response = JSONResponse(body, status_code=status, headers=_NO_STORE)
        await response(scope, receive, send)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the Prometheus text exposition of this process's metrics."""
        assert self.metrics is not None
        body, content_type = await anyio.to_thread.run_sync(self.metrics.exposition)
        response = Response(body, media_type=content_type, headers=_NO_STORE)
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _route_template(scope: Scope) -> str:
    """Return the path pattern the request matched, so metrics have few distinct labels."""
    if scope["path"] in ("/healthz", "/readyz", "/metrics"):
        return str(scope["path"])
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "(unmatched)"
