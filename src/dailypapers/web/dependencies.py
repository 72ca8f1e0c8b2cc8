"""Typed dependencies the routes ask for.

They are `async def` because they only read app state: FastAPI runs a plain `def`
dependency in the thread pool, a round trip per dependency and request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from dailypapers.services.feed import RankingCache
from dailypapers.services.member_models import MemberModels
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.web.rendering import Renderer


async def get_storage(request: Request) -> Storage:
    """Return the app's storage."""
    storage: Storage = request.app.state.storage
    return storage


async def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_renderer(request: Request) -> Renderer:
    """Return the app's template renderer."""
    renderer: Renderer = request.app.state.renderer
    return renderer


async def get_now(request: Request) -> datetime:
    """Return the current time from the app's clock."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_rankings(request: Request) -> RankingCache:
    """Return the app's rankings by votes, kept while current."""
    rankings: RankingCache = request.app.state.rankings
    return rankings


async def get_members(request: Request) -> MemberModels:
    """Return the app's For you models of members, kept while current."""
    members: MemberModels = request.app.state.members
    return members


StorageDep = Annotated[Storage, Depends(get_storage)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RendererDep = Annotated[Renderer, Depends(get_renderer)]
NowDep = Annotated[datetime, Depends(get_now)]
RankingsDep = Annotated[RankingCache, Depends(get_rankings)]
MembersDep = Annotated[MemberModels, Depends(get_members)]
