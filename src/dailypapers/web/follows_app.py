"""Put follows into the app: author and category pages, Following, feeds, the follow API."""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI

from dailypapers.services.follows import FollowResultCache
from dailypapers.settings import Settings, load_secret_key
from dailypapers.web.api import follows as api_follows
from dailypapers.web.feeds import topics as topic_feeds
from dailypapers.web.pages import authors, following


def include_follow_routes(app: FastAPI, settings: Settings) -> None:
    """Add the routes and template helpers of follows, author pages and topic feeds."""
    for module in (api_follows, authors, following):
        app.include_router(module.router)
    app.state.follow_cache = FollowResultCache()

    @cache
    def secret() -> bytes:
        return load_secret_key(settings)

    following.install_follow_helpers(app.state.renderer, app.state.storage, secret)


def include_topic_feeds(app: FastAPI) -> None:
    """Add the topic and private feeds; after the daily feed, whose names they would take."""
    app.include_router(topic_feeds.router)
