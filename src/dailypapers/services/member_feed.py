"""A member's private feed: their For you, then what they follow, each item saying why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.accounts import User
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services.follows import following_papers
from dailypapers.services.recommendations import (
    Recommendation,
    recommend_for_member,
    window_ending,
)
from dailypapers.storage.base import Storage

FEED_SIZE = 50
FOR_YOU_DAYS = 7  # the window For you shows by default


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One paper of a feed, and a line saying why it is there (None: nothing to say)."""

    item: FeaturedPaper
    note: str | None = None


def member_feed(*, storage: Storage, user: User, now: datetime) -> list[FeedItem]:
    """Return the member's private feed: For you first, then the newest followed papers.

    For you alone has papers enough to fill the feed: what the member follows keeps as many
    places as it has papers For you does not pick, up to half.
    """
    follows = storage.user_follows(user.id)
    followed = (
        following_papers(storage=storage, follows=follows, limit=FEED_SIZE) if follows else []
    )
    start, end = window_ending(storage, days=FOR_YOU_DAYS, today=now.date())
    found = recommend_for_member(
        storage=storage, user_id=user.id, start=start, end=end, limit=FEED_SIZE, now=now
    )
    # Trending stands in on the For you page until a model is fitted; the feed keeps to
    # what is the member's own.
    for_you = found.items if found.personal else []
    picked = {item.item.paper.id for item in for_you}
    only_followed = [paper for paper in followed if paper.item.paper.id not in picked]
    items = [
        FeedItem(item.item, _why(item))
        for item in for_you[: FEED_SIZE - min(len(only_followed), FEED_SIZE // 2)]
    ]
    seen = {entry.item.paper.id for entry in items}
    items += [
        FeedItem(paper.item, "; ".join(reason.reason for reason in paper.reasons))
        for paper in followed
        if paper.item.paper.id not in seen
    ]
    return items[:FEED_SIZE]


def _why(recommendation: Recommendation) -> str:
    """Say why For you picked the paper, as the For you page does."""
    if recommendation.because is None:
        return "for you"
    why = f"because you liked: {recommendation.because.paper.title}"
    if recommendation.because_author:
        why += f" ({recommendation.because_author} is an author of both)"
    return why
