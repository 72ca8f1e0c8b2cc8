"""A member's private feed: their For you, then what they follow, each item saying why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.accounts import User
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services.follows import following_papers
from dailypapers.services.recommendations import recommend_for_member, window_ending
from dailypapers.storage.base import Storage

FEED_SIZE = 50
FOR_YOU_DAYS = 7  # the window For you shows by default


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


def for_you_section(storage: Storage, user: User, now: datetime, limit: int) -> list[FeedItem]:
    """Return the member's For you papers of the past week, once a model is fitted for them."""
    start, end = window_ending(storage, days=FOR_YOU_DAYS, today=now.date())
    found = recommend_for_member(
        storage=storage, user_id=user.id, start=start, end=end, limit=limit, now=now
    )
    if not found.personal:  # trending stands in on the page; the feed keeps to what is theirs
        return []
    return [
        FeedItem(
            item.item,
            f"because you liked: {item.because.paper.title}" if item.because else "for you",
        )
        for item in found.items
    ]


MEMBER_FEED_SECTIONS: list[MemberFeedSection] = [for_you_section, following_section]


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
