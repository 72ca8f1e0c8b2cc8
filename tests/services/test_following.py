"""A member's Following page: each follow's newest papers, kept until the data changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dailypapers.domain.follows import FollowKind, follow_target
from dailypapers.domain.papers import Paper
from dailypapers.services.follows import PER_FOLLOW, FollowResultCache, following_papers
from dailypapers.storage import Storage

START = datetime(2024, 1, 1, tzinfo=UTC)


def sparse(number: int, *, title: str = "Sparse experts") -> Paper:
    return Paper(
        id=f"2402.{number:05d}",
        title=f"{title} {number}",
        abstract="Routing tokens to a few of many networks.",
        authors=("Noam Shazeer",),
        published_at=START + timedelta(days=number),
    )


def test_a_followed_search_lists_its_newest_matches_as_papers_come_and_change(
    backend_storage: Storage,
) -> None:
    storage = backend_storage
    older = [sparse(number) for number in range(1, 26)]
    with storage.transaction():
        storage.save_papers(older)
    follows = [follow_target(FollowKind.SEARCH, "sparse experts")]
    cache = FollowResultCache()

    def listed() -> list[int]:
        found = following_papers(storage=storage, follows=follows, limit=50, cache=cache)
        return [int(item.item.paper.id.split(".")[1]) for item in found]

    assert listed() == list(range(25, 25 - PER_FOLLOW, -1))  # the newest, not the best
    # A new paper with both words is listed at once; one with a single word is not.
    with storage.transaction():
        storage.save_papers([sparse(26), sparse(27, title="Sparse attention")])
    assert listed() == list(range(26, 26 - PER_FOLLOW, -1))
    # A listed paper that no longer matches leaves, and the next older one comes in.
    with storage.transaction():
        storage.save_papers([replace(sparse(20), title="Dense layers")])
    assert listed() == [n for n in range(26, 25 - PER_FOLLOW, -1) if n != 20]
    # Without the kept answers, the same.
    assert following_papers(storage=storage, follows=follows, limit=50)[0].item.paper.id == (
        "2402.00026"
    )
