"""Hybrid search mechanics: fusion, pinning, words honoured by vectors, the time limit.

These use a tiny hashing embedder, so they test how the parts fit, not ranking quality;
tests/search/test_semantic_search.py runs the real model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.search.hybrid import COUNTING_SHARE, COUNTS_TTL_S, HybridSearcher, SearchMode
from dailypapers.services.semantic_index import embed_missing, indexing_progress, reindex
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage, search_sqlite
from dailypapers.worker.jobs import semantic_index_job

from support.embedders import HashingEmbedder

TOPICS = [
    ("Diffusion Transformers for Video", "We scale diffusion models with transformers for video."),
    ("Flow Matching", "Flow matching trains continuous normalizing flows for images."),
    ("A Survey of Language Models", "We survey large language models and their evaluation."),
    ("Reasoning Agents with Tools", "Language agents reason and call tools to answer questions."),
    ("Protein Folding", "Predicting protein structure from sequence with deep learning."),
]


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    store = open_storage(f"sqlite:///{tmp_path / 'hybrid.db'}")
    papers = [
        Paper(
            id=f"2501.{index:05d}",
            title=title,
            abstract=abstract,
            authors=("Ada Lovelace",),
            published_at=datetime(2025, 1, index + 1, tzinfo=UTC),
        )
        for index, (title, abstract) in enumerate(TOPICS)
    ]
    with store.transaction():
        store.save_papers(papers)
    return store


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def searcher(embedder: HashingEmbedder) -> HybridSearcher:
    return HybridSearcher(
        load_embedder=lambda: embedder, model_name=embedder.model_name, timeout_s=5
    )


def test_words_only_until_vectors_exist_then_hybrid(storage, embedder, searcher):
    query = parse_query("diffusion video")
    before = searcher.search(storage, query)
    assert before.mode is SearchMode.LEXICAL and "not built" in before.note
    assert before.paper_ids[0] == "2501.00000"
    assert embed_missing(storage=storage, embedder=embedder, batch_size=2) == len(TOPICS)
    searcher._counts = None  # forget the cached count
    after = searcher.search(storage, query)
    assert after.mode is SearchMode.HYBRID and after.note is None
    assert after.paper_ids[0] == "2501.00000"
    assert indexing_progress(storage=storage, model=embedder.model_name).complete


def test_exact_title_and_arxiv_id_are_pinned(storage, embedder, searcher):
    embed_missing(storage=storage, embedder=embedder)
    titled = searcher.search(storage, parse_query("flow matching."))
    assert titled.pinned == ["2501.00001"] and titled.paper_ids[0] == "2501.00001"
    named = searcher.search(storage, parse_query("https://arxiv.org/abs/2501.00003v2"))
    assert named.mode is SearchMode.EXACT
    assert named.paper_ids[0] == "2501.00003" and len(named.paper_ids) == len(TOPICS)
    assert searcher.search(storage, parse_query("2101.99999")).paper_ids == []


def test_vector_results_honour_phrases_and_exclusions(storage, embedder, searcher):
    embed_missing(storage=storage, embedder=embedder)
    rankings = searcher.rankings(storage, parse_query("language -survey"), candidates=10)
    found = [*rankings.vector, *rankings.lexical]
    assert "2501.00002" not in [item.paper_id for item in found]
    phrased = searcher.rankings(storage, parse_query('"protein structure"'), candidates=10)
    assert [near.paper_id for near in phrased.vector] == ["2501.00004"]
    assert [match.paper_id for match in phrased.lexical] == ["2501.00004"]


def test_a_late_embedding_falls_back_to_words(storage, embedder):
    embed_missing(storage=storage, embedder=embedder)
    release = threading.Event()

    class SlowEmbedder(HashingEmbedder):
        def embed_query(self, text: str) -> np.ndarray:
            release.wait(5)
            return super().embed_query(text)

    slow = HybridSearcher(
        load_embedder=SlowEmbedder, model_name=embedder.model_name, timeout_s=0.05
    )
    outcome = slow.search(storage, parse_query("diffusion"))
    release.set()
    assert outcome.mode is SearchMode.LEXICAL and "too slow" in outcome.note
    assert outcome.paper_ids == ["2501.00000"]
    assert outcome.took_ms < 2000


def test_the_vectors_are_searched_while_the_words_are(storage, embedder, searcher, monkeypatch):
    embed_missing(storage=storage, embedder=embedder)
    vectors_asked = threading.Event()
    search_vectors, search_words = storage.nearest_papers, storage.search_lexical_scored

    def nearest_papers(**arguments):
        vectors_asked.set()
        return search_vectors(**arguments)

    def search_lexical_scored(query, *, limit):
        # Done one after the other, the vector search would only start after this returns.
        assert vectors_asked.wait(10), "the vector search waited for the word search"
        return search_words(query, limit=limit)

    monkeypatch.setattr(storage, "nearest_papers", nearest_papers)
    monkeypatch.setattr(storage, "search_lexical_scored", search_lexical_scored)
    outcome = searcher.search(storage, parse_query("diffusion video"))
    assert outcome.mode is SearchMode.HYBRID and outcome.paper_ids[0] == "2501.00000"


def test_a_model_that_fails_to_load_leaves_words(storage, embedder):
    embed_missing(storage=storage, embedder=embedder)

    def broken() -> HashingEmbedder:
        raise RuntimeError("no model here")

    searcher = HybridSearcher(load_embedder=broken, timeout_s=0.5)
    outcome = searcher.search(storage, parse_query("diffusion"))
    assert outcome.mode is SearchMode.LEXICAL and outcome.paper_ids == ["2501.00000"]


def test_similar_papers_exclude_the_paper_itself(storage, embedder, searcher):
    embed_missing(storage=storage, embedder=embedder)
    similar = searcher.similar(storage, "2501.00002", limit=2)
    assert len(similar) == 2 and "2501.00002" not in [item.paper_id for item in similar]
    assert searcher.similar(storage, "2101.99999", limit=2) == []


def test_the_index_file_is_saved_reopened_caught_up_and_rebuilt(storage, embedder, tmp_path):
    embed_missing(storage=storage, embedder=embedder)
    index_file = Path(f"{storage.path}.{embedder.model_name}.usearch")
    assert index_file.exists()
    other = open_storage(storage.url)  # another process, as far as the file knows
    probe = embedder.embed_query("protein structure")
    assert other.nearest_papers(model=embedder.model_name, vector=probe, limit=1)[0].paper_id == (
        "2501.00004"
    )
    with storage.transaction():  # a new paper arrives, embedded elsewhere
        storage.save_papers(
            [
                Paper(
                    id="2502.00001",
                    title="Protein Design",
                    abstract="Design protein structure.",
                    authors=(),
                )
            ]
        )
    embed_missing(storage=storage, embedder=embedder)
    found = other.nearest_papers(model=embedder.model_name, vector=probe, limit=2)
    assert "2502.00001" in [item.paper_id for item in found]  # caught up from the database
    index_file.write_bytes(b"garbage")  # a damaged cache is rebuilt from the vectors
    third = open_storage(storage.url)
    nearest = third.nearest_papers(model=embedder.model_name, vector=probe, limit=1)
    assert [item.paper_id for item in nearest] == [found[0].paper_id] == ["2502.00001"]
    everything = third.nearest_papers(model=embedder.model_name, vector=probe, limit=100)
    assert sorted(item.paper_id for item in everything) == [
        *(f"2501.{index:05d}" for index in range(len(TOPICS))),
        "2502.00001",
    ]
    other.close()
    third.close()


def test_a_big_saved_index_is_read_aside_while_searches_go_on(
    storage, embedder, searcher, monkeypatch
):
    embed_missing(storage=storage, embedder=embedder)
    monkeypatch.setattr(search_sqlite, "INLINE_LOAD_BYTES", 0)  # every saved file is big
    reopened = open_storage(storage.url)  # a restarted server
    query = parse_query("protein structure")
    meanwhile = searcher.search(reopened, query)
    assert meanwhile.mode is SearchMode.LEXICAL and "loading" in (meanwhile.note or "")
    assert meanwhile.paper_ids == ["2501.00004"]  # the words answer
    loader = reopened._vector_files[embedder.model_name].loader
    assert loader is not None
    loader.join(timeout=30)
    after = searcher.search(reopened, query)
    assert after.mode is SearchMode.HYBRID and after.paper_ids[0] == "2501.00004"
    reopened.close()


def test_reindex_drops_other_models_and_full_embeds_again(storage, embedder):
    embed_missing(storage=storage, embedder=embedder)
    with storage.transaction():
        storage.save_embeddings(
            model="retired", paper_ids=["2501.00000"], vectors=embedder.embed_documents(["x"])
        )
    report = reindex(storage=storage, embedder=embedder)
    assert report.dropped == {"retired": 1} and report.embedded == 0
    full = reindex(storage=storage, embedder=embedder, full=True)
    assert full.dropped == {embedder.model_name: len(TOPICS)} and full.embedded == len(TOPICS)


def test_embedding_resumes_after_a_time_limit(storage, embedder):
    assert embed_missing(storage=storage, embedder=embedder, batch_size=2, max_seconds=0) == 0
    assert embed_missing(storage=storage, embedder=embedder, batch_size=2) == len(TOPICS)
    with storage.transaction():
        storage.save_papers(
            [replace(storage.get_papers(["2501.00001"])["2501.00001"], abstract="New.")]
        )
    assert embed_missing(storage=storage, embedder=embedder) == 1  # only the changed one


def test_the_indexing_job_takes_new_words_then_embeds(storage, embedder):
    job = semantic_index_job(
        settings=Settings(database_url=storage.url), storage=storage, load_embedder=lambda: embedder
    )
    assert job is not None
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert job.run(now).startswith(f"words of {len(TOPICS)} changed paper(s) indexed; embedded 5;")
    with storage.transaction():
        storage.save_papers(
            [replace(storage.get_papers(["2501.00001"])["2501.00001"], title="Optimal Transport")]
        )
    assert job.run(now).startswith("words of 1 changed paper(s) indexed; embedded 1;")
    # The word index is now current: the search takes nothing more before answering.
    assert storage.refresh_word_index() == 0
    assert storage.search_lexical(parse_query("optimal transport"), limit=3) == ["2501.00001"]


def test_the_indexing_job_comes_back_at_once_while_papers_wait(storage, embedder):
    settings = Settings(database_url=storage.url, search_index_seconds=0)
    job = semantic_index_job(settings=settings, storage=storage, load_embedder=lambda: embedder)
    assert job is not None
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert job.run(now).startswith(f"words of {len(TOPICS)} changed paper(s) indexed; embedded 0;")
    assert job.next_run(now) == now + timedelta(seconds=settings.search_index_interval_s)
    job = semantic_index_job(
        settings=Settings(database_url=storage.url), storage=storage, load_embedder=lambda: embedder
    )
    assert job is not None
    job.run(now)  # embeds every paper: more may have come meanwhile, so look again at once
    assert job.next_run(now) == now
    assert job.run(now) == ""  # nothing was waiting: back to the interval
    assert job.next_run(now) == now + timedelta(seconds=settings.search_index_interval_s)


def age_counts(searcher: HybridSearcher, seconds: float) -> None:
    """Make the searcher's counts look as if they were taken some seconds ago."""
    assert searcher._counts is not None
    searcher._counts = replace(searcher._counts, taken_at=searcher._counts.taken_at - seconds)


