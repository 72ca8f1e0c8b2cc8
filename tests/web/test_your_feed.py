"""Your feed on the site and the API: Save, collections and who sees them, For you,
"Not interested", exporting my data and deleting my account."""

from __future__ import annotations

import re
from html import unescape

import bibtexparser
import pytest
from fastapi.testclient import TestClient

from dailypapers.services.recommendations import refit_stale_models
from dailypapers.storage import Storage

from support.accounts import (
    PAPER,
    add_member,
    api_token,
    csrf,
    make_site,
    member_client,
    post_form,
    sign_in,
)
from support.sites import NOW

DAY = "/papers/date/2025-10-17"
CARD_LINK = re.compile(r'<h2 class="card-title"><a href="/papers/([^"]+)"')


@pytest.fixture
def site(loaded_storage: Storage) -> TestClient:
    """Return the site signed in as ada, with bob a member too."""
    add_member(loaded_storage, "ada")
    add_member(loaded_storage, "bob")
    return member_client(make_site(loaded_storage), "ada")


def other_member(site: TestClient, name: str = "bob") -> TestClient:
    """Return a second client of the same site, signed in as another member."""
    return member_client(site.app, name)  # type: ignore[arg-type]


def collection_id(location: str) -> int:
    """Return the id of the collection a redirect points at."""
    found = re.fullmatch(r"/collections/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_save_from_a_card_then_find_it_in_saved_and_export_it(site: TestClient) -> None:
    page = unescape(site.get(DAY).text)
    assert f'action="/papers/{PAPER}/save"' in page and "☆ Save" in page
    saved = post_form(
        site,
        f"/papers/{PAPER}/save",
        {"saved": "1"},
        headers={"referer": f"https://testserver{DAY}"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == DAY
    assert "★ Saved" in unescape(site.get(DAY).text)
    listing = site.get("/collections").text
    (saved_id,) = re.findall(r'href="/collections/(\d+)">Saved</a>', listing)
    assert PAPER in site.get(f"/collections/{saved_id}").text
    bib = site.get(f"/collections/{saved_id}.bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    entries = bibtexparser.parse_string(bib.text).entries
    assert [e["eprint"] for e in entries] == [PAPER]
    everything = site.get("/collections/saved.ris").text
    assert f"UR  - https://arxiv.org/abs/{PAPER}" in everything
    post_form(site, f"/papers/{PAPER}/save", {"saved": "0"})
    assert "☆ Save" in unescape(site.get(DAY).text)


def test_a_cards_save_button_never_empties_the_lists_a_member_made(site: TestClient) -> None:
    made = post_form(site, "/collections", {"name": "Reading group"})
    reading = collection_id(made.headers["location"])
    post_form(site, f"/papers/{PAPER}/save", {"collection_id": str(reading), "note": "week 3"})
    post_form(site, f"/papers/{PAPER}/save", {"saved": "1"})  # and in Saved, from a card
    undone = post_form(site, f"/papers/{PAPER}/save", {"saved": "0"})
    assert undone.status_code == 303
    assert undone.headers["location"] == f"/papers/{PAPER}?in_your_lists=1#save"
    page = site.get(undone.headers["location"]).text
    assert "take it out of each below" in page and "Reading group" in page
    kept = site.get(f"/collections/{reading}").text
    assert PAPER in kept and "week 3" in kept
    assert "★ Saved" in unescape(site.get(DAY).text)
    post_form(site, f"/collections/{reading}/papers/{PAPER}/remove")
    post_form(site, f"/papers/{PAPER}/save", {"saved": "0"})  # now only Saved held it
    assert "☆ Save" in unescape(site.get(DAY).text)


def test_a_list_the_member_named_saved_is_what_a_cards_button_saves_to(
    site: TestClient,
) -> None:
    made = post_form(site, "/collections", {"name": "saved"})
    mine = collection_id(made.headers["location"])
    post_form(site, f"/papers/{PAPER}/save", {"saved": "1"})
    assert PAPER in site.get(f"/collections/{mine}").text
    undone = post_form(site, f"/papers/{PAPER}/save", {"saved": "0"})
    assert undone.headers["location"] != f"/papers/{PAPER}?in_your_lists=1#save"
    assert PAPER not in site.get(f"/collections/{mine}").text


def test_private_collections_are_nobodys_business(site: TestClient) -> None:
    made = post_form(site, "/collections", {"name": "Secret reading"})
    number = collection_id(made.headers["location"])
    post_form(site, f"/papers/{PAPER}/save", {"collection_id": str(number), "note": "for Tuesday"})
    assert "for Tuesday" in site.get(f"/collections/{number}").text
    bob = other_member(site)
    visitor = TestClient(site.app)
    for client in (bob, visitor):
        assert client.get(f"/collections/{number}").status_code == 404
        assert client.get(f"/collections/{number}.bib").status_code == 404
    assert (
        post_form(bob, f"/papers/{PAPER}/save", {"collection_id": str(number)}).status_code == 404
    )
    post_form(site, f"/collections/{number}/edit", {"name": "Secret reading", "public": "1"})
    shared = visitor.get(f"/collections/{number}")
    assert (
        shared.status_code == 200
        and "for Tuesday" in shared.text
        and "Save note" not in shared.text
    )


def test_for_you_starts_with_trending_and_learns_after_the_background_refit(
    site: TestClient, loaded_storage: Storage
) -> None:
    first = site.get("/for-you")
    assert first.status_code == 200 and 'action="/for-you/start"' in first.text
    assert "trending" in first.text
    started = post_form(site, "/for-you/start", {"papers": f"https://arxiv.org/abs/{PAPER}\nnope"})
    assert started.status_code == 200 and "nope" in started.text
    assert "being prepared" in site.get("/for-you").text  # never fitted on the request
    assert refit_stale_models(storage=loaded_storage, model_name="test-model", now=NOW) == 1


def test_not_interested_takes_the_paper_out_of_for_you(site: TestClient) -> None:
    listed = re.findall(
        r'<h2 class="card-title"><a href="/papers/([^"]+)"', site.get("/for-you?days=30").text
    )
    assert listed
    gone = post_form(
        site,
        f"/papers/{listed[0]}/not-interested",
        headers={"referer": "https://testserver/for-you?days=30"},
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/for-you?days=30"
    again = re.findall(
        r'<h2 class="card-title"><a href="/papers/([^"]+)"', site.get("/for-you?days=30").text
    )
    assert listed[0] not in again
    page = site.get(f"/papers/{listed[0]}").text  # said on the paper's page, and undone there
    assert 'You marked this paper "Not interested"' in page
    post_form(site, f"/papers/{listed[0]}/not-interested", {"undo": "1"})
    assert "You marked this paper" not in site.get(f"/papers/{listed[0]}").text
    assert listed[0] in site.get("/for-you?days=30").text
    assert site.get("/for-you?days=0").status_code == 422


def test_the_api_with_a_token(site: TestClient, loaded_storage: Storage) -> None:
    ada = loaded_storage.find_user("ada")
    bob = loaded_storage.find_user("bob")
    assert ada and bob
    auth = {"Authorization": f"Bearer {api_token(loaded_storage, ada)}"}
    bob_auth = {"Authorization": f"Bearer {api_token(loaded_storage, bob)}"}
    api = TestClient(site.app)
    assert api.get("/api/me/recommendations").json() == {
        "error": "send a valid personal access token: Authorization: Bearer TOKEN"
    }
    window = api.get(
        "/api/me/recommendations?after=2025-10-13&before=2025-10-20&limit=5", headers=auth
    )
    assert window.status_code == 200 and len(window.json()["papers"]) == 5
    first = window.json()["papers"][0]["paper"]["id"]
    assert api.post(f"/api/me/not-interested/{first}", headers=auth).json()["notInterested"]
    after = api.get(
        "/api/me/recommendations?after=2025-10-13&before=2025-10-20&limit=5", headers=auth
    ).json()
    assert first not in [p["paper"]["id"] for p in after["papers"]]
    bad = api.get("/api/me/recommendations?after=2025-10-20&before=2025-10-13", headers=auth)
    assert bad.status_code == 400 and "earlier" in bad.json()["error"]
    assert api.get("/api/me/recommendations?after=yesterday", headers=auth).status_code == 422
    assert api.post("/api/me/not-interested/9999.99999", headers=auth).status_code == 404

    made = api.post("/api/collections", json={"name": "To read"}, headers=auth)
    assert made.status_code == 201 and made.json()["public"] is False
    number = made.json()["id"]
    assert api.post("/api/collections", json={"name": "to read"}, headers=auth).status_code == 409
    assert api.post("/api/collections", json={"name": ""}, headers=auth).status_code == 422
    added = api.post(
        f"/api/collections/{number}/papers", json={"paper": PAPER, "note": "n"}, headers=auth
    )
    assert added.status_code == 200
    assert api.post(
        f"/api/collections/{number}/papers", json={"paper": "9999.99999"}, headers=auth
    ).json() == {"error": "paper 9999.99999 is not on this site"}
    mine = api.get(f"/api/collections/{number}", headers=auth).json()
    assert [i["paper"]["id"] for i in mine["items"]] == [PAPER] and mine["items"][0]["note"] == "n"
    assert f"eprint = {{{PAPER}}}" in api.get(f"/api/collections/{number}.bib", headers=auth).text
    for other in (bob_auth, {}):
        assert api.get(f"/api/collections/{number}", headers=other).status_code == 404
        assert api.get(f"/api/collections/{number}.bib", headers=other).status_code == 404
    assert api.delete(f"/api/collections/{number}", headers=bob_auth).status_code == 404
    shared = api.patch(
        f"/api/collections/{number}", json={"name": "To read", "public": True}, headers=auth
    )
    assert shared.json()["public"] is True
    assert api.get(f"/api/collections/{number}").json()["items"][0]["note"] == "n"
    unshared = {"name": "To read", "public": False}
    assert (
        api.patch(f"/api/collections/{number}", json=unshared, headers=bob_auth).status_code == 404
    )
    api.patch(f"/api/collections/{number}", json=unshared, headers=auth)
    assert [c["name"] for c in api.get("/api/collections", headers=auth).json()] == ["To read"]
    assert api.delete(f"/api/collections/{number}/papers/{PAPER}", headers=auth).status_code == 200
    assert api.delete(f"/api/collections/{number}/papers/{PAPER}", headers=auth).status_code == 404
    assert api.delete(f"/api/collections/{number}", headers=auth).status_code == 200
    assert api.get(f"/api/collections/{number}", headers=auth).status_code == 404
    spec = api.get("/api/openapi.json").json()
    declared = spec["paths"]["/api/me/recommendations"]["get"]["responses"]
    assert {"400", "401", "422"} <= set(declared)


def test_export_my_data_then_delete_my_account(site: TestClient, loaded_storage: Storage) -> None:
    post_form(site, f"/papers/{PAPER}/upvote", {"voted": "1"})
    post_form(site, f"/papers/{PAPER}/comments", {"body": "Nice result"})
    post_form(site, f"/papers/{PAPER}/save", {"saved": "1"})
    exported = site.get("/settings/export.json")
    data = exported.json()
    assert exported.headers["content-disposition"].startswith("attachment")
    assert data["profile"]["username"] == "ada" and data["votes"][0]["paper"] == PAPER
    assert data["comments"][0]["body"] == "Nice result"
    assert data["collections"][0]["papers"][0]["paper"] == PAPER
    refused = post_form(site, "/settings/delete-account", {"password": "wrong one"})
    assert refused.status_code == 403 and loaded_storage.find_user("ada") is not None
    upvotes = loaded_storage.get_papers([PAPER])[PAPER].upvotes
    deleted = post_form(site, "/settings/delete-account", {"password": "correct horse battery"})
    assert deleted.status_code == 200 and "Account deleted" in deleted.text
    assert loaded_storage.find_user("ada") is None
    assert loaded_storage.get_papers([PAPER])[PAPER].upvotes == upvotes - 1
    page = TestClient(site.app).get(f"/papers/{PAPER}").text
    assert "Nice result" in page and "deleted member" in page
    again = TestClient(site.app, base_url="https://testserver")
    assert sign_in(again, "ada").status_code != 303
    assert csrf(again)  # the sign-in form is still there: ada cannot get in


def test_a_profile_shows_upvotes_to_their_member_only_and_public_collections_to_all(
    site: TestClient,
) -> None:
    post_form(site, f"/papers/{PAPER}/upvote", {"voted": "1"})
    post_form(site, "/collections", {"name": "Open list", "public": "1"})
    post_form(site, "/collections", {"name": "Hidden list"})
    own = site.get("/users/ada").text
    assert "<h2>Upvotes</h2>" in own and "Hidden list" in own and "Open list" in own
    for client in (other_member(site), TestClient(site.app)):
        seen = client.get("/users/ada").text
        assert "<h2>Upvotes</h2>" not in seen and "Hidden list" not in seen
        assert "Open list" in seen


def test_importing_a_bibtex_file_from_the_collections_page(site: TestClient) -> None:
    token = csrf(site)
    bib = f"@misc{{a, eprint={{{PAPER}}}, archivePrefix={{arXiv}}}}\n@book{{b, title={{A Book}}}}\n"
    page = site.post(
        "/collections/import",
        data={"csrf_token": token},
        files={"file": ("refs.bib", bib.encode(), "application/x-bibtex")},
    )
    assert page.status_code == 200
    assert "1 paper(s) added" in page.text and "A Book" in page.text
    assert "★ Saved" in unescape(site.get(DAY).text)
    broken = site.post(
        "/collections/import",
        data={"csrf_token": token},
        files={"file": ("refs.bib", b"@article{x, title={never closed", "text/plain")},
    )
    assert broken.status_code == 400 and "Nothing was imported: refs.bib" in broken.text
    assert 'action="/collections/import"' in broken.text  # the form, to try another file
    forged = site.post(
        "/collections/import",
        data={"csrf_token": "0" * 64},
        files={"file": ("refs.bib", bib.encode(), "application/x-bibtex")},
    )
    assert forged.status_code == 403  # an upload needs the form's token like any form


def test_for_you_explains_each_paper_once_the_model_is_fitted(
    site: TestClient, loaded_storage: Storage
) -> None:
    from dailypapers.services.semantic_index import embed_missing

    from support.embedders import HashingEmbedder

    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    post_form(site, f"/papers/{PAPER}/upvote", {"voted": "1"})
    refit_stale_models(storage=loaded_storage, model_name=embedder.model_name, now=NOW)
    page = site.get("/for-you?days=30").text
    title = loaded_storage.get_papers([PAPER])[PAPER].title
    assert (
        "here is what is trending" not in page
        and f'Because you liked <a href="/papers/{PAPER}">' in page
    )
    assert title in page and PAPER not in CARD_LINK.findall(page)  # upvoted: seen


def test_the_private_feed_carries_for_you_once_the_model_is_fitted(
    site: TestClient, loaded_storage: Storage
) -> None:
    import feedparser

    from dailypapers.services.semantic_index import embed_missing

    from support.embedders import HashingEmbedder

    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    feed_path = re.search(r"/feeds/private/[0-9a-f-]+\.atom", site.get("/settings").text)
    assert feed_path
    assert feedparser.parse(site.get(feed_path.group(0)).text).entries == []  # nothing yet
    post_form(site, f"/papers/{PAPER}/upvote", {"voted": "1"})
    refit_stale_models(storage=loaded_storage, model_name=embedder.model_name, now=NOW)
    entries = feedparser.parse(site.get(feed_path.group(0)).text).entries
    title = loaded_storage.get_papers([PAPER])[PAPER].title
    assert entries and all(f"because you liked: {title}" in e.summary for e in entries)
    assert all(PAPER not in e.link for e in entries)  # upvoted: seen


def test_the_private_feed_keeps_room_for_what_the_member_follows(
    site: TestClient, loaded_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For you has papers enough to fill the feed: followed papers keep up to half of it."""
    import feedparser

    from dailypapers.services import member_feed
    from dailypapers.services.semantic_index import embed_missing

    from support.embedders import HashingEmbedder

    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    post_form(site, f"/papers/{PAPER}/upvote", {"voted": "1"})
    refit_stale_models(storage=loaded_storage, model_name=embedder.model_name, now=NOW)
    feed_path = re.search(r"/feeds/private/[0-9a-f-]+\.atom", site.get("/settings").text)
    assert feed_path
    monkeypatch.setattr(member_feed, "FEED_SIZE", 4)  # fewer places than For you fills
    recommended = feedparser.parse(site.get(feed_path.group(0)).text).entries
    assert len(recommended) == 4 and all("because you liked" in e.summary for e in recommended)
    shown = {PAPER, *(e.link.rsplit("/", 1)[-1] for e in recommended)}
    paper = next(
        p
        for p in loaded_storage.featured_papers([r.paper_id for r in loaded_storage.rankables()])
        if p.paper.id not in shown
    ).paper
    post_form(site, "/follows/add", {"kind": "author", "target": paper.authors[0]})
    entries = feedparser.parse(site.get(feed_path.group(0)).text).entries
    reasons = [e.summary for e in entries]
    assert len(entries) == 4
    assert sum("because you liked" in r for r in reasons) == 3
    assert f"by an author you follow: {paper.authors[0]}" in reasons[-1]


def test_a_members_home_is_for_you_with_the_periods_one_click_away(
    loaded_storage: Storage,
) -> None:
    from dailypapers.domain.periods import PeriodKind, period_containing

    add_member(loaded_storage, "ada")
    app = make_site(loaded_storage, cache_seconds=60)
    latest = loaded_storage.latest_day()
    assert latest is not None
    day, week, month = (period_containing(kind, latest).path for kind in PeriodKind)
    visitor = TestClient(app)
    home = visitor.get("/")
    assert "Daily papers" in home.text and 'href="/for-you"' not in home.text
    # Signed out, home is still one page for everyone, kept by the page cache.
    loaded_storage._execute("UPDATE papers SET title = 'Changed' WHERE id = ?", (PAPER,))
    assert visitor.get("/").text == home.text

    ada = member_client(app, "ada")
    mine = ada.get("/")
    assert "Recommended for you" in mine.text and "no-store" in mine.headers["cache-control"]
    assert tabs(mine.text) == [("/for-you", True), (day, False), (week, False), (month, False)]
    assert tabs(ada.get(day).text) == [
        ("/for-you", False),
        (day, True),
        (week, False),
        (month, False),
    ]
    assert tabs(ada.get("/for-you").text) == tabs(mine.text)
    assert '<a href="/papers/date">Latest</a>' in mine.text  # the latest day, from any page
    for kind, path in (("date", day), ("week", week), ("month", month)):
        found = ada.get(f"/papers/{kind}", follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"] == path
    assert visitor.get("/").text == home.text  # a member's home is never shared


def tabs(page: str) -> list[tuple[str, bool]]:
    """Return the listing tabs of a page: each link, and whether it is the current one."""
    found = re.search(r'<nav class="tabs" aria-label="period">(.*?)</nav>', page, re.S)
    assert found, "the page has no tabs"
    return [
        (href, bool(active))
        for href, active in re.findall(r'<a href="([^"]+)"( class="active")?', found.group(1))
    ]
