"""The store of follows and of the author-name and category indexes they read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dailypapers.domain.authors import ClaimedAuthor
from dailypapers.domain.follows import Follow, FollowKind, FollowSettings
from dailypapers.domain.papers import Organization

# A paper's date, and the author and category follows (kind, key) that list it.
ListedUnder = tuple[datetime | None, set[tuple[FollowKind, str]]]


class FollowStore(Protocol):
    """Author and category lookups through their indexes, and what members follow."""

    # -- the author-name and category indexes -------------------------------------------

    def author_paper_ids(self, normalized: str, *, limit: int) -> list[str]:
        """Return the ids of the papers by the author with this folded name, newest first."""
        ...

    def newest_by_name(
        self, *, author: str | None = None, category: str | None = None, limit: int
    ) -> list[tuple[str, datetime | None]]:
        """Return the newest papers of a folded author name or a category, with their dates."""
        ...

    def names_of_papers(self, paper_ids: Sequence[str]) -> dict[str, ListedUnder]:
        """Return, for each of these papers, its date and the author and category follows
        that list it (their kind and key)."""
        ...

    def count_author_papers(self, normalized: str) -> int:
        """Return how many papers the author with this folded name has on this site."""
        ...

    def author_page_ids(self, normalized: str, *, limit: int, offset: int) -> list[str]:
        """Return one page of the author's papers, newest first."""
        ...

    def author_spellings(self, normalized: str) -> list[tuple[str, int]]:
        """Return how the author's latest papers spell the name, with how often, most used
        first."""
        ...

    def coauthors(self, normalized: str, *, limit: int) -> list[tuple[str, int]]:
        """Return the co-authors of the author's latest papers, with shared papers, most first."""
        ...

    def author_organizations(
        self, normalized: str, *, limit: int
    ) -> list[tuple[Organization, int]]:
        """Return the organizations the author's latest papers were featured for, with counts."""
        ...

    def papers_by_author_filter(self, names: Sequence[str], *, limit: int) -> list[str] | None:
        """Return the ids of papers every one of these `author:` values matches.

        A value matches an author whose folded name, or family name, equals it folded.
        None when more than `limit` match: too many to be worth narrowing a search to.
        """
        ...

    def category_paper_ids(self, category: str, *, limit: int, offset: int = 0) -> list[str]:
        """Return the ids of the papers in this arXiv category, newest first."""
        ...

    def paper_dates(self, paper_ids: Sequence[str]) -> dict[str, datetime | None]:
        """Return when each of these papers was published (None if unknown)."""
        ...

    def count_category_papers(self, category: str) -> int:
        """Return how many papers are in this arXiv category."""
        ...

    def claimed_authors(self, paper_ids: Sequence[str]) -> list[ClaimedAuthor]:
        """Return the approved authorship claims on these papers."""
        ...

    def author_claimants(self, normalized: str) -> list[ClaimedAuthor]:
        """Return the approved claims made under this folded author name."""
        ...

    def reindex_paper_names(self) -> int:
        """Rebuild the author and category indexes from the papers; return papers read."""
        ...

    # -- follows ---------------------------------------------------------------------------

    def add_follow(self, *, user_id: int, follow: Follow, now: datetime) -> bool:
        """Record that the member follows this; return False if they already did."""
        ...

    def remove_follow(self, *, user_id: int, kind: FollowKind, key: str) -> bool:
        """Stop the member following this; return False if they did not."""
        ...

    def user_follows(self, user_id: int) -> list[Follow]:
        """Return what the member follows, most recently followed first."""
        ...

    def get_follow_settings(self, user_id: int) -> FollowSettings:
        """Return the member's follow settings (the defaults if never saved)."""
        ...

    def save_follow_settings(self, user_id: int, settings: FollowSettings) -> None:
        """Insert or replace the member's follow settings."""
        ...

    def digest_following_members(self, emails: Sequence[str]) -> dict[str, int]:
        """Return the members, by address, who asked for a Following section in their digest."""
        ...
