"""The recommender's part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

import numpy as np

from dailypapers.domain.papers import Paper
from dailypapers.storage import Storage


def test_embedding_models_are_named_without_counting(storage: Storage) -> None:
    assert storage.embedding_models() == []
    papers = [Paper(f"2401.0000{n}", f"Paper {n}", "Abstract", ("Ada",)) for n in range(3)]
    vectors = np.eye(3, dtype=np.float32)
    with storage.transaction():
        storage.save_papers(papers)
        storage.save_embeddings(model="b-model", paper_ids=[p.id for p in papers], vectors=vectors)
        storage.save_embeddings(model="a-model", paper_ids=[papers[0].id], vectors=vectors[:1])
    assert storage.embedding_models() == ["a-model", "b-model"]
    with storage.transaction():
        storage.delete_embeddings(model="a-model")
    assert storage.embedding_models() == ["b-model"]
