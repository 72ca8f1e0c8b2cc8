"""The storage interface every backend implements, and how one is chosen."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Organization, Paper
from dailypapers.domain.ranking import Rankable


class StorageError(Exception):
    """The database could not be opened or used as asked."""


class Storage(Protocol):
    """Everything the services read and write, whatever the database."""

    url: str

    def migrate(self) -> list[str]:
        """Apply the schema migrations not yet applied; return their names."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Run the block's writes atomically: all of them or none."""
        ...

    def close(self) -> None:
        """Close the connections this thread opened."""
        ...

    def generation(self) -> int:
        """Return a number that changes whenever any data changes."""
        ...

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Return the stored papers among these ids."""
        ...

    def save_papers(self, papers: Sequence[Paper]) -> None:
        """Insert or replace these papers."""
        ...

    def get_entries(self, paper_ids: Sequence[str]) -> dict[str, DailyEntry]:
        """Return the daily entries of these papers, where they have one."""
        ...

    def save_entries(self, entries: Sequence[DailyEntry]) -> None:
        """Insert or replace these daily entries."""
        ...

    def save_organizations(self, organizations: Sequence[Organization]) -> None:
        """Insert or update these organizations."""
        ...

    def get_organization(self, name: str) -> Organization | None:
        """Return the organization with this name, if any."""
        ...

    def rankables(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        submitter: str | None = None,
        organization: str | None = None,
    ) -> list[Rankable]:
        """Return what ranking needs of the papers featured in [start, end) that match."""
        ...

    def featured_papers(self, paper_ids: Sequence[str]) -> list[FeaturedPaper]:
        """Return these papers with entry and organization, in the order given."""
        ...

    def latest_day(self) -> date | None:
        """Return the latest day that has featured papers."""
        ...

    def adjacent_days(self, day: date) -> tuple[date | None, date | None]:
        """Return the closest days before and after this one that have papers."""
        ...

    def count_papers(self) -> int:
        """Return how many papers are stored."""
        ...

    def get_harvest_state(self, name: str) -> HarvestState | None:
        """Return the saved state of the named harvest, if it ever ran."""
        ...

    def save_harvest_state(self, state: HarvestState) -> None:
        """Insert or replace the named harvest's state."""
        ...


def open_storage(url: str, *, migrate: bool = True) -> Storage:
    """Open the database the URL names, applying migrations unless told not to."""
    storage: Storage
    if url.startswith("sqlite:"):
        from dailypapers.storage.sqlite import SqliteStorage

        storage = SqliteStorage(url)
    elif url.startswith(("postgresql:", "postgres:")):
        from dailypapers.storage.postgresql import PostgresStorage

        storage = PostgresStorage(url)
    else:
        raise StorageError(
            f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://..."
        )
    if migrate:
        storage.migrate()
    return storage
