"""A member's Following page: each follow's newest papers, kept until the data changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dailypapers.domain.follows import FollowKind, follow_target
from dailypapers.domain.papers import Organization, Paper
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
    backend_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = backend_storage
    with storage.transaction():
        storage.save_papers([sparse(number) for number in range(1, 26)])
    follows = [follow_target(FollowKind.SEARCH, "sparse experts")]
    cache = FollowResultCache()
    searched_afresh = []
    search_newest = storage.search_newest

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        if kwargs.get("changed_since") is None:  # all papers, not the changed ones
            searched_afresh.append(args)
        return search_newest(*args, **kwargs)

    monkeypatch.setattr(storage, "search_newest", counted)

    def listed(kept: FollowResultCache | None = cache) -> list[int]:
        found = following_papers(storage=storage, follows=follows, limit=50, cache=kept)
        return [int(item.item.paper.id.split(".")[1]) for item in found]

    assert listed() == list(range(25, 25 - PER_FOLLOW, -1))  # the newest, not the best
    assert len(searched_afresh) == 1
    # A new paper with both words is listed at once; one with a single word is not. The
    # kept answer is brought up to date from the two changed papers, not searched again.
    with storage.transaction():
        storage.save_papers([sparse(26), sparse(27, title="Sparse attention")])
    assert listed() == list(range(26, 26 - PER_FOLLOW, -1)) == listed(kept=None)
    assert len(searched_afresh) == 2  # only the one without kept answers
    # A listed paper that no longer matches leaves, and the next older one comes in.
    with storage.transaction():
        storage.save_papers([replace(sparse(20), title="Dense layers")])
    assert listed() == [n for n in range(26, 25 - PER_FOLLOW, -1) if n != 20]
    assert listed() == listed(kept=None)
    # Papers written since that match no word of the search leave it as it was; one that
    # matches only once its words are stemmed ("expert" for "experts") comes in.
    searched = len(searched_afresh)
    with storage.transaction():
        storage.save_papers([sparse(28, title="Dense layers")])
    assert listed() == [n for n in range(26, 25 - PER_FOLLOW, -1) if n != 20]
    with storage.transaction():
        storage.save_papers([sparse(29, title="A sparse expert")])
    assert listed()[0] == 29
    assert listed() == listed(kept=None)
    assert len(searched_afresh) == searched + 1  # only the answer asked for without a cache


def test_followed_authors_and_categories_are_kept_until_papers_change(
    backend_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = backend_storage
    in_lg = [replace(sparse(number), categories=("cs.LG",)) for number in range(1, 26)]
    with storage.transaction():
        storage.save_papers(in_lg)
    follows = [
        follow_target(FollowKind.AUTHOR, "Noam Shazeer"),
        follow_target(FollowKind.CATEGORY, "cs.LG"),
    ]
    cache = FollowResultCache()
    asked_afresh = []
    newest_by_name = storage.newest_by_name

    def counted(**kwargs: Any) -> list[Any]:
        asked_afresh.append(kwargs)  # an update reads only the changed papers' names
        return newest_by_name(**kwargs)

    monkeypatch.setattr(storage, "newest_by_name", counted)

    def listed(kept: FollowResultCache | None = cache) -> list[int]:
        found = following_papers(storage=storage, follows=follows, limit=50, cache=kept)
        return [int(item.item.paper.id.split(".")[1]) for item in found]

    assert listed() == list(range(25, 25 - PER_FOLLOW, -1))
    assert len(asked_afresh) == 2
    # A write that leaves the papers (as a vote or a comment does) asks neither again.
    generation = storage.generation()
    with storage.transaction():
        storage.save_organizations([Organization("meta", "Meta AI")])
    assert storage.generation() != generation
    assert listed() == list(range(25, 25 - PER_FOLLOW, -1))
    assert len(asked_afresh) == 2
    # New papers join the kept answers: one by the author, one by another in the category.
    by_others = replace(sparse(27), authors=("Ada Lovelace",), categories=("cs.LG",))
    with storage.transaction():
        storage.save_papers([sparse(26), by_others])
    assert listed()[:3] == [27, 26, 25]
    assert len(asked_afresh) == 2
    assert listed() == listed(kept=None)
    # A listed paper that leaves both (another author, no category) leaves the page.
    asked = len(asked_afresh)
    with storage.transaction():
        storage.save_papers([replace(in_lg[19], authors=("Someone Else",), categories=())])
    assert 20 not in listed()
    assert listed() == listed(kept=None)
    assert len(asked_afresh) > asked  # a kept paper changed: asked afresh
