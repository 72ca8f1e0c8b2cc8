"""Author and category pages, follows, /following, feeds and the follow API, as members see them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape

import feedparser
import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.domain.community import ClaimStatus
from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.storage import Storage, open_storage

from support.accounts import PAPER, add_member, api_token, make_site, member_client, post_form

EXTRA = [
    Paper(
        id="2401.00001",
        title="Attention for everyone",
        abstract="Attention over long sequences.",
        authors=("Łukasz Kaiser", "Ada Lovelace"),
        categories=("cs.CL",),
        published_at=datetime(2026, 8, 20, tzinfo=UTC),
    ),
    Paper(
        id="2401.00002",
        title="Sparse mixtures",
        abstract="Mixtures of experts, sparsely.",
        authors=("Lukasz Kaiser",),
        categories=("cs.LG",),
        published_at=datetime(2026, 8, 21, tzinfo=UTC),
    ),
]


@pytest.fixture
def site(loaded_storage: Storage) -> TestClient:
    """Return a client signed in as 'ada', on the recorded days and two papers by Kaiser."""
    with loaded_storage.transaction():
        loaded_storage.save_papers(EXTRA)
    for name in ("ada", "grace"):
        add_member(loaded_storage, name)
    add_member(loaded_storage, "boss", role=Role.ADMIN)
    return member_client(make_site(loaded_storage), "ada")


def other(site: TestClient, username: str) -> TestClient:
    return member_client(site.app, username)  # type: ignore[arg-type]


def test_author_names_link_to_pages_that_fold_accents(site: TestClient) -> None:
    page = site.get(f"/papers/{PAPER}").text
    assert re.search(r'<a href="/authors/[^"]+">', page)
    for spelling in ("Łukasz Kaiser", "lukasz kaiser", "LUKASZ KAISER"):
        response = site.get(f"/authors/{spelling}")
        assert response.status_code == 200
        assert "2 papers" in response.text
        assert "Attention for everyone" in response.text and "Sparse mixtures" in response.text
    text = site.get("/authors/Lukasz Kaiser?sort=newest").text
    assert text.index("Sparse mixtures") < text.index("Attention for everyone")
    assert "Ada Lovelace" in text  # a co-author
    for sort in ("trending", "upvotes"):
        ranked = site.get(f"/authors/Lukasz Kaiser?sort={sort}").text
        assert "Sparse mixtures" in ranked and "Attention for everyone" in ranked
    assert "/feeds/authors/" in text and 'rel="alternate"' in text
    assert site.get("/authors/Nobody At All").status_code == 404
    card = site.get("/categories/cs.CL").text
    assert "Attention for everyone" in card and 'href="/authors/' in card
    assert site.get("/categories/not a category!").status_code == 404


def test_an_author_page_shows_a_new_paper_at_once(
    site: TestClient, loaded_storage: Storage
) -> None:
    kept = site.get("/authors/Lukasz Kaiser").text  # the page is now kept
    assert "2 papers" in kept and "Grace Hopper" not in kept
    newer = replace(
        EXTRA[1],
        id="2401.00003",
        title="Pages kept until the data changes",
        authors=("Łukasz Kaiser", "Grace Hopper"),
    )
    with loaded_storage.transaction():
        loaded_storage.save_papers([newer])
    text = site.get("/authors/Lukasz Kaiser").text
    assert "3 papers" in text and "Pages kept until the data changes" in text
    assert '<a href="/authors/Grace%20Hopper">Grace Hopper</a> (1)' in text  # a new co-author


def test_a_verified_author_links_to_the_member_on_pages_and_in_the_api(
    site: TestClient, loaded_storage: Storage
) -> None:
    assert (
        post_form(
            site, "/papers/2401.00001/authorship", {"author_name": "Ada Lovelace"}
        ).status_code
        == 303
    )
    (claim,) = loaded_storage.authorship_claims(status=ClaimStatus.PENDING)
    admin = other(site, "boss")
    post_form(admin, f"/admin/claims/{claim.id}", {"decision": "approve"})
    paper_page = unescape(site.get("/papers/2401.00001").text)
    assert re.search(r'href="/users/ada"[^>]*>✓ verified', paper_page)
    assert 'href="/users/ada"' in site.get("/authors/ada lovelace").text
    authors = site.get("/api/papers/2401.00001").json()["authors"]
    assert authors[1]["status"] == "claimed_verified"
    assert authors[1]["user"]["user"] == "ada"
    assert "user" not in authors[0] and "status" not in authors[0]


def test_following_an_author_category_and_search_lists_their_papers_saying_why(
    site: TestClient,
) -> None:
    assert site.get("/following").status_code == 200
    button = site.get("/authors/Łukasz Kaiser").text
    assert 'action="/follows/add"' in button
    post_form(site, "/follows/add", {"kind": "author", "target": "Łukasz Kaiser"})
    post_form(site, "/follows/add", {"kind": "category", "target": "cs.CL"})
    post_form(site, "/follows/add", {"kind": "search", "target": "sparse mixtures"})
    assert 'action="/follows/remove"' in site.get("/authors/lukasz kaiser").text
    page = unescape(site.get("/following").text)
    assert "by an author you follow: Łukasz Kaiser" in page
    assert "in cs.CL, which you follow" in page
    assert "matches your search: sparse mixtures" in page
    assert page.index("Sparse mixtures") < page.index("Attention for everyone")  # newest first
    fragment = post_form(
        site,
        "/follows/remove",
        {"kind": "author", "target": "lukasz kaiser"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and 'action="/follows/add"' in fragment.text
    assert "by an author you follow" not in site.get("/following").text
    forged = site.post(
        "/follows/add", data={"kind": "category", "target": "cs.LG"}, follow_redirects=False
    )
    assert forged.status_code == 403  # no CSRF token: another site's form
    assert "cs.LG" not in site.get("/following").text
    bad = post_form(site, "/follows/add", {"kind": "category", "target": "no such thing!"})
    assert bad.status_code == 400 and "arXiv category" in bad.text
    assert post_form(site, "/follows/add", {"kind": "planet", "target": "Mars"}).status_code == 400


def test_follow_buttons_on_organization_and_search_pages(
    site: TestClient, loaded_storage: Storage
) -> None:
    organization = loaded_storage.featured_papers([PAPER])[0].organization
    assert organization is not None
    page = site.get(f"/organizations/{organization.name}").text
    assert 'name="kind" value="organization"' in page
    post_form(site, "/follows/add", {"kind": "organization", "target": organization.name})
    following = site.get("/following").text
    assert f"from {organization.fullname}, an organization you follow" in following
    # Unfollowed from the Following page's own button, which names it by its key.
    assert f'name="target" value="{organization.name}"' in following
    post_form(site, "/follows/remove", {"kind": "organization", "target": organization.name})
    assert "an organization you follow" not in site.get("/following").text
    results = site.get("/search", params={"q": "attention", "cat": "cs.CL"}).text
    assert 'name="target" value="attention cat:cs.CL"' in results
    assert "/feeds/search.atom?q=attention%20cat%3Acs.CL" in results
    assert (
        post_form(site, "/follows/add", {"kind": "organization", "target": "nope"}).status_code
        == 404
    )
    # Signed out: a link to sign in, and no form (the page can be shared by the cache).
    assert "Sign in to follow" in TestClient(site.app).get("/authors/Ada Lovelace").text


def parsed(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    feed = feedparser.parse(response.content)
    assert not feed.bozo, (path, feed.bozo_exception)
    return feed


def test_topic_feeds_parse_and_list_the_right_papers(
    site: TestClient, loaded_storage: Storage
) -> None:
    anonymous = TestClient(site.app)
    for fmt in ("atom", "rss"):
        feed = parsed(anonymous, f"/feeds/authors/Lukasz Kaiser.{fmt}")
        lowered = parsed(anonymous, f"/feeds/authors/lukasz kaiser.{fmt}").feed.title
        assert lowered.endswith("papers by Lukasz Kaiser")  # as the papers spell the name
        assert [entry.title for entry in feed.entries] == [
            "Sparse mixtures",
            "Attention for everyone",
        ]
        assert feed.entries[0].link == "http://testserver/papers/2401.00002"
        assert [e.title for e in parsed(anonymous, f"/feeds/categories/cs.CL.{fmt}").entries] == [
            "Attention for everyone"
        ]
        search = parsed(anonymous, f"/feeds/search.{fmt}?q=sparse mixtures")
        assert search.entries[0].title == "Sparse mixtures"
        # The newest papers having every word, not the best matches of any.
        search = parsed(anonymous, f"/feeds/search.{fmt}?q=language model")
        dates = [entry.published_parsed for entry in search.entries]
        assert len(dates) > 5 and dates == sorted(dates, reverse=True)
        for entry in search.entries:
            text = f"{entry.title} {entry.summary}".lower()
            assert "language" in text and "model" in text, entry.title
        assert parsed(anonymous, f"/feeds/weekly.{fmt}").entries
        assert parsed(anonymous, f"/feeds/monthly.{fmt}").entries
        organization = loaded_storage.featured_papers([PAPER])[0].organization
        assert organization is not None
        assert parsed(anonymous, f"/feeds/organizations/{organization.name}.{fmt}").entries
    assert anonymous.get("/feeds/search.atom?q=after:someday").status_code == 400
    assert anonymous.get("/feeds/search.atom").status_code == 400
    assert anonymous.get("/feeds/authors/Nobody.atom").status_code == 404
    assert anonymous.get("/feeds/categories/cs.CL.json").status_code == 404
    for path in ("/feeds/weekly.atom", "/feeds/monthly.atom"):
        assert path in anonymous.get("/").text  # readers discover them


def test_the_private_feed_follows_the_member_and_dies_when_rotated(site: TestClient) -> None:
    post_form(site, "/follows/add", {"kind": "author", "target": "Łukasz Kaiser"})
    settings = site.get("/settings").text
    path = re.search(r"/feeds/private/[0-9a-f-]+\.atom", settings)
    assert path is not None
    assert f">https://testserver{path.group(0)}</a>" in settings  # whole, for a feed reader
    anonymous = TestClient(site.app)
    feed = parsed(anonymous, path.group(0))
    assert [e.title for e in feed.entries] == ["Sparse mixtures", "Attention for everyone"]
    assert "by an author you follow: Łukasz Kaiser" in feed.entries[0].summary
    assert post_form(site, "/settings/following/feed").status_code == 303
    assert anonymous.get(path.group(0)).status_code == 404
    assert anonymous.get(path.group(0).replace(".atom", ".rss")).status_code == 404
    new = re.search(r"/feeds/private/[0-9a-f-]+\.atom", site.get("/settings").text)
    assert new is not None and new.group(0) != path.group(0)
    assert parsed(anonymous, new.group(0)).entries
    # Another member's id with this member's signature is no address at all.
    user_id, _, signature = new.group(0).removeprefix("/feeds/private/").partition("-")
    forged = f"/feeds/private/{int(user_id) + 1}-{signature}"
    assert anonymous.get(forged).status_code == 404


def test_members_never_see_each_others_follows_unless_made_public(site: TestClient) -> None:
    post_form(site, "/follows/add", {"kind": "author", "target": "Łukasz Kaiser"})
    grace = other(site, "grace")
    assert "Łukasz Kaiser" not in unescape(grace.get("/following").text)
    assert grace.get("/users/ada/following").status_code == 404
    assert TestClient(site.app).get("/users/ada/following").status_code == 404
    assert "Łukasz Kaiser" in unescape(site.get("/users/ada/following").text)
    post_form(site, "/settings/following", {"public": "1"})
    assert "Łukasz Kaiser" in unescape(grace.get("/users/ada/following").text)
    # Through the API, each token sees its own member's follows only.
    grace_token = api_token(site.app.state.storage, site.app.state.storage.find_user("grace"))  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {grace_token}"}
    assert grace.get("/api/me/follows", headers=headers).json() == []
    assert grace.get("/api/me/following", headers=headers).json() == []


def test_the_follow_api(site: TestClient, loaded_storage: Storage) -> None:
    user = loaded_storage.find_user("ada")
    assert user is not None
    api = TestClient(
        site.app, headers={"Authorization": f"Bearer {api_token(loaded_storage, user)}"}
    )
    body = {"kind": "author", "target": "Lukasz Kaiser"}
    created = api.post("/api/me/follows", json=body)
    assert created.status_code == 201
    assert created.json()["key"] == "lukasz kaiser"
    assert api.post("/api/me/follows", json=body).status_code == 200
    assert [f["target"] for f in api.get("/api/me/follows").json()] == ["Lukasz Kaiser"]
    following = api.get("/api/me/following", params={"limit": 5}).json()
    assert [item["paper"]["id"] for item in following] == ["2401.00002", "2401.00001"]
    assert following[0]["reasons"][0]["text"] == "by an author you follow: Lukasz Kaiser"
    for response, status in [
        (api.post("/api/me/follows", json={"kind": "planet", "target": "Mars"}), 400),
        (api.post("/api/me/follows", json={"kind": "author"}), 422),
        (api.get("/api/me/following", params={"limit": 0}), 422),
        (api.delete("/api/me/follows", params={"kind": "category", "target": "cs.CL"}), 404),
        (TestClient(site.app).get("/api/me/follows"), 401),
    ]:
        assert response.status_code == status
        assert set(response.json()) == {"error"} and response.json()["error"]
    assert api.delete("/api/me/follows", params=body).status_code == 204
    organization = loaded_storage.featured_papers([PAPER])[0].organization
    assert organization is not None
    api.post("/api/me/follows", json={"kind": "organization", "target": organization.name})
    gone = api.delete(
        "/api/me/follows", params={"kind": "organization", "target": organization.fullname}
    )
    assert gone.status_code == 204
    assert api.get("/api/me/follows").json() == []
    schema = api.get("/api/openapi.json").json()
    assert "401" in schema["paths"]["/api/me/follows"]["post"]["responses"]


def test_the_settings_page_saves_the_follow_choices(
    site: TestClient, loaded_storage: Storage
) -> None:
    ada = loaded_storage.find_user("ada")
    assert ada is not None
    page = site.get("/settings").text
    assert 'name="digest_following"' in page and 'name="public"' in page
    assert post_form(site, "/settings/following", {"digest_following": "1"}).status_code == 303
    saved = loaded_storage.get_follow_settings(ada.id)
    assert saved.digest_following and not saved.public
    post_form(site, "/settings/following", {"public": "1"})
    saved = loaded_storage.get_follow_settings(ada.id)
    assert saved.public and not saved.digest_following


@pytest.mark.postgres
def test_follows_author_pages_and_feeds_on_postgresql(postgres_url: str) -> None:
    storage = open_storage(postgres_url)
    with storage.transaction():
        storage.save_papers(EXTRA)
    add_member(storage, "ada")
    site = member_client(make_site(storage), "ada")
    assert "2 papers" in site.get("/authors/LUKASZ KAISER").text
    post_form(site, "/follows/add", {"kind": "author", "target": "Łukasz Kaiser"})
    post_form(site, "/follows/add", {"kind": "search", "target": "sparse"})
    page = unescape(site.get("/following").text)
    assert "by an author you follow: Łukasz Kaiser" in page
    assert "matches your search: sparse" in page
    anonymous = TestClient(site.app)
    assert [e.title for e in parsed(anonymous, "/feeds/categories/cs.CL.rss").entries] == [
        "Attention for everyone"
    ]
    assert site.get("/api/papers/search", params={"q": 'author:"lukasz kaiser"'}).json()
    storage.close()


def test_following_shows_a_new_paper_at_once_despite_the_kept_answers(
    site: TestClient, loaded_storage: Storage
) -> None:
    post_form(site, "/follows/add", {"kind": "search", "target": "sparse"})
    post_form(site, "/follows/add", {"kind": "author", "target": "Łukasz Kaiser"})
    before = site.get("/following").text
    assert "Sparse mixtures" in before and "Dense retrieval, sparsely" not in before
    newer = Paper(
        id="2401.00003",
        title="Dense retrieval, sparsely",
        abstract="Sparse and dense retrieval.",
        authors=("Someone Else",),
        published_at=datetime(2026, 8, 22, tzinfo=UTC),
    )
    with loaded_storage.transaction():
        loaded_storage.save_papers([newer])
    after = site.get("/following").text
    assert "Dense retrieval, sparsely" in after
    assert after.index("Dense retrieval, sparsely") < after.index("Sparse mixtures")


def test_a_search_by_organization_shows_a_paper_featured_after_the_first_visit(
    site: TestClient, loaded_storage: Storage
) -> None:
    # Searches are kept until the papers' words change; an organization's papers change
    # with the daily entries instead, which leave the words as they were.
    with loaded_storage.transaction():
        loaded_storage.save_organizations([Organization("sparse-lab", "Sparse Lab")])
    post_form(site, "/follows/add", {"kind": "search", "target": "sparse org:sparse-lab"})
    assert "Sparse mixtures" not in site.get("/following").text
    featured = datetime(2026, 8, 21, tzinfo=UTC)
    entry = DailyEntry("2401.00002", featured.date(), featured, None, "sparse-lab")
    with loaded_storage.transaction():
        loaded_storage.save_entries([entry])
    assert "Sparse mixtures" in site.get("/following").text