def counted_again(searcher: HybridSearcher, storage: Storage) -> tuple[int, int]:
    """Search's view of the counts once the aside check it started has finished."""
    searcher.counts(storage)  # starts the check aside, if one is due
    if searcher._counting is not None:
        searcher._counting.result(timeout=10)
    return searcher.counts(storage)


def test_old_counts_are_counted_again_aside_while_searches_use_them(storage, embedder, searcher):
    assert searcher.counts(storage) == (0, len(TOPICS))  # the first count is taken at once
    embed_missing(storage=storage, embedder=embedder)
    assert searcher.counts(storage) == (0, len(TOPICS))  # fresh enough: reused
    age_counts(searcher, COUNTS_TTL_S + 1)
    assert searcher.counts(storage) == (0, len(TOPICS))  # this search does not wait
    assert searcher._counting is not None
    searcher._counting.result(timeout=10)
    assert searcher.counts(storage) == (len(TOPICS), len(TOPICS))


def test_counts_are_not_taken_again_while_the_data_is_unchanged(
    storage, embedder, searcher, monkeypatch
):
    embed_missing(storage=storage, embedder=embedder)
    searcher.counts(storage)
    counted: list[int] = []
    count_papers = storage.count_papers
    monkeypatch.setattr(storage, "count_papers", lambda: counted.append(1) or count_papers())
    age_counts(searcher, COUNTS_TTL_S + 1)
    assert counted_again(searcher, storage) == (len(TOPICS), len(TOPICS))
    assert counted == []  # nothing written since: the counts still hold
    assert searcher._counts is not None and searcher._counts.due() > time.monotonic()
    storage.delete_embeddings(model=embedder.model_name)
    with storage.transaction():  # any write marks the data as changed
        storage.save_papers(list(storage.get_papers(["2501.00000"]).values()))
    age_counts(searcher, COUNTS_TTL_S + 1)
    assert counted_again(searcher, storage) == (0, len(TOPICS))
    assert counted == [1]


