"""For you on both backends: learned from likes, never showing what was seen, moved by
"not interested", explained by the nearest like, and trending before any signal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from dailypapers.domain.accounts import User
from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.domain.ranking import SortMode, rank
from dailypapers.services import collections, recommendations, votes
from dailypapers.services.feed import RankingCache
from dailypapers.services.member_models import MemberModels
from dailypapers.storage import Storage

from support.accounts import add_member

NOW = datetime(2026, 8, 22, 12, tzinfo=UTC)
TRENDING = SortMode.TRENDING
MODEL = "test-model"
DIMENSION = 16


@pytest.fixture
def storage(backend_storage: Storage) -> Storage:
    """Return an empty, migrated storage on each backend."""
    return backend_storage


def topic_vector(rng: np.random.Generator, topic: int) -> np.ndarray:
    """Return a unit vector near one of two directions: topic 0 or topic 1."""
    vector = rng.normal(scale=0.3, size=DIMENSION)
    vector[topic] += 3.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def site(storage: Storage) -> dict[str, int]:
    """Store 40 papers over 20 days, alternating two topics, upvotes rising with the id.

    Papers 2608.000NN with NN even are about topic 0, odd about topic 1. Returns each id's topic.
    """
    rng = np.random.default_rng(7)
    topics = {f"2608.{n:05d}": n % 2 for n in range(40)}
    ids = list(topics)
    with storage.transaction():
        storage.save_papers(
            [Paper(i, f"Paper {i}", "Abstract", ("Ada",), upvotes=n) for n, i in enumerate(ids)]
        )
        storage.save_entries(
            [
                DailyEntry(i, NOW.date() - timedelta(days=n // 2), NOW - timedelta(days=n // 2))
                for n, i in enumerate(ids)
            ]
        )
        storage.save_embeddings(
            model=MODEL,
            paper_ids=ids,
            vectors=np.stack([topic_vector(rng, topics[i]) for i in ids]).astype(np.float32),
        )
    return topics


def recommend(
    storage: Storage, user: User, days: int = 20, limit: int = 10, **options: Any
) -> recommendations.Recommendations:
    """Return the member's recommendations over the past `days` days (with these options:
    papers to leave out, kept rankings, windows or models)."""
    start, end = recommendations.window_ending(storage, days=days, today=NOW.date())
    return recommendations.recommend_for_member(
        storage=storage, user_id=user.id, start=start, end=end, limit=limit, now=NOW, **options
    )


def refit(storage: Storage) -> int:
    """Run the background refit, as the worker does."""
    return recommendations.refit_stale_models(storage=storage, model_name=MODEL, now=NOW)


def test_without_signals_a_member_sees_trending(storage: Storage, site: dict[str, int]) -> None:
    ada = add_member(storage, "ada")
    found = recommend(storage, ada)
    assert not found.personal and not found.waiting_for_model
    trending = rank(storage.rankables(start=found.start, end=found.end), sort=TRENDING, now=NOW)
    assert len(trending) == 40
    assert [r.item.paper.id for r in found.items] == [item.paper_id for item in trending[:10]]
    assert refit(storage) == 0  # nothing to fit


class CountingReads:
    """The storage, counting the calls of one of its reads."""

    def __init__(self, storage: Storage, counted: str) -> None:
        self.storage = storage
        self.counted = counted
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.storage, name)
        if name != self.counted:
            return found

        def counting(*args: object, **options: object) -> object:
            self.reads += 1
            return found(*args, **options)

        return counting


def test_members_without_a_model_share_one_trending_ranking(
    storage: Storage, site: dict[str, int]
) -> None:
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    start, end = recommendations.window_ending(storage, days=20, today=NOW.date())
    trending = [
        item.paper_id
        for item in rank(storage.rankables(start=start, end=end), sort=TRENDING, now=NOW)
    ]
    with storage.transaction():
        for paper_id in trending[:3]:
            recommendations.dismiss(storage=storage, user_id=bob.id, paper_id=paper_id, now=NOW)
    counting, rankings = CountingReads(storage, "each_rankable"), RankingCache()

    def shown(user: User) -> list[str]:
        found = recommend(counting, user, rankings=rankings)  # type: ignore[arg-type]
        return [r.item.paper.id for r in found.items]

    assert shown(ada) == trending[:10]
    assert shown(bob) == trending[3:13]  # what he dismissed is left out, ten still shown
    assert counting.reads == 1


def test_likes_teach_the_model_and_seen_papers_never_come_back(
    storage: Storage, site: dict[str, int]
) -> None:
    ada = add_member(storage, "ada")
    liked = ["2608.00030", "2608.00032", "2608.00034"]  # topic 0
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id=liked[0], voted=True, now=NOW)
        collections.add_paper(
            storage=storage, user_id=ada.id, collection_id=None, paper_id=liked[1], now=NOW
        )
        recommendations.seed_interests(
            storage=storage, user_id=ada.id, categories=[], pasted=liked[2], now=NOW
        )
    waiting = recommend(storage, ada)
    assert not waiting.personal and waiting.waiting_for_model  # not fitted on the request
    assert refit(storage) == 1 and refit(storage) == 0  # refitted once, then up to date
    found = recommend(storage, ada)
    shown = [r.item.paper.id for r in found.items]
    assert found.personal and found.excluded == 3
    assert not set(shown) & set(liked)
    assert all(site[paper_id] == 0 for paper_id in shown[:5]), shown  # topic 0 first
    assert all(r.because is not None and r.because.paper.id in liked for r in found.items)


def test_not_interested_hides_the_paper_and_moves_the_rest(
    storage: Storage, site: dict[str, int]
) -> None:
    ada = add_member(storage, "ada")
    with storage.transaction():
        for paper_id in ("2608.00030", "2608.00031"):  # one of each topic: no preference yet
            votes.set_vote(storage=storage, user=ada, paper_id=paper_id, voted=True, now=NOW)
    refit(storage)
    before = [r.item.paper.id for r in recommend(storage, ada).items]
    first = before[0]
    with storage.transaction():
        recommendations.dismiss(storage=storage, user_id=ada.id, paper_id=first, now=NOW)
    hidden_at_once = [r.item.paper.id for r in recommend(storage, ada).items]
    assert first not in hidden_at_once  # hidden before any refit
    with storage.transaction():
        for paper_id in before[1:6]:
            if site[paper_id] == site[first]:
                recommendations.dismiss(storage=storage, user_id=ada.id, paper_id=paper_id, now=NOW)
    refit(storage)
    after = [r.item.paper.id for r in recommend(storage, ada).items]
    disliked_topic = site[first]
    assert after != hidden_at_once
    assert all(site[paper_id] != disliked_topic for paper_id in after[:5]), after
    with storage.transaction():
        assert recommendations.undo_dismiss(storage=storage, user_id=ada.id, paper_id=first)
    assert [user_id for user_id, _ in storage.stale_member_models(limit=5)] == [ada.id]


def test_members_models_are_their_own(storage: Storage, site: dict[str, int]) -> None:
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id="2608.00030", voted=True, now=NOW)
        votes.set_vote(storage=storage, user=bob, paper_id="2608.00031", voted=True, now=NOW)
    assert refit(storage) == 2
    ada_first = recommend(storage, ada).items[0].item.paper.id
    bob_first = recommend(storage, bob).items[0].item.paper.id
    assert site[ada_first] == 0 and site[bob_first] == 1


def test_the_worker_fits_on_the_sites_embedding_model(
    storage: Storage, site: dict[str, int]
) -> None:
    """The worker names no model: the only one with vectors, or the one with the most."""
    ada = add_member(storage, "ada")
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id="2608.00030", voted=True, now=NOW)
        storage.save_embeddings(  # a few vectors of a model being tried out
            model="another-model",
            paper_ids=[f"2608.{n:05d}" for n in range(10)],
            vectors=np.eye(10, DIMENSION, dtype=np.float32),
        )
    assert recommendations.refit_stale_models(storage=storage, model_name=None, now=NOW) == 1
    fitted = storage.get_member_model(ada.id)
    assert fitted is not None and fitted.model == MODEL
    with storage.transaction():
        storage.delete_embeddings(model=MODEL)
        votes.set_vote(storage=storage, user=ada, paper_id="2608.00001", voted=True, now=NOW)
    assert recommendations.refit_stale_models(storage=storage, model_name=None, now=NOW) == 1
    fitted = storage.get_member_model(ada.id)
    assert fitted is not None and fitted.model == "another-model"


def test_the_refit_job_reads_the_background_ahead_once_a_member_has_a_model(
    storage: Storage, site: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refit job reads the papers refits contrast likes with before a refit needs them,
    and only on a site where a member uses For you."""
    from dailypapers.settings import Settings
    from dailypapers.worker.recommendation_jobs import recommendation_job

    def feature(paper_id: str) -> None:
        with storage.transaction():
            storage.save_papers([Paper(paper_id, "New", "A", ("Bo",))])
            storage.save_entries([DailyEntry(paper_id, NOW.date(), NOW)])
            storage.save_embeddings(
                model=MODEL, paper_ids=[paper_id], vectors=np.ones((1, DIMENSION), np.float32)
            )

    def keep_for_an_hour() -> None:
        monkeypatch.setattr(
            recommendations, "BACKGROUND_PAPERS", recommendations.WindowPapers(ttl_s=3600)
        )

    job = recommendation_job(
        settings=Settings(database_url=storage.url), storage=storage, clock=lambda: NOW
    )
    assert job is not None
    keep_for_an_hour()
    job.run(NOW)  # no member uses For you: nothing is read
    feature("2608.00042")
    ada = add_member(storage, "ada")
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id="2608.00030", voted=True, now=NOW)
    assert refit(storage) == 1
    fitted = storage.get_member_model(ada.id)
    assert fitted is not None and fitted.negatives == 40  # read now: 2608.00042 in
    keep_for_an_hour()  # nothing kept: as in a worker just started
    job.run(NOW)  # no model to refit: the job reads the background ahead all the same
    feature("2608.00043")  # after the read: the next refit contrasts with the papers read
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id="2608.00031", voted=True, now=NOW)
    assert refit(storage) == 1
    fitted = storage.get_member_model(ada.id)
    assert fitted is not None and fitted.negatives == 39  # 2608.00043 out, two liked out


