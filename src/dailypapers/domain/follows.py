"""What a member can follow, and why a paper shows up in what they follow."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote, urlencode

from dailypapers.domain.authors import normalize_author_name
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.search_query import parse_query


class FollowKind(StrEnum):
    """The things a member can follow."""

    AUTHOR = "author"
    ORGANIZATION = "organization"
    CATEGORY = "category"
    SEARCH = "search"


# arXiv categories: an archive ("cs", "hep-th", "math") and an optional subject ("CL", "AG").
_CATEGORY = re.compile(r"^[a-z][a-z-]{0,19}(\.[A-Za-z][A-Za-z-]{0,19})?$")
MAX_TARGET_LENGTH = 300
MAX_FOLLOWS = 500  # per member: the Following page asks each of them for papers


@dataclass(frozen=True, slots=True)
class Follow:
    """One thing a member follows: its kind, the key it matches by, and how it is shown."""

    kind: FollowKind
    key: str  # the folded author name, organization name, category or query text
    label: str
    created_at: datetime | None = None

    @property
    def page_path(self) -> str:
        """Return the site page of what is followed."""
        if self.kind is FollowKind.AUTHOR:
            return f"/authors/{quote(self.label, safe='')}"
        if self.kind is FollowKind.ORGANIZATION:
            return f"/organizations/{quote(self.key, safe='')}"
        if self.kind is FollowKind.CATEGORY:
            return f"/categories/{quote(self.key, safe='')}"
        return f"/search?{urlencode({'q': self.key})}"

    @property
    def reason(self) -> str:
        """Say why a paper from this follow is on the member's Following page."""
        if self.kind is FollowKind.AUTHOR:
            return f"by an author you follow: {self.label}"
        if self.kind is FollowKind.ORGANIZATION:
            return f"from {self.label}, an organization you follow"
        if self.kind is FollowKind.CATEGORY:
            return f"in {self.key}, which you follow"
        return f"matches your search: {self.key}"


def parse_follow_kind(text: str) -> FollowKind:
    """Return the kind named, or raise ValueError listing the kinds."""
    try:
        return FollowKind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in FollowKind)
        raise ValueError(f"kind must be one of {kinds}, not {text!r}") from None


def follow_target(kind: FollowKind, target: str) -> Follow:
    """Return the follow of this target, keyed for matching; ValueError when it cannot be."""
    text = " ".join(target.split())
    if not text:
        raise ValueError(f"say which {kind.value} to follow")
    if len(text) > MAX_TARGET_LENGTH:
        raise ValueError(f"a {kind.value} to follow is at most {MAX_TARGET_LENGTH} characters")
    if kind is FollowKind.AUTHOR:
        key = normalize_author_name(text)
        if not key:
            raise ValueError(f"{text!r} is not an author's name")
        return Follow(kind, key, text)
    if kind is FollowKind.CATEGORY:
        if not _CATEGORY.match(text):
            raise ValueError(f"{text!r} is not an arXiv category such as cs.CL")
        return Follow(kind, text, text)
    if kind is FollowKind.SEARCH:
        query = parse_query(text)  # raises ValueError on a query the search cannot run
        if query.is_empty and not query.filters:
            raise ValueError(f"{text!r} searches for nothing")
        return Follow(kind, text, text)
    return Follow(kind, text, text)


def papers_followed(
    follows: Sequence[Follow],
    papers: Sequence[FeaturedPaper],
    search_matches: Callable[[str], Sequence[str]],
) -> list[str]:
    """Return the ids of the papers any follow matches, in the order the papers are given."""
    authors = {f.key for f in follows if f.kind is FollowKind.AUTHOR}
    categories = {f.key for f in follows if f.kind is FollowKind.CATEGORY}
    organizations = {f.key for f in follows if f.kind is FollowKind.ORGANIZATION}
    searched = {
        paper_id
        for f in follows
        if f.kind is FollowKind.SEARCH
        for paper_id in search_matches(f.key)
    }
    chosen = []
    for item in papers:
        paper = item.paper
        organization = item.entry.organization if item.entry else None
        if (
            paper.id in searched
            or organization in organizations
            or categories.intersection(paper.categories)
            # Folding names is most of this loop, run for every reader of a digest: only
            # for a reader who follows an author.
            or (authors and authors.intersection(map(normalize_author_name, paper.authors)))
        ):
            chosen.append(paper.id)
    return chosen


@dataclass(frozen=True, slots=True)
class FollowSettings:
    """A member's choices about their follows: shown to others, feed secret, digest section."""

    public: bool = False
    feed_version: int = 0  # bumped to rotate the private feed's secret URL
    digest_following: bool = False
