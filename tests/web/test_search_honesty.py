"""The search API says which engines answered, and a words-only answer is never cached;
nor is a paper page shown without its similar papers while the model loads."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from dailypapers.search.hybrid import HybridSearcher
from dailypapers.services.semantic_index import embed_missing
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.storage.search_types import SimilarPaper
from dailypapers.web.app import create_app

from support.embedders import HashingEmbedder
from support.sites import NOW

QUERY = {"q": "entropy policy optimization"}


def site_with(storage: Storage, searcher: HybridSearcher, cache_seconds: float) -> TestClient:
    app = create_app(
        Settings(database_url=storage.url, cache_seconds=cache_seconds),
        storage=storage,
        clock=lambda: NOW,
        searcher=searcher,
    )
    return TestClient(app)


@pytest.fixture
def embedder(loaded_storage: Storage) -> HashingEmbedder:
    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    return embedder


def test_a_hybrid_answer_names_both_engines_and_may_be_cached(loaded_storage, embedder):
    searcher = HybridSearcher(
        load_embedder=lambda: embedder,
        model_name=embedder.model_name,
        timeout_s=5,
        meaning_floor=0.0,
    )
    site = site_with(loaded_storage, searcher, cache_seconds=60)
    response = site.get("/api/papers/search", params=QUERY)
    assert response.headers["X-Search-Engines"] == "words,meaning"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    entries = response.json()
    assert entries and all(entry["searchEngines"] == "words,meaning" for entry in entries)
    assert not any(entry["closestInMeaning"] for entry in entries)
    page = site.get("/search", params=QUERY)
    assert page.headers["X-Search-Engines"] == "words,meaning"


def test_the_status_line_agrees_with_a_search_the_model_loaded_for(loaded_storage, embedder):
    searcher = HybridSearcher(load_embedder=lambda: embedder, timeout_s=5, meaning_floor=0.0)
    site = site_with(loaded_storage, searcher, cache_seconds=0)
    page = site.get("/search", params=QUERY)  # the first search: the model loads meanwhile
    assert page.headers["X-Search-Engines"] == "words,meaning"
    assert "words and meaning" in page.text and "model is loading" not in page.text


def test_while_the_model_loads_the_answer_says_words_and_is_not_cached(loaded_storage, embedder):
    ready = threading.Event()

    def load() -> HashingEmbedder:
        ready.wait(30)
        return embedder

    searcher = HybridSearcher(load_embedder=load, timeout_s=0.05, meaning_floor=0.0)
    site = site_with(loaded_storage, searcher, cache_seconds=60)
    early = site.get("/api/papers/search", params=QUERY)
    assert early.status_code == 200 and early.json()
    assert early.headers["X-Search-Engines"] == "words"
    assert early.headers["Cache-Control"] == "no-store"
    assert {entry["searchEngines"] for entry in early.json()} == {"words"}
    page = site.get("/search", params=QUERY)
    assert page.headers["Cache-Control"] == "no-store" and "matching words" in page.text
    assert page.text.lower().count("language model is loading") == 1  # said once, not twice
    ready.set()
    assert searcher.wait_until_ready(30)
    # Had the words-only answer been kept, the cache would serve it again now.
    later = site.get("/api/papers/search", params=QUERY)
    assert later.headers["X-Search-Engines"] == "words,meaning"
    assert "words and meaning" in site.get("/search", params=QUERY).text


class CountingSearcher(HybridSearcher):
    """Counts the paper pages rendered: each asks for the paper's kept similar papers once."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.rendered = 0

    def kept_similar(
        self, storage: Storage, paper_id: str, *, limit: int
    ) -> list[SimilarPaper] | None:
        self.rendered += 1
        return super().kept_similar(storage, paper_id, limit=limit)


def test_a_paper_page_shown_while_the_model_loads_is_not_cached(loaded_storage, embedder):
    ready = threading.Event()

    def load() -> HashingEmbedder:
        ready.wait(30)
        return embedder

    searcher = CountingSearcher(load_embedder=load, timeout_s=0.05)
    site = site_with(loaded_storage, searcher, cache_seconds=60)
    early = site.get("/papers/2510.14545")
    assert early.status_code == 200 and "Similar papers" not in early.text
    assert early.headers["Cache-Control"] == "no-store"
    ready.set()
    assert searcher.wait_until_ready(30)
    later = site.get("/papers/2510.14545")  # rendered again: the early page was not kept
    assert "Similar papers" in later.text and searcher.rendered == 2
    site.get("/papers/2510.14545")  # this one was
    assert searcher.rendered == 2


def test_a_site_without_a_model_keeps_its_paper_pages(loaded_storage):
    searcher = CountingSearcher(load_embedder=None)  # semantic search off: never loading
    site = site_with(loaded_storage, searcher, cache_seconds=60)
    for _ in range(2):
        page = site.get("/papers/2510.14545")
        assert page.status_code == 200 and "Similar papers" not in page.text
    assert searcher.rendered == 1


@pytest.mark.parametrize("text", ["asdfghjkl qwertyuiop", "大型语言模型"])
def test_nonsense_says_no_papers_match_and_labels_the_closest(loaded_storage, embedder, text):
    searcher = HybridSearcher(
        load_embedder=lambda: embedder,
        model_name=embedder.model_name,
        timeout_s=5,
        meaning_floor=0.5,  # the hashing embedder's cosines run lower than a model's
    )
    site = site_with(loaded_storage, searcher, cache_seconds=0)
    html = site.get("/search", params={"q": text}).text
    assert "No papers match" in html and "Closest in meaning" in html
    assert " results" not in html
    assert 0 < html.count('<article class="card">') <= 5
    api = site.get("/api/papers/search", params={"q": text})
    assert api.headers["X-Search-Engines"] == "meaning"
    entries = api.json()
    assert 0 < len(entries) <= 5 and all(entry["closestInMeaning"] for entry in entries)


class StuckEmbedder(HashingEmbedder):
    """Embeds a query only when let go, and counts the queries it started."""

    def __init__(self) -> None:
        super().__init__()
        self.let_go = threading.Event()
        self.started: list[str] = []

    def embed_query(self, text: str) -> NDArray[np.float32]:
        self.started.append(text)
        self.let_go.wait(30)
        return super().embed_query(text)


def test_a_slow_embedding_answers_by_words_and_leaves_no_queue_behind(loaded_storage, embedder):
    stuck = StuckEmbedder()
    searcher = HybridSearcher(
        load_embedder=lambda: stuck, model_name=embedder.model_name, timeout_s=0.05
    )
    site = site_with(loaded_storage, searcher, cache_seconds=60)
    ahead = threading.Thread(
        target=searcher.embed_query, args=("sparse attention",), kwargs={"timeout_s": 30}
    )
    ahead.start()  # holds the embedding thread until let go
    for _ in range(600):
        if stuck.started:
            break
        time.sleep(0.05)
    assert stuck.started == ["sparse attention"]
    for query in ("entropy policy optimization", "language model agents", "video diffusion"):
        answer = site.get("/api/papers/search", params={"q": query})
        assert answer.status_code == 200 and answer.json()
        assert answer.headers["X-Search-Engines"] == "words"
        assert answer.headers["Cache-Control"] == "no-store"
    stuck.let_go.set()
    ahead.join(30)
    assert searcher.embed_query("sparse mixture of experts", timeout_s=30) is not None
    # The three searches' embeddings timed out before they started and were dropped, so
    # the next query did not wait behind them.
    assert stuck.started == ["sparse attention", "sparse mixture of experts"]