def test_pasted_lines_that_name_no_paper_are_reported(
    storage: Storage, site: dict[str, int]
) -> None:
    ada = add_member(storage, "ada")
    with storage.transaction():
        storage.save_papers(
            [Paper("2608.09999", "Tagged", "A", ("Bo",), categories=("cs.CL",), upvotes=9)]
        )
        report = recommendations.seed_interests(
            storage=storage,
            user_id=ada.id,
            categories=["cs.CL", "no such:thing", "zz.ZZ"],
            pasted="https://arxiv.org/abs/2608.00002v3\nPaper 2608.00004\nno such title\n",
            now=NOW,
        )
    assert report.paper_ids == ["2608.00002", "2608.00004", "2608.09999"]
    assert report.unknown == ["no such title", "no such:thing", "zz.ZZ"]


def test_a_kept_model_answers_as_a_fresh_read_until_refitted(
    storage: Storage, site: dict[str, int]
) -> None:
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    counting = CountingReads(storage, "get_member_model")  # the models read whole
    signals = CountingReads(counting, "member_signals")  # type: ignore[arg-type]
    members = MemberModels(kept=1)  # ada's and bob's requests push each other out
    windows = recommendations.WindowPapers(ttl_s=3600)

    def shown(user: User, kept: MemberModels | None, **options: Any) -> list[tuple[object, ...]]:
        found = recommend(
            signals,  # type: ignore[arg-type]
            user,
            window_papers=windows,
            members=kept,
            **options,
        )
        return [
            (r.item.paper.id, r.score, r.because and r.because.paper.id, r.because_author)
            for r in found.items
        ]

    def vote(user: User, *paper_ids: str) -> None:
        with storage.transaction():
            for paper_id in paper_ids:
                votes.set_vote(storage=storage, user=user, paper_id=paper_id, voted=True, now=NOW)

    # Ada's first like is an older paper of topic 0 by another author: the reasons are then
    # the nearest likes by vector, and a like added before the next refit can be named.
    older = "2607.00001"
    with storage.transaction():
        storage.save_papers([Paper(older, "Older", "Abstract", ("Zed",))])
        storage.save_entries([DailyEntry(older, NOW.date() - timedelta(60), NOW - timedelta(60))])
        storage.save_embeddings(
            model=MODEL,
            paper_ids=[older],
            vectors=topic_vector(np.random.default_rng(2), 0)[None].astype(np.float32),
        )
    vote(ada, older)
    vote(bob, "2608.00031")
    refit(storage)
    first = shown(ada, members)
    assert site[str(first[0][0])] == 0 and {row[2] for row in first} == {older}
    reads, signal_reads = counting.reads, signals.reads
    assert shown(ada, members) == first  # kept: the model and the signals not read again
    assert (counting.reads, signals.reads) == (reads, signal_reads)
    left_out = [str(first[0][0])]  # picks are kept apart for each exclusion and length
    assert shown(ada, members, exclude=left_out) == shown(ada, None, exclude=left_out)
    assert first[0] not in shown(ada, members, exclude=left_out)
    assert shown(ada, members, limit=3) == first[:3] == shown(ada, None, limit=3)
    assert shown(ada, members) == first
    reads, signal_reads = counting.reads, signals.reads
    vote(ada, "2608.00032")  # not refitted yet: the same model, a new like to name
    named = shown(ada, members)
    assert counting.reads == reads  # the same fit: the model kept
    assert signals.reads == signal_reads + 1  # new signals: read again
    assert named == shown(ada, None) and counting.reads == reads + 1  # the fresh read
    assert "2608.00032" in {row[2] for row in named} and "2608.00032" not in {
        row[0] for row in named
    }
    late = "2607.00002"  # liked before it has a vector: named once the window is read again
    with storage.transaction():
        storage.save_papers([Paper(late, "Late", "Abstract", ("Yan",))])
        storage.save_entries([DailyEntry(late, NOW.date() - timedelta(60), NOW - timedelta(60))])
    vote(ada, late)
    assert late not in {row[2] for row in shown(ada, members)}
    with storage.transaction():
        storage.save_embeddings(
            model=MODEL, paper_ids=[late], vectors=np.eye(DIMENSION, dtype=np.float32)[0:1]
        )
    windows.ttl_s = 0  # from here on, each request reads the window afresh
    assert late in {row[2] for row in shown(ada, members)}
    vote(ada, "2608.00033", "2608.00035", "2608.00037", "2608.00039", "2608.00029")
    refit(storage)  # now mostly of topic 1
    refitted = shown(ada, members)
    assert refitted == shown(ada, None) and refitted != named
    assert site[str(refitted[0][0])] == 1
    reads = counting.reads
    assert shown(bob, members) == shown(bob, None)  # ada's model pushed out, bob's read
    assert shown(ada, members) == refitted and counting.reads == reads + 3  # ada's read again
    with storage.transaction():  # a new paper: the window read afresh is scored afresh
        storage.save_papers([Paper("2608.00040", "Paper 2608.00040", "Abstract", ("Ada",))])
        storage.save_entries([DailyEntry("2608.00040", NOW.date(), NOW)])
        storage.save_embeddings(
            model=MODEL,
            paper_ids=["2608.00040"],
            vectors=np.eye(DIMENSION, dtype=np.float32)[1:2],  # topic 1 itself
        )
    assert "2608.00040" in {row[0] for row in shown(ada, members)}
    assert shown(ada, members) == shown(ada, None)


