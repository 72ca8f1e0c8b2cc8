"""Put accounts and community into the app: routes, middleware, template helpers, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI

from dailypapers.domain.accounts import SubmitPolicy
from dailypapers.domain.rate_limits import parse_rate_limits
from dailypapers.services.passwords import make_hasher
from dailypapers.settings import Settings, load_secret_key
from dailypapers.sources.http import PoliteFetcher, user_agent
from dailypapers.web.accounts import member_pages, my_data_pages, settings_pages, sign_in
from dailypapers.web.accounts.auth import AccountsConfig, install_error_handlers
from dailypapers.web.accounts.community_rendering import install_template_helpers
from dailypapers.web.accounts.sessions import AccountsMiddleware
from dailypapers.web.api import me as api_me
from dailypapers.web.api import write as api_write
from dailypapers.web.operations import admin_mail
from dailypapers.web.pages import collections, for_you, paper_actions, submit
from dailypapers.web.security_headers import SecurityHeaders


def include_account_routes(app: FastAPI) -> None:
    """Add the account and community routes (organizations' are added with the pages')."""
    for module in (
        api_me,  # your feed: recommendations and collections through the API
        for_you,  # your feed: before pages, /papers/{id}/not-interested is no paper id
        collections,  # your feed: likewise /papers/{id}/save
        my_data_pages,  # your feed: export my data, delete my account
        api_write,  # before api: /api/papers/{id}/comments is not a paper id
        sign_in,
        settings_pages,
        submit,
        member_pages,
        admin_mail,
        paper_actions,
    ):
        app.include_router(module.router)


def install_accounts(
    app: FastAPI,
    settings: Settings,
    *,
    password_hasher: PasswordHasher | None = None,
    arxiv_fetcher: PoliteFetcher | None = None,
) -> None:
    """Set up sessions, CSRF checks, security headers and the account machinery."""
    storage, renderer, clock = app.state.storage, app.state.renderer, app.state.clock
    fetcher = arxiv_fetcher or _shared_fetcher(app, settings)
    app.state.accounts = AccountsConfig(
        hasher=password_hasher or make_hasher(),
        limits=parse_rate_limits(settings.rate_limits),
        submit_policy=SubmitPolicy(settings.submit_policy),
        fetcher=fetcher,
    )
    install_template_helpers(renderer, storage)
    install_error_handlers(app)
    app.add_middleware(
        AccountsMiddleware,
        storage=storage,
        secret=load_secret_key(settings),
        clock=clock,
        renderer=renderer,
        always_secure=settings.public_url.startswith("https://"),
    )
    app.add_middleware(SecurityHeaders)


def _shared_fetcher(app: FastAPI, settings: Settings) -> PoliteFetcher:
    """Return one polite arXiv fetcher for every request, closed when the app shuts down."""
    client = httpx.Client(
        timeout=settings.http_timeout_s, headers={"User-Agent": user_agent(settings.contact_email)}
    )
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with previous(application) as state:
                yield state
        finally:
            client.close()

    app.router.lifespan_context = lifespan
    return PoliteFetcher(client, delay_s=settings.arxiv_delay_s)
