"""Build the web application: no globals, everything from the settings given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dailypapers import __version__
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage
from dailypapers.web import api, errors, feeds, pages
from dailypapers.web.cache import ResponseCache
from dailypapers.web.rendering import Renderer


def create_app(
    settings: Settings,
    *,
    storage: Storage | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """Return the site for these settings (and this storage, when given)."""
    app = FastAPI(
        title=settings.site_name,
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.storage = storage or open_storage(settings.database_url)
    app.state.clock = clock
    app.state.renderer = Renderer(settings)
    static = resources.files("dailypapers.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    errors.install(app)
    if settings.cache_seconds > 0:
        app.add_middleware(ResponseCache, storage=app.state.storage, ttl_s=settings.cache_seconds)
    return app