def test_two_searches_that_ask_for_a_count_at_once_count_once(
    storage, embedder, searcher, monkeypatch
):
    searcher.counts(storage)
    embed_missing(storage=storage, embedder=embedder)  # the data changed
    counted: list[int] = []
    count_papers = storage.count_papers
    monkeypatch.setattr(storage, "count_papers", lambda: counted.append(1) or count_papers())
    assert searcher.model_name is not None
    # As two searches that both found the counts due before either check had run.
    asked = [
        searcher._counter.submit(searcher._count, storage, searcher.model_name) for _ in range(2)
    ]
    assert [check.result(timeout=10).vectors for check in asked] == [len(TOPICS)] * 2
    assert counted == [1]


def test_a_slow_count_is_taken_again_more_rarely(storage, embedder, searcher):
    searcher.counts(storage)
    assert searcher._counts is not None
    searcher._counts = replace(searcher._counts, took_s=1.0)  # as counting a million rows
    embed_missing(storage=storage, embedder=embedder)
    age_counts(searcher, COUNTS_TTL_S + 1)
    assert counted_again(searcher, storage) == (0, len(TOPICS))  # not due for 50 s
    age_counts(searcher, 1.0 / COUNTING_SHARE)
    assert counted_again(searcher, storage) == (len(TOPICS), len(TOPICS))


