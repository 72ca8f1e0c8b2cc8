"""End to end with the packaged model: real papers, real vectors, meaning beyond words."""

from __future__ import annotations

from pathlib import Path

import pytest

from dailypapers.domain.search_query import parse_query
from dailypapers.search.embedder import default_embedder
from dailypapers.search.hybrid import HybridSearcher, SearchMode
from dailypapers.services.search import papers_like_text, search_papers
from dailypapers.services.semantic_index import embed_missing, indexing_progress
from dailypapers.storage import Storage, open_storage

from support.sites import load_recorded_days


@pytest.fixture(scope="module")
def embedder():
    return default_embedder()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, shared_data: Path, embedder) -> Storage:
    """Return a storage of the recorded days, every paper embedded by the real model."""
    folder = tmp_path_factory.mktemp("semantic")
    storage = open_storage(f"sqlite:///{folder / 'site.db'}")
    load_recorded_days(storage, shared_data)
    embed_missing(storage=storage, embedder=embedder)
    return storage


@pytest.fixture
def searcher(embedder) -> HybridSearcher:
    return HybridSearcher(load_embedder=lambda: embedder, timeout_s=10)


def test_every_paper_gets_a_unit_vector(indexed, embedder):
    progress = indexing_progress(storage=indexed, model=embedder.model_name)
    assert progress.complete and progress.total > 50
    vector = indexed.get_embedding(model=embedder.model_name, paper_id="2510.14545")
    assert vector.shape == (embedder.dimension,)
    assert abs(float((vector**2).sum()) - 1) < 1e-3


def test_a_paraphrase_finds_the_paper_by_meaning(indexed, searcher):
    searcher.warm_up()
    # The paper's words are "agentic reinforcement learning" and "entropy": a reader may
    # not use them. The vectors carry the meaning across.
    query = parse_query("balancing exploration uncertainty when training tool-using LLM agents")
    rankings = searcher.rankings(indexed, query, candidates=10)
    assert "2510.14545" in [near.paper_id for near in rankings.vector[:5]]
    page = search_papers(
        storage=indexed,
        searcher=searcher,
        text="balancing exploration uncertainty when training tool-using LLM agents",
    )
    assert page.outcome.mode is SearchMode.HYBRID
    assert "2510.14545" in [item.paper.id for item in page.papers[:5]]


def test_similar_papers_and_pasted_abstracts(indexed, searcher):
    searcher.warm_up()
    paper = indexed.get_papers(["2510.14545"])["2510.14545"]
    like = papers_like_text(storage=indexed, searcher=searcher, text=paper.abstract, limit=5)
    assert like.outcome.mode is SearchMode.SIMILAR
    assert like.outcome.took_ms > 0  # the page shows the time taken, not "0 ms"
    assert like.papers[0].paper.id == "2510.14545"
    similar = searcher.similar(indexed, "2510.14545", limit=6)
    assert len(similar) == 6 and all(item.paper_id != "2510.14545" for item in similar)


def test_a_single_list_ranks_only_its_own_length(indexed, searcher):
    searcher.warm_up()
    text = "reinforcement learning for language model agents"
    paged = search_papers(storage=indexed, searcher=searcher, text=text, page_size=5)
    listed = search_papers(storage=indexed, searcher=searcher, text=text, page_size=5, ranked=5)
    assert paged.total > 5  # pages show a total, so their search ranks as many as it can
    assert listed.total == 5 and len(listed.papers) == 5
    assert listed.outcome.mode is SearchMode.HYBRID
    assert listed.papers[0].paper.id == paged.papers[0].paper.id
