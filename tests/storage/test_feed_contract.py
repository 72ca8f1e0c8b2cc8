"""The your-feed storage contract (collections, signals, member models, vectors, erasing a
member), run on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from dailypapers.domain.follows import Follow, FollowKind
from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.domain.recommendations import MemberModel, MemberVersions
from dailypapers.storage import Storage

from support.accounts import add_member

NOW = datetime(2026, 8, 22, 12, tzinfo=UTC)
MODEL = "test-model"


def papers_with_vectors(storage: Storage, count: int) -> np.ndarray:
    """Store `count` papers featured one a day back from NOW, each with a random unit vector."""
    rng = np.random.default_rng(count)
    vectors = rng.normal(size=(count, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"2601.{i:05d}" for i in range(count)]
    with storage.transaction():
        storage.save_papers([Paper(i, f"Title {i}", "Abstract", ("Ada",)) for i in ids])
        storage.save_entries(
            [
                DailyEntry(paper_id, NOW.date() - timedelta(days=n), NOW - timedelta(days=n))
                for n, paper_id in enumerate(ids)
            ]
        )
        storage.save_embeddings(model=MODEL, paper_ids=ids, vectors=vectors)
    return vectors


def test_collections_hold_papers_with_notes_and_stay_with_their_owner(storage: Storage) -> None:
    papers_with_vectors(storage, 3)
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    with storage.transaction():
        saved = storage.create_collection(
            user_id=ada.id, name="Saved", description="", public=False, is_default=True, now=NOW
        )
        reading = storage.create_collection(
            user_id=ada.id, name="Reading", description="d", public=True, is_default=False, now=NOW
        )
        clash = storage.create_collection(
            user_id=ada.id, name="reading", description="", public=False, is_default=False, now=NOW
        )
        bobs = storage.create_collection(
            user_id=bob.id, name="Reading", description="", public=False, is_default=False, now=NOW
        )
    assert saved and reading and bobs and clash is None
    with storage.transaction():
        storage.add_to_collection(
            collection_id=saved.id, paper_id="2601.00000", note="first", now=NOW
        )
        storage.add_to_collection(collection_id=saved.id, paper_id="2601.00000", note=None, now=NOW)
        storage.add_to_collection(
            collection_id=reading.id, paper_id="2601.00001", note="", now=NOW + timedelta(1)
        )
    items = storage.collection_items(saved.id)
    assert [(i.paper_id, i.note) for i in items] == [("2601.00000", "first")]  # kept the note
    assert storage.default_collection(ada.id) == storage.get_collection(saved.id)
    assert [c.name for c in storage.user_collections(ada.id)] == ["Saved", "Reading"]
    assert [c.name for c in storage.user_collections(ada.id, public_only=True)] == ["Reading"]
    assert storage.get_collection(saved.id).paper_count == 1  # type: ignore[union-attr]
    assert storage.collections_holding(ada.id, ["2601.00000", "2601.00002"]) == {
        "2601.00000": [saved.id]
    }
    assert storage.collections_holding(bob.id, ["2601.00000"]) == {}
    assert storage.saved_paper_ids(ada.id) == ["2601.00001", "2601.00000"]
    with storage.transaction():
        assert not storage.update_collection(
            reading.id, name="SAVED", description="", public=False, now=NOW
        )
        assert storage.update_collection(
            reading.id, name="Later", description="x", public=False, now=NOW
        )
        assert storage.remove_from_collection(collection_id=saved.id, paper_id="2601.00000")
        assert not storage.remove_from_collection(collection_id=saved.id, paper_id="2601.00000")
        storage.delete_collection(reading.id)
    assert storage.get_collection(reading.id) is None
    assert storage.saved_paper_ids(ada.id) == []


def test_vectors_come_back_by_window_and_by_id_exactly(storage: Storage) -> None:
    vectors = papers_with_vectors(storage, 6)
    ids, window = storage.featured_vectors(
        model=MODEL, start=NOW.date() - timedelta(days=2), end=NOW.date() + timedelta(days=1)
    )
    assert sorted(ids) == ["2601.00000", "2601.00001", "2601.00002"]
    for paper_id, row in zip(ids, window, strict=True):
        np.testing.assert_allclose(row, vectors[int(paper_id[-1])], atol=1e-6)
    newest, _ = storage.featured_vectors(
        model=MODEL, start=date(2000, 1, 1), end=NOW.date() + timedelta(days=1), limit=2
    )
    assert newest == ["2601.00000", "2601.00001"]
    asked = ["2601.00004", "9999.99999", "2601.00001"]
    found, matrix = storage.paper_vectors(model=MODEL, paper_ids=asked)
    assert found == ["2601.00004", "2601.00001"]
    np.testing.assert_allclose(matrix, vectors[[4, 1]], atol=1e-6)
    assert storage.paper_vectors(model="other", paper_ids=asked)[0] == []


def test_signals_mark_a_model_stale_until_it_is_refitted(storage: Storage) -> None:
    papers_with_vectors(storage, 5)
    ada = add_member(storage, "ada")
    assert storage.member_versions(ada.id) is None  # nothing liked or disliked yet
    with storage.transaction():
        storage.add_vote(user_id=ada.id, paper_id="2601.00000", now=NOW)
        storage.add_interest_seeds(user_id=ada.id, paper_ids=["2601.00001"], now=NOW)
        saved = storage.create_collection(
            user_id=ada.id, name="Saved", description="", public=False, is_default=True, now=NOW
        )
        assert saved is not None
        storage.add_to_collection(collection_id=saved.id, paper_id="2601.00002", note="", now=NOW)
        storage.add_to_collection(collection_id=saved.id, paper_id="2601.00003", note="", now=NOW)
        storage.dismiss_paper(user_id=ada.id, paper_id="2601.00003", now=NOW + timedelta(1))
        storage.dismiss_paper(user_id=ada.id, paper_id="2601.00004", now=NOW + timedelta(2))
        storage.mark_signals_changed(ada.id)
        storage.mark_signals_changed(ada.id)
    signals = storage.member_signals(ada.id, limit=100)
    assert sorted(signals.positives) == ["2601.00000", "2601.00001", "2601.00002"]
    assert signals.negatives == ("2601.00004", "2601.00003")  # newest first
    assert storage.stale_member_models(limit=10) == [(ada.id, 2)]
    assert storage.member_versions(ada.id) == MemberVersions(2, None)  # signals, no fit yet
    model = MemberModel(
        ada.id,
        MODEL,
        np.arange(8, dtype=np.float32),
        0.5,
        3,
        2,
        NOW,
        terms={"qwen": 0.25, "über": -0.5},
        authors={"Zoë Ng": 6.9},
        liked_by={"Zoë Ng": ["2601.00001", "2601.00000"]},
    )
    with storage.transaction():
        storage.save_member_model(model, fitted_version=2)
    assert storage.stale_member_models(limit=10) == []
    stored = storage.get_member_model(ada.id)
    assert stored is not None and stored.bias == 0.5 and stored.model == MODEL
    np.testing.assert_array_equal(stored.weights, model.weights)
    assert stored.terms == model.terms and stored.authors == model.authors
    assert stored.liked_by == model.liked_by
    assert storage.member_versions(ada.id) == MemberVersions(2, (2, NOW))
    with storage.transaction():
        storage.mark_signals_changed(ada.id)
    assert storage.stale_member_models(limit=10) == [(ada.id, 3)]
    assert storage.member_versions(ada.id) == MemberVersions(3, (2, NOW))  # the same fit
    with storage.transaction():
        storage.save_member_model(replace(model, fitted_at=NOW + timedelta(1)), fitted_version=3)
    assert storage.member_versions(ada.id) == MemberVersions(3, (3, NOW + timedelta(1)))
    with storage.transaction():
        storage.forget_member_model(ada.id, fitted_version=3)
        assert storage.undismiss_paper(user_id=ada.id, paper_id="2601.00004")
        assert not storage.undismiss_paper(user_id=ada.id, paper_id="2601.00004")
    assert storage.get_member_model(ada.id) is None and storage.stale_member_models(limit=9) == []
    assert storage.member_versions(ada.id) == MemberVersions(3, None)


@pytest.mark.parametrize("remove_comments", [False, True])
def test_erasing_a_member_keeps_counts_true(storage: Storage, remove_comments: bool) -> None:
    papers_with_vectors(storage, 2)
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    with storage.transaction():
        for user in (ada, bob):
            storage.add_vote(user_id=user.id, paper_id="2601.00000", now=NOW)
        comment_id = storage.add_comment(
            paper_id="2601.00000", user_id=ada.id, body="mine", parent_id=None, now=NOW
        )
        storage.dismiss_paper(user_id=ada.id, paper_id="2601.00001", now=NOW)
        storage.add_follow(user_id=ada.id, follow=Follow(FollowKind.AUTHOR, "ada", "Ada"), now=NOW)
    activity = storage.member_activity(ada.id)
    assert [f["label"] for f in activity["follows"]] == ["Ada"]
    assert [v["paper"] for v in activity["votes"]] == ["2601.00000"]
    assert [c["body"] for c in activity["comments"]] == ["mine"]
    with storage.transaction():
        storage.erase_member(ada.id, remove_comments=remove_comments, now=NOW)
    paper = storage.get_papers(["2601.00000"])["2601.00000"]
    assert paper.local_upvotes == 1 and paper.local_comments == (0 if remove_comments else 1)
    kept = storage.get_comment(comment_id)
    assert kept is not None and kept.deleted == remove_comments
    assert kept.author_fullname == "deleted member"
    gone = storage.member_activity(ada.id)
    assert storage.find_user("ada") is None and gone["votes"] == gone["follows"] == []
    assert storage.voted_paper_ids(bob.id, ["2601.00000"]) == {"2601.00000"}
