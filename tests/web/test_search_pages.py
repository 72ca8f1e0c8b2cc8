"""The search page, the help page, similar papers, and the search API; bad input never 500s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dailypapers.search.hybrid import HybridSearcher
from dailypapers.services.semantic_index import embed_missing
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.web.app import create_app

from support.embedders import HashingEmbedder
from support.sites import NOW

# Odd queries and the status both the page and the API answer them with.
ODD_QUERIES = [
    ('"', 200),
    ('"unterminated', 200),
    ("NEAR(", 200),
    ("NEAR(a b, 3)", 200),
    ("*", 200),
    ("a*", 200),
    ("-", 200),
    ("--x", 200),
    ("a AND OR NOT b", 200),
    ("'; DROP TABLE papers; --", 200),
    ("%s %(x)s ? $1", 200),
    ("\\", 200),
    ("{title}:x", 200),
    ("^x", 200),
    ("col:val", 200),
    ("🚀 数学", 200),
    ("x" * 1000, 200),
    ("author:", 200),
    ('org:""', 200),
    ("cat:cs", 200),
    ("after:2024 before:2023", 200),
    ("before:someday", 400),  # an unreadable filter
    ("after:2024-02-31", 400),
]


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def site(loaded_storage: Storage, embedder: HashingEmbedder) -> TestClient:
    """Return a client of the site over the recorded days, with vectors for every paper."""
    embed_missing(storage=loaded_storage, embedder=embedder)
    searcher = HybridSearcher(
        load_embedder=lambda: embedder, model_name=embedder.model_name, timeout_s=5
    )
    app = create_app(
        Settings(database_url=loaded_storage.url, cache_seconds=0),
        storage=loaded_storage,
        clock=lambda: NOW,
        searcher=searcher,
    )
    return TestClient(app)


def test_every_page_has_a_search_box(client):
    assert 'action="/search"' in client.get("/").text


def test_the_search_page_shows_cards_with_highlights_and_progress(site):
    response = site.get("/search", params={"q": "entropy policy optimization"})
    assert response.status_code == 200
    html = response.text
    assert 'href="/papers/2510.14545"' in html  # the same cards as the feed
    assert '<article class="card">' in html
    assert "<mark>" in html and "Semantic index: all" in html
    assert "words and meaning" in html


def test_a_search_that_stops_counting_says_so(site, monkeypatch):
    from dailypapers.services import search

    many = site.get("/search", params={"q": "model"}).text
    assert "The best" not in many and " results" in many
    monkeypatch.setattr(search, "MAX_RESULTS", 3)  # fewer than the papers that match
    assert "The best 3 results" in site.get("/search", params={"q": "model"}).text


def test_an_exact_title_comes_first(site):
    html = site.get("/search", params={"q": "agentic entropy-balanced policy optimization"}).text
    first = html.index('<article class="card">')
    assert html.index("/papers/2510.14545", first) < html.index("</article>", first)


def test_form_filters_and_paging(site):
    html = site.get("/search", params={"q": "model", "org": "RUC", "has_code": "true"}).text
    assert "RUC" in html
    empty = site.get("/search", params={"q": "model", "after": "2030-01-01"}).text
    assert "No papers match" in empty
    past = site.get("/search", params={"q": "model", "p": 999})
    assert past.status_code == 200 and "past the end" in past.text


@pytest.mark.parametrize(("text", "status"), ODD_QUERIES)
def test_odd_queries_never_fail(site, loaded_storage, text, status):
    papers = loaded_storage.count_papers()
    assert site.get("/search", params={"q": text}).status_code == status
    api = site.get("/api/papers/search", params={"q": text})
    assert api.status_code == status
    if status == 200:
        assert isinstance(api.json(), list)
        assert all("paper" in entry for entry in api.json())
    else:
        assert "error" in api.json()
    assert loaded_storage.count_papers() == papers  # nothing was dropped or added


def test_unreadable_filters_are_400_with_a_message(site):
    page = site.get("/search", params={"q": "before:someday"})
    assert page.status_code == 400 and "before:" in page.text
    api = site.get("/api/papers/search", params={"q": "x", "after": "2024-02-31"})
    assert api.status_code == 400 and "after" in api.json()["error"]
    too_long = site.get("/api/papers/search", params={"q": "x" * 5000})
    assert too_long.status_code == 422 and "error" in too_long.json()
    assert site.get("/api/papers/search", params={"q": "x", "limit": 0}).status_code == 422


def test_the_api_answers_in_hugging_faces_shape(site):
    entries = site.get("/api/papers/search", params={"q": "2510.14545", "limit": 3}).json()
    assert entries[0]["paper"]["id"] == "2510.14545"
    assert {"paper", "title", "summary", "publishedAt"} <= set(entries[0])
    assert len(entries) == 3
    assert site.get("/api/papers/search").json() == []


def test_help_like_and_similar(site):
    assert "has:code" in site.get("/search/help").text
    like = site.get("/search/like", params={"text": "reinforcement learning for web agents"})
    assert like.status_code == 200 and "closest in meaning" in like.text
    paper = site.get("/papers/2510.14545").text
    assert "Similar papers" in paper and paper.count('<article class="card">') == 6


def test_without_vectors_search_still_answers_by_words(client):
    response = client.get("/search", params={"q": "entropy policy optimization"})
    assert response.status_code == 200 and "/papers/2510.14545" in response.text
