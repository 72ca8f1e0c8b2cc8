"""The write API with personal access tokens: upvotes, submissions, comments."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dailypapers.storage import Storage

from support.accounts import PAPER, add_member, api_token, make_site, member_client, post_form


@pytest.fixture
def api(loaded_storage: Storage) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    """Return a client and the Authorization headers of two members."""
    ada, grace = add_member(loaded_storage, "ada"), add_member(loaded_storage, "grace")
    client = TestClient(make_site(loaded_storage, cache_seconds=60))
    return (
        client,
        {"Authorization": f"Bearer {api_token(loaded_storage, ada)}"},
        {"Authorization": f"Bearer {api_token(loaded_storage, grace)}"},
    )


def test_no_token_or_a_bad_one_gets_401(api) -> None:
    client, _, _ = api
    for headers in ({}, {"Authorization": "Bearer dp_nope"}, {"Authorization": "Basic eDp5"}):
        response = client.post(f"/api/papers/{PAPER}/upvote", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json()
    assert client.get("/api/whoami").status_code == 401


def test_a_session_cookie_does_not_authorize_the_api(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")
    browser = member_client(make_site(loaded_storage), "ada")
    assert browser.post(f"/api/papers/{PAPER}/upvote").status_code == 401


def test_upvote_and_take_it_back_with_live_counts(api) -> None:
    client, ada, grace = api
    before = client.get(f"/api/papers/{PAPER}").json()["upvotes"]
    assert client.get("/api/whoami", headers=ada).json()["user"] == "ada"
    first = client.post(f"/api/papers/{PAPER}/upvote", headers=ada).json()
    assert first == {"paperId": PAPER, "upvotes": before + 1, "voted": True}
    assert client.post(f"/api/papers/{PAPER}/upvote", headers=ada).json()["upvotes"] == before + 1
    client.post(f"/api/papers/{PAPER}/upvote", headers=grace)
    assert client.get(f"/api/papers/{PAPER}").json()["upvotes"] == before + 2  # cache let go
    taken = client.delete(f"/api/papers/{PAPER}/upvote", headers=ada).json()
    assert taken == {"paperId": PAPER, "upvotes": before + 1, "voted": False}
    assert client.post("/api/papers/2401.99999/upvote", headers=ada).status_code == 404


def test_comments_through_the_api(api) -> None:
    client, ada, grace = api
    posted = client.post(
        f"/api/papers/{PAPER}/comments", json={"body": "*Hi* <script>x</script>"}, headers=ada
    )
    assert posted.status_code == 201
    comment = posted.json()
    assert comment["html"] == "<p><em>Hi</em> &lt;script&gt;x&lt;/script&gt;</p>\n"
    reply = client.post(
        f"/api/papers/{PAPER}/comments",
        json={"body": "Re", "parentId": comment["id"]},
        headers=grace,
    ).json()
    threads = client.get(f"/api/papers/{PAPER}/comments").json()
    assert [r["id"] for r in threads[0]["replies"]] == [reply["id"]]
    path = f"/api/comments/{comment['id']}"
    assert client.patch(path, json={"body": "Stolen"}, headers=grace).status_code == 403
    assert client.delete(path, headers=grace).status_code == 403
    assert client.patch(path, json={"body": "Edited"}, headers=ada).json()["raw"] == "Edited"
    assert client.delete(path, headers=ada).status_code == 204
    assert client.get(f"/api/papers/{PAPER}/comments").json()[0]["deleted"] is True


def test_submission_through_the_api(api, loaded_storage: Storage) -> None:
    client, ada, _ = api
    typed = {"paper": "2401.99999", "title": "Typed", "summary": "S", "authors": ["A", "B"]}
    created = client.post("/api/papers", json=typed, headers=ada)
    assert created.status_code == 201 and created.json()["title"] == "Typed"
    assert client.post("/api/papers", json=typed, headers=ada).status_code == 200
    assert (
        client.post("/api/papers", json={**typed, "organization": "none"}, headers=ada).status_code
        == 404
    )
    assert loaded_storage.get_entries(["2401.99999"])["2401.99999"].submitted_by == "ada"


def test_a_typed_paper_keeps_the_bounds_every_paper_keeps(api, loaded_storage: Storage) -> None:
    client, ada, _ = api
    typed = {"paper": "2401.99998", "title": "Typed", "summary": "S", "authors": ["A"]}
    surrogate = client.post(
        "/api/papers",
        content=b'{"paper": "2401.99998", "title": "\\ud800", "summary": "S", "authors": ["A"]}',
        headers={**ada, "Content-Type": "application/json"},
    )
    long_name = client.post("/api/papers", json={**typed, "authors": ["n" * 2000]}, headers=ada)

    assert surrogate.status_code == 400 and "lone surrogate" in surrogate.json()["error"]
    assert long_name.status_code == 400 and "authors[0]" in long_name.json()["error"]
    assert loaded_storage.get_papers(["2401.99998"]) == {}


def test_a_token_made_on_the_settings_page_works_once_shown(loaded_storage: Storage) -> None:
    add_member(loaded_storage, "ada")
    browser = member_client(make_site(loaded_storage), "ada")
    page = post_form(browser, "/settings/tokens", {"name": "script"})
    secret = page.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("dp_")
    assert secret not in browser.get("/settings").text  # shown once
    who = browser.get("/api/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert who.json()["user"] == "ada"
    token_id = loaded_storage.list_access_tokens(loaded_storage.find_user("ada").id)[0].id  # type: ignore[union-attr]
    post_form(browser, f"/settings/tokens/{token_id}/delete")
    assert (
        browser.get("/api/whoami", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_text_that_is_not_unicode_is_a_400_and_keeps_nothing(api) -> None:
    client, ada, _ = api
    before = client.get(f"/api/papers/{PAPER}/comments").json()

    response = client.post(
        f"/api/papers/{PAPER}/comments",
        content=b'{"body": "half a pair: \\ud800"}',
        headers={**ada, "Content-Type": "application/json"},
    )

    assert response.status_code == 400 and "lone surrogate" in response.json()["error"]
    assert client.get(f"/api/papers/{PAPER}/comments").json() == before


def test_a_number_no_database_row_can_hold_is_refused_not_a_crash(api) -> None:
    client, ada, _ = api
    too_big = 2**63  # one past the largest row number SQLite and PostgreSQL can store
    for method in ("patch", "delete"):
        response = client.request(
            method, f"/api/comments/{too_big}", json={"body": "x"}, headers=ada
        )
        assert response.status_code == 422
        assert "error" in response.json()
    assert client.get(f"/api/collections/{too_big}").status_code == 422
    for parent in (str(too_big), "²", "-1"):
        posted = client.post(
            f"/api/papers/{PAPER}/comments", json={"body": "Hi", "parentId": parent}, headers=ada
        )
        assert posted.status_code == 201
        assert posted.json()["parentId"] is None  # a parent that cannot exist: a top-level comment
