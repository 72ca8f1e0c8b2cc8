"""The storage interface of collections: reading lists, their papers and notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dailypapers.domain.collections import Collection, CollectionItem


class CollectionStore(Protocol):
    """What the collection services read and write."""

    def create_collection(
        self,
        *,
        user_id: int,
        name: str,
        description: str,
        public: bool,
        is_default: bool,
        now: datetime,
    ) -> Collection | None:
        """Insert a collection; return None when the member already has one of this name."""
        ...

    def get_collection(self, collection_id: int) -> Collection | None:
        """Return the collection with this id, if any, with its paper count."""
        ...

    def default_collection(self, user_id: int) -> Collection | None:
        """Return the member's default ("Saved") collection, if made yet."""
        ...

    def user_collections(self, user_id: int, *, public_only: bool = False) -> list[Collection]:
        """Return the member's collections, the default first, then by name."""
        ...

    def update_collection(
        self, collection_id: int, *, name: str, description: str, public: bool, now: datetime
    ) -> bool:
        """Change a collection's name, description and visibility; False if the name is taken."""
        ...

    def delete_collection(self, collection_id: int) -> None:
        """Delete a collection and its list of papers."""
        ...

    def collection_items(self, collection_id: int) -> list[CollectionItem]:
        """Return the collection's papers, most recently added first."""
        ...

    def add_to_collection(
        self, *, collection_id: int, paper_id: str, note: str | None, now: datetime
    ) -> None:
        """Put the paper in the collection (again: keep it, and change the note if given)."""
        ...

    def remove_from_collection(self, *, collection_id: int, paper_id: str) -> bool:
        """Take the paper out of the collection; False if it was not there."""
        ...

    def collections_holding(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[int]]:
        """Return, per paper among these, the ids of the member's collections that hold it."""
        ...

    def saved_paper_ids(self, user_id: int) -> list[str]:
        """Return every paper in any of the member's collections, most recently added first."""
        ...