def test_a_windows_papers_are_read_once_until_they_are_stale(
    storage: Storage, site: dict[str, int]
) -> None:
    start, end = recommendations.window_ending(storage, days=20, today=NOW.date())
    kept = recommendations.WindowPapers(ttl_s=3600)
    fresh = recommendations.WindowPapers(ttl_s=0)
    before = kept.get(storage, model=MODEL, start=start, end=end).ids
    assert fresh.get(storage, model=MODEL, start=start, end=end).ids == before
    with storage.transaction():
        storage.save_papers([Paper("2608.00040", "New", "A", ("Bo",))])
        storage.save_entries([DailyEntry("2608.00040", NOW.date(), NOW)])
        storage.save_embeddings(
            model=MODEL, paper_ids=["2608.00040"], vectors=np.ones((1, DIMENSION), np.float32)
        )
    assert kept.get(storage, model=MODEL, start=start, end=end).ids == before  # kept a while
    assert sorted(fresh.get(storage, model=MODEL, start=start, end=end).ids) == sorted(
        [*before, "2608.00040"]
    )


def test_a_background_counts_the_words_of_its_newest_papers_only(
    storage: Storage, site: dict[str, int]
) -> None:
    start, end = recommendations.window_ending(storage, days=20, today=NOW.date())
    every = recommendations.WindowPapers().get(storage, model=MODEL, start=start, end=end, limit=9)
    newest = recommendations.WindowPapers(words_of=3).get(
        storage, model=MODEL, start=start, end=end, limit=9
    )
    assert newest.ids == every.ids and len(newest.ids) == 9
    assert newest.words.terms.matrix.shape[0] == 3
    assert newest.words.author_names == every.words.author_names[:3]


