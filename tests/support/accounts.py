"""Members, signed-in clients and CSRF tokens for the account and community tests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from dailypapers.domain.accounts import Role, User
from dailypapers.services.accounts import create_access_token, create_user
from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher
from dailypapers.storage import Storage
from dailypapers.web.app import create_app

from support.sites import NOW

# Real argon2id with the cheapest parameters, so that tests hash in a millisecond.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery"
PAPER = "2510.14545"  # a recorded paper: 61 upvotes from Hugging Face, 2 comments
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def make_site(
    storage: Storage,
    *,
    fetcher: PoliteFetcher | None = None,
    clock: Any = None,
    **settings: Any,
) -> FastAPI:
    """Return the site over this storage with a fast hasher, a fixed key and a fixed clock."""
    values = {"secret_key": SECRET_KEY, "cache_seconds": 0, **settings}
    return create_app(
        Settings(database_url=storage.url, **values),
        storage=storage,
        clock=clock or (lambda: NOW),
        password_hasher=FAST_HASHER,
        arxiv_fetcher=fetcher,
    )


def add_member(
    storage: Storage,
    username: str,
    *,
    role: Role = Role.MEMBER,
    fullname: str = "",
    now: datetime = NOW,
) -> User:
    """Create a member with PASSWORD and an address of their own."""
    with storage.transaction():
        return create_user(
            storage=storage,
            hasher=FAST_HASHER,
            username=username,
            email=f"{username.lower()}@example.org",
            password=PASSWORD,
            fullname=fullname,
            role=role,
            now=now,
        )


def api_token(storage: Storage, user: User) -> str:
    """Issue a personal access token for the member; return its secret."""
    with storage.transaction():
        return create_access_token(storage=storage, user=user, name="tests", now=NOW)[1]


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    found = CSRF_PATTERN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def csrf(client: TestClient, page: str = "/signin") -> str:
    """Return the CSRF token this client's forms carry (read from a page with a form)."""
    if client.cookies.get("dp_session"):
        page = "/settings"
    return csrf_from(client.get(page).text)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    """Sign the client in through the form, as a browser does."""
    return client.post(
        "/signin",
        data={"login": username, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def member_client(app: FastAPI, username: str, base_url: str = "https://testserver") -> TestClient:
    """Return a client of the app signed in as the member (over https: Secure cookies)."""
    client = TestClient(app, base_url=base_url)
    response = sign_in(client, username)
    assert response.status_code == 303, response.text
    return client


def post_form(
    client: TestClient, path: str, data: dict[str, str] | None = None, **kw: Any
) -> Response:
    """Post a form with the client's CSRF token, without following the redirect."""
    return client.post(
        path, data={**(data or {}), "csrf_token": csrf(client)}, follow_redirects=False, **kw
    )
