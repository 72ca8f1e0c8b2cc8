"""Upvotes: with and without JavaScript, taken back, live everywhere, right under a crowd."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from threading import Barrier

import httpx
import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.ranking import Rankable, SortMode, age_in_hours, trending_score
from dailypapers.services.feed import list_featured
from dailypapers.storage import Storage

from support.accounts import PAPER, PASSWORD, add_member, csrf_from, make_site, member_client
from support.live_server import serving
from support.sites import NOW, load_files

CARD_COUNT = re.compile(
    r'action="/papers/2510\.14545/upvote".*?<span class="count">(\d+)</span>', re.S
)


def api_upvotes(client: TestClient | httpx.Client, paper_id: str = PAPER) -> int:
    """Return the paper's upvotes as the JSON API shows them."""
    return int(client.get(f"/api/papers/{paper_id}").json()["upvotes"])


@pytest.fixture
def ada(loaded_storage: Storage) -> TestClient:
    """Return a client signed in as a member, on the recorded days, with the page cache on."""
    add_member(loaded_storage, "ada")
    return member_client(make_site(loaded_storage, cache_seconds=60), "ada")


def test_a_vote_without_javascript_posts_and_comes_back_to_the_page(ada: TestClient) -> None:
    before = api_upvotes(ada)
    page = ada.get("/papers/date/2025-10-17")
    assert f">{before}<" in ada.get(f"/papers/{PAPER}").text  # both pages' papers now kept
    response = ada.post(
        f"/papers/{PAPER}/upvote",
        data={"voted": "1", "csrf_token": csrf_from(page.text)},
        headers={"referer": "https://testserver/papers/date/2025-10-17"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/date/2025-10-17"
    assert api_upvotes(ada) == before + 1
    listing = ada.get("/papers/date/2025-10-17").text
    assert CARD_COUNT.search(listing).group(1) == str(before + 1)  # type: ignore[union-attr]
    paper_page = ada.get(f"/papers/{PAPER}").text
    assert 'aria-pressed="true"' in paper_page and f">{before + 1}<" in paper_page


def test_a_vote_with_javascript_answers_with_the_new_button(ada: TestClient) -> None:
    before = api_upvotes(ada)
    token = csrf_from(ada.get(f"/papers/{PAPER}").text)
    headers = {"HX-Request": "true"}
    cast = ada.post(
        f"/papers/{PAPER}/upvote", data={"voted": "1", "csrf_token": token}, headers=headers
    )
    assert cast.status_code == 200 and cast.text.lstrip().startswith('<form class="votes')
    assert f'<span class="count">{before + 1}</span>' in cast.text
    assert 'aria-pressed="true"' in cast.text and 'name="voted" value="0"' in cast.text
    again = ada.post(
        f"/papers/{PAPER}/upvote", data={"voted": "1", "csrf_token": token}, headers=headers
    )
    assert f'<span class="count">{before + 1}</span>' in again.text  # one vote per member
    back = ada.post(
        f"/papers/{PAPER}/upvote", data={"voted": "0", "csrf_token": token}, headers=headers
    )
    assert (
        f'<span class="count">{before}</span>' in back.text and 'aria-pressed="false"' in back.text
    )
    assert api_upvotes(ada) == before


def test_signed_out_visitors_get_a_sign_in_link_not_a_form(client: TestClient) -> None:
    page = client.get(f"/papers/{PAPER}").text
    assert f'href="/signin?next=/papers/{PAPER}"' in page
    assert "/upvote" not in page
    token = csrf_from(client.get("/signin").text)
    response = client.post(
        f"/papers/{PAPER}/upvote", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


def test_a_get_never_votes(ada: TestClient) -> None:
    before = api_upvotes(ada)
    assert ada.get(f"/papers/{PAPER}/upvote").status_code in (404, 405)
    assert api_upvotes(ada) == before


def test_the_shared_page_cache_shows_a_vote_at_once(loaded_storage: Storage) -> None:
    app = make_site(loaded_storage, cache_seconds=60)
    reader = TestClient(app)
    before = api_upvotes(reader)
    add_member(loaded_storage, "ada")
    ada = member_client(app, "ada")
    token = csrf_from(ada.get("/settings").text)
    ada.post(f"/papers/{PAPER}/upvote", data={"voted": "1", "csrf_token": token})
    assert api_upvotes(reader) == before + 1


VOTERS = 50


@pytest.fixture
def crowd_storage(backend_storage: Storage, shared_data: Path) -> Storage:
    """Return a storage on each backend holding one recorded day and 50 members."""
    load_files(
        backend_storage,
        shared_data / "fixtures" / "hf_daily_papers" / "daily_papers_2025-10-17.json",
    )
    for number in range(VOTERS):
        add_member(backend_storage, f"voter{number}")
    return backend_storage


def test_fifty_members_voting_twice_at_once_count_exactly_fifty(crowd_storage: Storage) -> None:
    """Through a real HTTP server: 50 accounts, each clicking twice, all at the same moment."""
    app = make_site(crowd_storage, rate_limits="signin.ip=1000/300")
    with serving(app) as url:
        clients = [httpx.Client(base_url=url, timeout=60) for _ in range(VOTERS)]
        try:
            for number, client in enumerate(clients):
                token = csrf_from(client.get("/signin").text)
                signed_in = client.post(
                    "/signin",
                    data={"login": f"voter{number}", "password": PASSWORD, "csrf_token": token},
                )
                assert signed_in.status_code == 303, signed_in.text
            tokens = [csrf_from(client.get("/settings").text) for client in clients]
            before = api_upvotes(clients[0])
            barrier = Barrier(VOTERS * 2)

            def click(index: int) -> int:
                barrier.wait()
                response = clients[index].post(
                    f"/papers/{PAPER}/upvote",
                    data={"voted": "1", "csrf_token": tokens[index]},
                    headers={"HX-Request": "true"},
                )
                return response.status_code

            with ThreadPoolExecutor(max_workers=VOTERS * 2) as pool:
                statuses = list(pool.map(click, [*range(VOTERS), *range(VOTERS)]))
            assert statuses == [200] * (VOTERS * 2)
            assert api_upvotes(clients[0]) == before + VOTERS
            local = crowd_storage.get_papers([PAPER])[PAPER].local_upvotes
            assert local == VOTERS
        finally:
            for client in clients:
                client.close()


def test_kept_card_forms_carry_each_readers_own_token_and_state(loaded_storage: Storage) -> None:
    """Cards' forms are kept for every reader: no member sees another's token, vote or Save."""
    site = make_site(loaded_storage)
    add_member(loaded_storage, "ada")
    add_member(loaded_storage, "bob")
    ada, bob = member_client(site, "ada"), member_client(site, "bob")
    day = "/papers/date/2025-10-17"
    for reader in (ada, bob, ada):  # each reads the page the other's reading left kept
        page = reader.get(day).text
        tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', page))
        assert tokens == {csrf_from(reader.get("/settings").text)}
    token = csrf_from(ada.get(day).text)
    voted = ada.post(f"/papers/{PAPER}/upvote", data={"voted": "1", "csrf_token": token})
    saved = ada.post(f"/papers/{PAPER}/save", data={"saved": "1", "csrf_token": token})
    assert voted.status_code == saved.status_code == 200
    card = re.compile(rf'action="/papers/{re.escape(PAPER)}/upvote".*?</article>', re.S)
    for reader, mine in ((ada, True), (bob, False), (ada, True)):
        found = card.search(unescape(reader.get(day).text))
        assert found is not None
        assert ('aria-pressed="true" title="Take your upvote back' in found.group(0)) is mine
        assert ("★ Saved" in found.group(0)) is mine
        assert ("☆ Save" in found.group(0)) is not mine
    # After members: their cards are not its cards.
    visitor = unescape(TestClient(site).get(day).text)
    assert f'href="/signin?next=/papers/{PAPER}" title="Sign in to upvote' in visitor
    assert "☆ Save" not in visitor and "★ Saved" not in visitor


def test_a_vote_reorders_the_ranking_of_all_time_at_once(
    ada: TestClient, loaded_storage: Storage
) -> None:
    """Rankings over all time are kept between requests, but never past a vote."""

    def ranking() -> list[str]:
        listing = ada.get("/api/daily_papers?sort=trending&limit=100").json()
        return [entry["paper"]["id"] for entry in listing]

    def score(item: Rankable, extra_upvotes: int = 0) -> float:
        age = age_in_hours(item.featured_at, NOW)
        points = item.upvotes + extra_upvotes
        return trending_score(upvotes=points, num_comments=item.num_comments, age_hours=age)

    before = ranking()  # now kept between requests
    items = {item.paper_id: item for item in loaded_storage.rankables()}
    # The first paper that one more upvote lifts above the one before it.
    overtaking = next(
        position
        for position in range(1, len(before))
        if score(items[before[position]], 1) > score(items[before[position - 1]])
    )
    voted = before[overtaking]
    token = csrf_from(ada.get(f"/papers/{voted}").text)
    ada.post(f"/papers/{voted}/upvote", data={"voted": "1", "csrf_token": token})
    after = ranking()
    assert after.index(voted) < overtaking
    fresh = list_featured(
        storage=loaded_storage, sort=SortMode.TRENDING, page=0, page_size=100, now=NOW
    )
    assert after == [item.paper.id for item in fresh.papers]