def test_a_stale_window_is_answered_at_once_while_a_thread_reads_it_afresh(
    storage: Storage, site: dict[str, int]
) -> None:
    start, end = recommendations.window_ending(storage, days=20, today=NOW.date())
    graced = recommendations.WindowPapers(ttl_s=0, grace_s=3600)
    before = graced.get(storage, model=MODEL, start=start, end=end).ids  # the first one waits
    with storage.transaction():
        storage.save_papers([Paper("2608.00041", "Newer", "A", ("Bo",))])
        storage.save_entries([DailyEntry("2608.00041", NOW.date(), NOW)])
        storage.save_embeddings(
            model=MODEL, paper_ids=["2608.00041"], vectors=np.ones((1, DIMENSION), np.float32)
        )
    assert graced.get(storage, model=MODEL, start=start, end=end).ids == before
    graced.settle()
    assert "2608.00041" in graced.get(storage, model=MODEL, start=start, end=end).ids


def test_the_authors_and_words_of_likes_lift_papers_the_vectors_would_not(
    storage: Storage, site: dict[str, int]
) -> None:
    rng = np.random.default_rng(11)
    liked = ["2608.00050", "2608.00051", "2608.00052"]
    by_bo, on_qwen = "2608.00053", "2608.00054"
    texts = {
        "2608.00050": ("Qwen adapters", ("Grace Hopper",)),
        "2608.00051": ("Qwen distillation", ("Grace Hopper", "Bo")),
        "2608.00052": ("Small Qwen", ("Grace Hopper",)),
        by_bo: ("Compilers", ("Bo",)),
        on_qwen: ("Tuning Qwen", ("Someone Else",)),
    }
    with storage.transaction():
        storage.save_papers(
            [Paper(i, title, "Abstract", names) for i, (title, names) in texts.items()]
        )
        storage.save_entries([DailyEntry(i, NOW.date(), NOW) for i in texts])
        # The likes' vectors are of topic 0, the two papers to find of topic 1.
        storage.save_embeddings(
            model=MODEL,
            paper_ids=list(texts),
            vectors=np.stack([topic_vector(rng, int(i >= by_bo)) for i in texts]).astype(
                np.float32
            ),
        )
        ada = add_member(storage, "ada")
        for paper_id in liked:
            votes.set_vote(storage=storage, user=ada, paper_id=paper_id, voted=True, now=NOW)
    refit(storage)
    model = storage.get_member_model(ada.id)
    assert model is not None and model.authors["Grace Hopper"] > model.authors["Bo"] > 0
    assert model.terms["qwen"] > 0
    found = recommend(storage, ada).items
    shown = [r.item.paper.id for r in found]
    assert set(shown[:2]) == {by_bo, on_qwen}, shown
    assert all(site[paper_id] == 0 for paper_id in shown[2:6]), shown  # then the vectors
    # Bo's paper is explained by the one liked paper Bo wrote, not the nearest vector.
    because = {r.item.paper.id: r.because.paper.id for r in found if r.because}
    assert because[by_bo] == "2608.00051"
    shared = {r.item.paper.id: r.because_author for r in found}
    assert shared[by_bo] == "Bo" and shared[on_qwen] is None  # said, where it is the reason
