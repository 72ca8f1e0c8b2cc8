"""CSRF on every state change, no state change on GET, rate limits, SQL metacharacters, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.storage import Storage

from support.accounts import (
    PAPER,
    PASSWORD,
    add_member,
    csrf,
    make_site,
    member_client,
    post_form,
    sign_in,
)

TRICKY = 'Robert\'); DROP TABLE papers; -- 100% _ %s ? $1 \\ "quoted" OR 1=1'
# Values for the path parameters of the routes, so that each names something real.
PATH_VALUES = {
    "paper_id": PAPER,
    "comment_id": "1",
    "token_id": "1",
    "claim_id": "1",
    "name": "lab",
    "username": "grace",
    "token": "sometoken",
    "action": "hide",
}


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Yield (path, methods) of every route, looking into included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)
        elif hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers whole
            inner = prefix + route.include_context.prefix
            yield from api_routes(route.original_router.routes, inner)


def unsafe_page_routes(client: TestClient) -> list[tuple[str, str]]:
    """Return (method, path) of every state-changing route outside the API, filled in."""
    found = []
    for path, methods in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if path.startswith("/api/"):
            continue
        for method in sorted(methods - {"GET", "HEAD"}):
            filled = re.sub(r"{(\w+)(:\w+)?}", lambda m: PATH_VALUES[m.group(1)], path)
            found.append((method, filled))
    return found


@pytest.fixture
def site(loaded_storage: Storage) -> TestClient:
    """Return a client signed in as a moderator who owns 'lab' and wrote comment 1."""
    add_member(loaded_storage, "ada", role=Role.ADMIN)
    add_member(loaded_storage, "grace")
    client = member_client(make_site(loaded_storage), "ada")
    post_form(client, "/organizations", {"name": "lab"})
    post_form(client, f"/papers/{PAPER}/comments", {"body": "hello"})
    return client


def test_every_form_without_its_csrf_token_gets_403_and_changes_nothing(
    site: TestClient, loaded_storage: Storage
) -> None:
    routes = unsafe_page_routes(site)
    assert len(routes) >= 20  # sign-in, votes, comments, organizations, moderation, ...
    other = member_client(site.app, "grace")  # type: ignore[arg-type]
    stolen = csrf(other)  # a real token, but another member's
    generation = loaded_storage.generation()
    for method, path in routes:
        for token in (None, "0" * 64, stolen):
            data = {"body": "x", "name": "y", "organization": "lab", "voted": "1"}
            if token:
                data["csrf_token"] = token
            response = site.request(method, path, data=data, follow_redirects=False)
            assert response.status_code == 403, (method, path, token, response.status_code)
            assert "did not come from this site" in response.text
    assert loaded_storage.generation() == generation


def test_the_header_form_of_the_token_works_and_json_bodies_need_it(site: TestClient) -> None:
    token = csrf(site)
    assert site.post(f"/papers/{PAPER}/upvote", json={"voted": "1"}).status_code == 403
    ok = site.post(
        f"/papers/{PAPER}/upvote", headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_no_get_changes_anything(site: TestClient, loaded_storage: Storage) -> None:
    comment = loaded_storage.paper_comments(PAPER)[0]
    pages = [
        "/", "/papers/date/2025-10-17", f"/papers/{PAPER}", f"/papers/{PAPER}.md",
        "/organizations/lab", "/users/ada", "/settings", "/submit", "/admin",
        f"/comments/{comment.id}/edit", "/signin", "/signup", "/reset", "/reset/x",
        "/signup/confirm/x", "/organizations/new", f"/api/papers/{PAPER}",
        f"/api/papers/{PAPER}/comments", "/api/daily_papers", "/feeds/daily.atom",
        f"/papers/{PAPER}/upvote", f"/comments/{comment.id}/delete", "/signout",
        "/users/grace/ban", f"/papers/{PAPER}/hide",
    ]  # fmt: skip
    generation = loaded_storage.generation()
    for path in pages:
        assert site.get(path).status_code < 500, path
    assert loaded_storage.generation() == generation
    assert site.get("/signout").status_code == 405  # a link cannot sign anyone out
    assert "Sign out" in site.get("/").text


def test_security_headers_on_every_page(client: TestClient) -> None:
    for path in ("/", f"/papers/{PAPER}", "/signin", "/nowhere"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_signed_out_pages_stay_shareable_and_forms_are_not(loaded_storage: Storage) -> None:
    client = TestClient(make_site(loaded_storage, cache_seconds=60))
    home = client.get("/")
    assert "set-cookie" not in home.headers and "csrf_token" not in home.text
    client.cookies.clear()
    signin = client.get("/signin")
    assert "dp_csrf=" in signin.headers["set-cookie"]
    assert signin.headers["cache-control"] == "private, no-store"
    client.cookies.clear()
    again = client.get("/signin")  # not replayed from the cache with the first visitor's cookie
    assert again.headers["set-cookie"] != signin.headers["set-cookie"]


# -- rate limits ---------------------------------------------------------------------------------


def test_sign_in_is_limited_per_account_and_per_address(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage, rate_limits="signin.account_ip=3/60,signin.ip=5/60")
    client = TestClient(app)
    for _ in range(3):
        assert sign_in(client, "ada", "wrong password").status_code == 400
    limited = sign_in(client, "ada", PASSWORD)  # even the right password waits, from here
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 120  # see domain/rate_limits.py
    assert sign_in(client, "grace", "x").status_code == 400  # another account: 5th from this IP
    assert sign_in(client, "edsger", "x").status_code == 429  # the address's limit


def test_a_guesser_locks_out_only_itself_not_the_owner(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage)  # the default limits
    attacker = TestClient(app, client=("203.0.113.7", 40000))
    owner = TestClient(app, client=("198.51.100.2", 40000))

    answers = [sign_in(attacker, "ada", f"guess {n}").status_code for n in range(12)]

    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429]
    assert sign_in(attacker, "ada", PASSWORD).status_code == 429
    assert sign_in(owner, "ada", PASSWORD).status_code == 303  # signed in, from elsewhere


def test_username_and_address_of_one_member_share_one_count(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")  # ada@example.org
    app = make_site(loaded_storage, rate_limits="signin.account_ip=4/60")
    client = TestClient(app)

    answers = [
        sign_in(client, login, "guess").status_code for login in ("ada", "ADA@example.org") * 3
    ]

    assert answers == [400] * 4 + [429] * 2


def test_guessing_one_account_from_many_addresses_meets_the_accounts_backstop(
    loaded_storage: Storage,
) -> None:
    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage, rate_limits="signin.account_ip=2/60,signin.account=5/60")
    guessers = [TestClient(app, client=(f"203.0.113.{n}", 40000)) for n in range(1, 5)]

    answers = [sign_in(guesser, "ada", "guess").status_code for guesser in guessers for _ in "ab"]

    assert answers[:5] == [400] * 5 and set(answers[5:]) == {429}


@pytest.mark.parametrize(
    ("limits", "action"),
    [
        ("vote.account=2/60", lambda c: post_form(c, f"/papers/{PAPER}/upvote")),
        (
            "comment.account=2/60",
            lambda c: post_form(c, f"/papers/{PAPER}/comments", {"body": "x"}),
        ),
        (
            "submit.account=2/60",
            lambda c: post_form(
                c, "/submit", {"paper": "2401.99999", "typed": "1", "title": "T", "authors": "A"}
            ),
        ),
        ("reset.ip=2/60", lambda c: post_form(c, "/reset", {"email": "x@example.org"})),
        (
            "signup.ip=2/60",
            lambda c: post_form(
                c, "/signup", {"username": "u1", "email": "u@example.org", "password": "p"}
            ),
        ),
    ],
)
def test_each_limited_action_answers_429_with_retry_after(
    loaded_storage: Storage, limits, action
) -> None:
    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage, rate_limits=limits, public_url="https://testserver")
    client = member_client(app, "ada")
    assert [action(client).status_code < 429 for _ in range(2)] == [True, True]
    limited = action(client)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "try again in" in limited.text


def test_the_api_is_limited_too(loaded_storage: Storage) -> None:
    from support.accounts import api_token

    token = api_token(loaded_storage, add_member(loaded_storage, "ada"))
    client = TestClient(make_site(loaded_storage, rate_limits="vote.account=1/60"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/papers/{PAPER}/upvote", headers=headers).status_code == 200
    limited = client.delete(f"/api/papers/{PAPER}/upvote", headers=headers)
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert "error" in limited.json()


# -- SQL metacharacters --------------------------------------------------------------------------


def test_sql_metacharacters_are_stored_and_shown_literally(
    site: TestClient, loaded_storage: Storage
) -> None:
    shown = TRICKY.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")
    post_form(site, f"/papers/{PAPER}/comments", {"body": TRICKY})
    post_form(site, "/organizations", {"name": "lab2", "fullname": TRICKY})
    post_form(
        site,
        "/submit",
        {"paper": "2401.99998", "typed": "1", "title": TRICKY, "authors": "A", "abstract": TRICKY},
    )
    post_form(site, "/settings/tokens", {"name": TRICKY})
    assert loaded_storage.count_papers() > 1  # no table was dropped
    assert "DROP TABLE papers; -- 100% _ %s ? $1" in site.get(f"/papers/{PAPER}").text
    assert TRICKY in [c.body for c in loaded_storage.paper_comments(PAPER)]
    assert shown in site.get("/organizations/lab2").text
    assert shown in site.get("/papers/2401.99998").text
    assert shown in site.get("/settings").text
    assert site.get("/api/papers/2401.99998").json()["title"] == TRICKY
    # Query parameters and path parts are values too, never SQL.
    assert site.get(f"/api/daily_papers?submitter={quote(TRICKY)}").json() == []
    assert site.get(f"/users/{quote(TRICKY)}").status_code == 404
    assert site.get(f"/organizations/{quote(TRICKY)}").status_code == 404
    assert sign_in(TestClient(site.app), TRICKY, TRICKY).status_code == 400  # type: ignore[arg-type]
    assert loaded_storage.find_user("ada") is not None
