"""The HNSW file beside SQLite under concurrent searches: they share it and never queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dailypapers.domain.papers import Paper
from dailypapers.storage.sqlite import SqliteStorage
from dailypapers.storage.vector_file import PAPER_EXPANSION, VectorFile

MODEL = "test-model"
WAIT_S = 10.0  # how long a search that must finish may take on a loaded machine
SETTLE_S = 0.3  # how long a search that must wait is given to finish anyway
PAPERS = [
    Paper(id=f"2401.0000{n}", title=f"Paper {n}", abstract="Words.", authors=()) for n in range(4)
]


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SqliteStorage]:
    """Return a SQLite storage with three of the four papers' vectors in its index."""
    store = SqliteStorage(f"sqlite:///{tmp_path / 'vectors.db'}")
    store.migrate()
    vectors = np.stack([unit(1, 0, 0), unit(0.9, 0.1, 0), unit(0, 1, 0)])
    with store.transaction():
        store.save_papers(PAPERS)
        store.save_embeddings(model=MODEL, paper_ids=[p.id for p in PAPERS[:3]], vectors=vectors)
    store.refresh_vector_index(model=MODEL)
    yield store
    store.close()


def nearest_in_thread(storage: SqliteStorage) -> tuple[threading.Event, list[list[str]]]:
    """Search from another thread (as another request would); return done and its answer."""
    done, answers = threading.Event(), []

    def search() -> None:
        found = storage.nearest_papers(model=MODEL, vector=unit(1, 0, 0), limit=4)
        answers.append([item.paper_id for item in found])
        storage.close()
        done.set()

    threading.Thread(target=search, daemon=True).start()
    return done, answers


def vector_file(storage: SqliteStorage) -> VectorFile:
    return storage._vector_files[MODEL]


def test_a_search_goes_on_while_another_is_inside_the_index(storage: SqliteStorage) -> None:
    with vector_file(storage).lock.reading():  # a search walking the graph
        done, answers = nearest_in_thread(storage)
        assert done.wait(WAIT_S), "the second search queued behind the first"
    assert answers == [["2401.00000", "2401.00001", "2401.00002"]]


def test_a_search_waits_only_while_vectors_are_being_added(storage: SqliteStorage) -> None:
    with vector_file(storage).lock.writing():  # an addition, which may grow the index
        done, answers = nearest_in_thread(storage)
        assert not done.wait(SETTLE_S), "a search walked the graph while it was changing"
    assert done.wait(WAIT_S)
    assert answers[0][0] == "2401.00000"


def test_while_another_thread_catches_up_a_search_answers_with_the_index_as_it_is(
    storage: SqliteStorage,
) -> None:
    with storage.transaction():
        storage.save_embeddings(
            model=MODEL, paper_ids=[PAPERS[3].id], vectors=unit(1, 0, 0.01)[None]
        )
    with vector_file(storage).catching_up:  # another request is adding the new vector
        done, answers = nearest_in_thread(storage)
        assert done.wait(WAIT_S), "the search waited for the catch-up"
    assert answers == [["2401.00000", "2401.00001", "2401.00002"]]
    found = storage.nearest_papers(model=MODEL, vector=unit(1, 0, 0), limit=4)
    assert [item.paper_id for item in found][:2] == ["2401.00000", "2401.00003"]


def test_searches_find_the_nearest_on_the_walk_they_ask_for() -> None:
    """A query walks the long way, a stored paper's own vector the short way: both find the
    nearest. Papers come in topics: 100 of 20 papers each here (a graph over random vectors,
    its hardest case, misses a neighbour now and then)."""
    rng = np.random.default_rng(5)
    topics = rng.normal(size=(100, 16))
    vectors = (np.repeat(topics, 20, axis=0) + rng.normal(scale=0.5, size=(2000, 16))).astype(
        np.float32
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorFile(None, model=MODEL, dimension=16)
    index.load()
    index.add((np.arange(1, 2001, dtype=np.int64), np.arange(2000, dtype=np.uint64), vectors))

    def recall(found: list[tuple[int, float]], vector: np.ndarray, count: int) -> float:
        """Return the share of the `count` nearest found, checking the answer's shape."""
        similarities = [similarity for _, similarity in found]
        assert len(found) == count and similarities == sorted(similarities, reverse=True)
        kth = np.sort(vectors @ vector)[::-1][count - 1]
        return float(np.mean([vectors[key] @ vector >= kth - 2e-3 for key, _ in found]))

    recalls = []
    for stored in range(0, 2000, 40):
        found = index.search(vectors[stored], 6, walk=PAPER_EXPANSION)
        recalls.append(recall(found, vectors[stored], 6))
    assert np.mean(recalls) >= 0.95
    queries = rng.normal(size=(50, 16)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    assert np.mean([recall(index.search(query, 10), query, 10) for query in queries]) >= 0.98
    assert len(index.search(vectors[0], 300, walk=PAPER_EXPANSION)) == 300  # more than a walk
