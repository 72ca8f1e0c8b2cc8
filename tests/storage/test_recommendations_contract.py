"""The recommender's part of the storage contract, on SQLite and on PostgreSQL: who gets a
For you digest section, and which embedding models there are."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from dailypapers.domain.papers import Paper
from dailypapers.storage import Storage

from support.accounts import add_member

NOW = datetime(2026, 8, 22, tzinfo=UTC)


def test_the_for_you_digest_goes_to_members_who_asked_and_are_not_banned(
    storage: Storage,
) -> None:
    ada, bea, cy = (add_member(storage, name) for name in ("ada", "bea", "cy"))
    emails = [ada.email, bea.email, cy.email, "nobody@example.org"]
    with storage.transaction():
        storage.set_digest_for_you(ada.id, enabled=True, now=NOW)
        storage.set_digest_for_you(bea.id, enabled=True, now=NOW)
    assert storage.digest_for_you_members(emails) == {ada.email: ada.id, bea.email: bea.id}
    with storage.transaction():
        storage.set_user_banned(bea.id, NOW)
        storage.set_digest_for_you(ada.id, enabled=False, now=NOW)
        storage.set_digest_for_you(cy.id, enabled=True, now=NOW)
    assert storage.digest_for_you_members(emails) == {cy.email: cy.id}
    with storage.transaction():
        storage.set_user_banned(bea.id, None)  # the ban is lifted: the choice still stands
    assert storage.digest_for_you_members(emails) == {bea.email: bea.id, cy.email: cy.id}


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
