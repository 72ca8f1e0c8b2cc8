"""The order of the routes is free for speed: no route is ever taken by one tried before it.

Starlette answers with the first route whose path and method match, so the order decides only
between two routes that match the same request. The app orders its routers by how busy they
are (web/app.py); this checks, for each route, a path it serves against every route before it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import Match

from dailypapers.storage import Storage

from support.sites import make_client

# A value each path convertor accepts; "x1" for plain segments.
SAMPLES = {"path": "a/b", "int": "1", "arxiv_id": "2510.14545", "period": "date"}
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _leaves(route: object) -> list[Any]:
    inner = getattr(route, "original_router", None)
    if inner is None:
        return [route] if hasattr(route, "path") else []
    return [leaf for child in inner.routes for leaf in _leaves(child)]


def _sample_path(path: str) -> str:
    return re.sub(r"{\w+(?::(\w+))?}", lambda m: SAMPLES.get(m.group(1) or "", "x1"), path)


def _routes(client: TestClient) -> list[Any]:
    return [leaf for route in client.app.router.routes for leaf in _leaves(route)]  # type: ignore[attr-defined]


def test_no_route_is_taken_by_a_route_tried_before_it(storage: Storage) -> None:
    routes = _routes(make_client(storage))
    assert len(routes) > 100
    taken = []
    for at, route in enumerate(routes):
        path = _sample_path(route.path)
        for method in sorted(getattr(route, "methods", None) or EVERY_METHOD):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            taken += [
                (method, route.path, earlier.path)
                for earlier in routes[:at]
                if earlier.matches(scope)[0] is Match.FULL
            ]
    assert taken == []


def test_the_check_sees_a_route_taken_by_a_catch_all(storage: Storage) -> None:
    """The same check on the routes reversed finds what the order protects."""
    routes = _routes(make_client(storage))[::-1]
    paths = {route.path for route in routes}
    assert {"/organizations/new", "/papers/{kind:period}/{key}"} <= paths
    taken = set()
    for at, route in enumerate(routes):
        scope = {"type": "http", "method": "GET", "path": _sample_path(route.path), "root_path": ""}
        if "GET" in (getattr(route, "methods", None) or ()):
            taken |= {
                route.path for earlier in routes[:at] if earlier.matches(scope)[0] is Match.FULL
            }
    assert {"/organizations/new", "/papers/{kind:period}/{key}"} <= taken


def test_the_busiest_pages_are_tried_first(storage: Storage) -> None:
    paths = [route.path for route in _routes(make_client(storage))]
    for busy in ("/api/daily_papers", "/papers/{paper_id:path}", "/authors/{name:path}", "/search"):
        assert paths.index(busy) < 40, busy
