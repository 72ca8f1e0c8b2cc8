"""A member's upvotes and follows are theirs alone until they make them public in their
settings; then their profile and the API show them to anyone. On both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.storage import Storage

from support.accounts import add_member, api_token, make_site, member_client, post_form

PAPER = Paper(
    id="2401.00001",
    title="Attention for everyone",
    abstract="Attention over long sequences.",
    authors=("Ada Lovelace",),
    categories=("cs.CL",),
    published_at=datetime(2026, 8, 20, tzinfo=UTC),
)


@pytest.fixture
def ada(backend_storage: Storage) -> TestClient:
    """Return ada's client (the page cache on); she upvoted the paper and follows its author."""
    with backend_storage.transaction():
        backend_storage.save_papers([PAPER])
        backend_storage.save_entries(
            [DailyEntry(PAPER.id, datetime(2026, 8, 21).date(), datetime(2026, 8, 21, tzinfo=UTC))]
        )
    add_member(backend_storage, "ada")
    add_member(backend_storage, "grace")
    client = member_client(make_site(backend_storage, cache_seconds=60), "ada")
    assert post_form(client, f"/papers/{PAPER.id}/upvote", {"voted": "1"}).status_code == 303
    post_form(client, "/follows/add", {"kind": "author", "target": "Ada Lovelace"})
    return client


def seen_by_others(ada: TestClient) -> list[tuple[bool, bool, dict[str, object]]]:
    """Return, for grace and for a visitor: upvotes shown?, follows shown?, and the API's answer."""
    storage: Storage = ada.app.state.storage  # type: ignore[attr-defined]
    grace_user = storage.find_user("grace")
    assert grace_user is not None
    grace_token = {"Authorization": f"Bearer {api_token(storage, grace_user)}"}
    found = []
    for client, headers in (
        (member_client(ada.app, "grace"), grace_token),  # type: ignore[arg-type]
        (TestClient(ada.app), {}),
    ):
        page = client.get("/users/ada").text
        answer = TestClient(ada.app).get("/api/users/ada", headers=headers).json()
        found.append(("<h2>Upvotes</h2>" in page, "<h2>Following</h2>" in page, answer))
    return found


def test_upvotes_and_follows_stay_private_until_made_public(ada: TestClient) -> None:
    for upvotes, follows, answer in seen_by_others(ada):
        assert not upvotes and not follows
        assert answer["upvotes"] is None and answer["follows"] is None
        assert answer["username"] == "ada" and answer["collections"] == []
    own = ada.get("/users/ada").text
    assert "Only you see your upvotes" in own and PAPER.title in own
    assert "1 followed" in own and "only you see them" in own

    settings = ada.get("/settings").text
    assert 'name="public" value="1"> Others may see my upvotes' in settings  # unchecked
    assert post_form(ada, "/settings/upvotes", {"public": "1"}).status_code == 303
    assert 'name="public" value="1" checked> Others may see my upvotes' in ada.get("/settings").text
    for upvotes, follows, answer in seen_by_others(ada):
        assert upvotes and not follows
        assert [p["id"] for p in answer["upvotes"]] == [PAPER.id]  # type: ignore[union-attr]
        assert answer["follows"] is None
    assert PAPER.title in TestClient(ada.app).get("/users/ada").text

    post_form(ada, "/settings/following", {"public": "1"})
    for upvotes, follows, answer in seen_by_others(ada):
        assert upvotes and follows
        assert [f["target"] for f in answer["follows"]] == ["Ada Lovelace"]  # type: ignore[union-attr]

    post_form(ada, "/settings/upvotes", {})  # the box unticked: private again
    for upvotes, follows, answer in seen_by_others(ada):
        assert not upvotes and follows and answer["upvotes"] is None
    exported = ada.get("/settings/export.json").json()["settings"]
    assert exported["upvotesPublic"] is False and exported["followsPublic"] is True
    assert exported["digestFollowing"] is False
    post_form(ada, "/settings/following", {"public": "1", "digest_following": "1"})
    assert ada.get("/settings/export.json").json()["settings"]["digestFollowing"] is True


def test_the_profile_api_answers_for_anyone_and_404s_for_no_one(ada: TestClient) -> None:
    storage: Storage = ada.app.state.storage  # type: ignore[attr-defined]
    me = storage.find_user("ada")
    assert me is not None
    api = TestClient(ada.app)
    mine = api.get("/api/users/ada", headers={"Authorization": f"Bearer {api_token(storage, me)}"})
    assert [p["id"] for p in mine.json()["upvotes"]] == [PAPER.id]  # her own, though private
    missing = api.get("/api/users/nobody")
    assert missing.status_code == 404 and missing.json() == {
        "error": "there is no member named 'nobody'"
    }
    bad_token = api.get("/api/users/ada", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and "error" in bad_token.json()
    # A session cookie is no API credential: ada's browser sees the public answer only.
    assert ada.get("/api/users/ada").json()["upvotes"] is None
    assert "/api/users/{username}" in api.get("/api/openapi.json").json()["paths"]
