"""A session cookie is looked up when the request needs it, with the same answers as before.

The lookup moved from the middleware to the first use of the viewer (the route's own thread);
these pin what every response still says about the session, whichever page asked or not.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dailypapers.storage import Storage

from support.accounts import add_member, make_site, member_client, post_form

BASE_URL = "https://testserver"
# /daily.atom never asks who is signed in; / and the error page do, in a thread and on the loop.
PAGES = ["/daily.atom", "/", "/papers/2601.99999", "/papers/date/not-a-day"]


def _deleted(response: object, name: str) -> bool:
    cookies = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return any(cookie.startswith(f"{name}=") and "Max-Age=0" in cookie for cookie in cookies)


@pytest.mark.parametrize("path", PAGES)
def test_a_live_session_keeps_every_page_private(storage: Storage, path: str) -> None:
    site = make_site(storage)
    add_member(storage, "ada")
    client = member_client(site, "ada", BASE_URL)
    response = client.get(path)
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["vary"] == "Cookie"
    assert not _deleted(response, "dp_session")
    if response.headers["content-type"].startswith("text/html"):
        assert "Sign out" in response.text  # the page (an error page too) knows who it is for


@pytest.mark.parametrize("path", PAGES)
def test_an_ended_session_is_deleted_by_any_page(storage: Storage, path: str) -> None:
    site = make_site(storage)
    add_member(storage, "ada")
    signed_in = member_client(site, "ada", BASE_URL)
    token = signed_in.cookies["dp_session"]
    assert post_form(signed_in, "/signout").status_code == 303  # ended, on another device

    stale = TestClient(site, base_url=BASE_URL, cookies={"dp_session": token})
    response = stale.get(path)
    assert _deleted(response, "dp_session")
    assert response.headers["cache-control"] == "private, no-store"
    assert "Sign out" not in response.text


def test_a_form_of_an_ended_session_is_refused(storage: Storage) -> None:
    site = make_site(storage)
    add_member(storage, "ada")
    signed_in = member_client(site, "ada", BASE_URL)
    token = signed_in.cookies["dp_session"]
    form = signed_in.get("/settings").text
    assert post_form(signed_in, "/signout").status_code == 303

    stale = TestClient(site, base_url=BASE_URL, cookies={"dp_session": token})
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = stale.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403  # the token was bound to the session that ended
