"""Build the web application: no globals, everything from the settings given."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import anyio.to_thread
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dailypapers import __version__
from dailypapers.search.availability import semantic_search_unavailable
from dailypapers.search.hybrid import HybridSearcher, default_searcher
from dailypapers.services.feed import RankingCache
from dailypapers.services.member_models import MemberModels
from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher
from dailypapers.storage import Storage, open_storage
from dailypapers.web import errors
from dailypapers.web.accounts_app import include_account_routes, install_accounts
from dailypapers.web.api import papers as api_papers
from dailypapers.web.api.docs import install_api_docs
from dailypapers.web.api.openapi_description import install_openapi_description
from dailypapers.web.cache import ResponseCache
from dailypapers.web.digests import subscriptions
from dailypapers.web.feeds import daily as daily_feeds
from dailypapers.web.follows_app import include_follow_routes, include_topic_feeds
from dailypapers.web.operations.logs import configure_logging
from dailypapers.web.operations.metrics import SiteMetrics
from dailypapers.web.operations.middleware import Operations
from dailypapers.web.pages import avatars, listings, organizations, search
from dailypapers.web.pages.collections import install_collection_helpers  # your feed
from dailypapers.web.pages.semantic_status import announce_semantic_search_off
from dailypapers.web.rendering import Renderer
from dailypapers.web.server import freeze_startup_objects


def create_app(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    searcher: HybridSearcher | None = None,
    password_hasher: PasswordHasher | None = None,
    arxiv_fetcher: PoliteFetcher | None = None,
) -> FastAPI:
    """Return the site for these settings (and this storage and searcher, when given).

    Without settings they are read from the environment, so that a process manager can
    start workers from the import string: `uvicorn --factory dailypapers.web.app:create_app`;
    such a worker is a process of its own, so it also sets up its logs and its garbage
    collection as `serve` does.
    """
    own_process = settings is None
    if settings is None:
        settings = Settings.from_env()
        configure_logging(settings, level=logging.WARNING)
    app = FastAPI(
        title=settings.site_name,
        version=__version__,
        docs_url=None,  # web/api/docs.py serves Swagger UI from this site
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.storage = storage or open_storage(
        settings.database_url, word_index_folder=settings.word_index_folder
    )
    app.state.clock = clock
    app.state.renderer = Renderer(settings)
    app.state.rankings = RankingCache()  # rankings by votes, for members too
    app.state.members = MemberModels()  # For you's models of the members who asked last
    # search: the embedding model loads on first use, not here
    app.state.searcher = searcher or _own_searcher(app, settings)
    static = resources.files("dailypapers.web") / "static"
    # Starlette tries routes in order, and each one tried costs every request (FastAPI's
    # included routers, about 3 us a route on this machine): the busiest routers come first,
    # the paper API, the listings and paper pages, author pages, search. Order decides only
    # between routes one of which would take the other's paths, and a test checks that no
    # route is taken by one before it (tests/web/test_routes.py): /organizations/new is
    # before /organizations/{name}, /papers/date/... before /papers/{id:path}.
    app.include_router(api_papers.router)
    app.include_router(organizations.router)
    app.include_router(listings.router)
    include_follow_routes(app, settings)  # follows, author pages and topic feeds
    app.include_router(search.router)
    install_api_docs(app, str(static))  # offline pages: before /static, whose path it shares
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(avatars.router)  # offline pages: avatars kept here
    include_account_routes(app)  # accounts and community (issue 5)
    app.include_router(subscriptions.router)  # digests (issue 6)
    app.include_router(subscriptions.api_router)  # digests: RFC 8058 one-click unsubscribe
    app.include_router(daily_feeds.router)
    include_topic_feeds(app)
    errors.install(app)
    install_openapi_description(app)  # the API's errors, described for every /api route
    install_accounts(app, settings, password_hasher=password_hasher, arxiv_fetcher=arxiv_fetcher)
    install_collection_helpers(app.state.renderer, app.state.storage)  # your feed: Save buttons
    if settings.cache_seconds > 0:
        app.add_middleware(ResponseCache, storage=app.state.storage, ttl_s=settings.cache_seconds)
    # operations: outermost, so health checks skip the cache and ids cover everything
    metrics = SiteMetrics(app.state.storage) if settings.metrics == "on" else None
    app.add_middleware(Operations, storage=app.state.storage, metrics=metrics)
    _limit_threads(app, settings.web_threads)
    if own_process:
        freeze_startup_objects()
    return app


def _limit_threads(app: FastAPI, threads: int) -> None:
    """Run sync routes and dependencies on `threads` threads of the pool, not forty.

    Each thread gives up the GIL around every SQLite call and row and waits to take it back:
    with forty of them a signed-in listing spent most of its time waiting (docs/performance.md).
    """
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        async with previous(application) as state:
            yield state

    app.router.lifespan_context = lifespan


def _own_searcher(app: FastAPI, settings: Settings) -> HybridSearcher:
    """Return a searcher over the packaged model, or by words only (and say so) without it.

    This is the searcher of each process that `serve --workers` or a process manager starts.
    """
    timeout_s = settings.search_timeout_ms / 1000
    semantic_off = semantic_search_unavailable()
    if semantic_off is None:
        return default_searcher(timeout_s=timeout_s)
    announce_semantic_search_off(app, semantic_off)
    return HybridSearcher(load_embedder=None, timeout_s=timeout_s)
