"""A member's private feed: sections of papers, each item saying why it is there.

Following is the first section; another capability adds its own (recommendations, say)
by appending a function to MEMBER_FEED_SECTIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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


MemberFeedSection = Callable[[Storage, User, datetime, int], list[FeedItem]]


def following_section(storage: Storage, user: User, now: datetime, limit: int) -> list[FeedItem]:
    """Return the newest papers from what the member follows."""
    followed = following_papers(storage=storage, follows=storage.user_follows(user.id), limit=limit)
    return [
        FeedItem(paper.item, "; ".join(reason.reason for reason in paper.reasons))
        for paper in followed
    ]


MEMBER_FEED_SECTIONS: list[MemberFeedSection] = [following_section]


def member_feed(
    *,
    storage: Storage,
    user: User,
    now: datetime,
    limit: int = FEED_SIZE,
    sections: list[MemberFeedSection] | None = None,
) -> list[FeedItem]:
    """Return the member's private feed: each section's papers, a paper only once."""
    seen: set[str] = set()
    items: list[FeedItem] = []
    for section in MEMBER_FEED_SECTIONS if sections is None else sections:
        for entry in section(storage, user, now, limit):
            if entry.item.paper.id not in seen:
                seen.add(entry.item.paper.id)
                items.append(entry)
    return items[:limit]