def test_similar_papers_are_kept_until_the_data_changes(storage, embedder, searcher):
    embed_missing(storage=storage, embedder=embedder)
    first = searcher.similar(storage, "2501.00000", limit=2)
    vector_file = storage._vector_files[embedder.model_name]
    answers: list[list[str]] = []
    with vector_file.lock.writing():  # nobody can walk the graph now
        asked = threading.Thread(
            target=lambda: answers.append(
                [item.paper_id for item in searcher.similar(storage, "2501.00000", limit=2)]
            )
        )
        asked.start()
        asked.join(10)
    assert answers == [[item.paper_id for item in first]], "the kept answer was not used"
    twin = Paper(
        id="2501.00009", title=TOPICS[0][0], abstract=TOPICS[0][1], authors=("Grace Hopper",)
    )
    with storage.transaction():
        storage.save_papers([twin])
    embed_missing(storage=storage, embedder=embedder)
    after = searcher.similar(storage, "2501.00000", limit=2)
    assert after[0].paper_id == "2501.00009"  # the new, identical paper: the data changed


def test_similar_papers_load_the_model_on_a_server_where_nobody_searched_yet(storage, embedder):
    embed_missing(storage=storage, embedder=embedder)
    fresh = HybridSearcher(load_embedder=lambda: embedder, timeout_s=5)  # learns the name
    assert fresh.similar(storage, "2501.00002", limit=2) == []  # the model starts loading
    deadline = time.monotonic() + 10
    while fresh.model_name is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(fresh.similar(storage, "2501.00002", limit=2)) == 2
