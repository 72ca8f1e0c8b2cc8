"""A member's private feed: the newest papers from what they follow, each saying why."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.domain.accounts import User
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services.follows import following_papers
from dailypapers.storage.base import Storage

FEED_SIZE = 50


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One paper of a feed, and a line saying why it is there (None: nothing to say)."""

    item: FeaturedPaper
    note: str | None = None


def member_feed(*, storage: Storage, user: User) -> list[FeedItem]:
    """Return the member's private feed: the newest papers from what they follow."""
    follows = storage.user_follows(user.id)
    followed = following_papers(storage=storage, follows=follows, limit=FEED_SIZE)
    return [
        FeedItem(paper.item, "; ".join(reason.reason for reason in paper.reasons))
        for paper in followed
    ]
