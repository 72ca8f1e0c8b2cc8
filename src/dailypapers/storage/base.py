"""The storage interface every backend implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Organization, Paper
from dailypapers.domain.ranking import Rankable
from dailypapers.domain.search_query import SearchFilters, SearchQuery
from dailypapers.storage.accounts_protocol import AccountStore
from dailypapers.storage.avatars_protocol import AvatarStore
from dailypapers.storage.collections_protocol import CollectionStore  # your feed
from dailypapers.storage.community_protocol import CommunityStore
from dailypapers.storage.digests_protocol import DigestStore  # digests (issue 6)
from dailypapers.storage.follows_protocol import FollowStore  # follows and author pages
from dailypapers.storage.job_runs_protocol import JobRunStore
from dailypapers.storage.mail_queue_protocol import MailQueueStore
from dailypapers.storage.member_data_protocol import MemberDataStore  # your feed
from dailypapers.storage.operations_protocol import OperationsStore  # health checks, metrics
from dailypapers.storage.recommendations_protocol import RecommendationStore  # your feed
from dailypapers.storage.search_types import (
    PaperText,
    SimilarPaper,
    Vectors,
    WordMatch,
    WordsVersion,
)


class StorageError(Exception):
    """The database could not be opened or used as asked."""


class Storage(
    AccountStore,
    CommunityStore,
    DigestStore,
    OperationsStore,
    MailQueueStore,
    FollowStore,
    AvatarStore,
    CollectionStore,
    RecommendationStore,
    MemberDataStore,
    JobRunStore,
    Protocol,
):
    """Everything the services read and write, whatever the database.

    The accounts and community methods (issue 5) are declared in AccountStore and
    CommunityStore (storage/accounts_protocol.py, storage/community_protocol.py); the
    digest, subscriber and outbox methods (issue 6) in DigestStore (storage/digests_protocol.py).
    """

    url: str
    dialect: str  # "sqlite" or "postgresql"

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

    def find_organization(self, name: str) -> Organization | None:
        """Return the organization with this name in any case ("Tencent": "tencent")."""
        ...

    def rankables(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        submitter: str | None = None,
        organization: str | None = None,
        newest: int | None = None,
    ) -> list[Rankable]:
        """Return what ranking needs of the papers featured in [start, end) that match.

        With `newest`, only that many: the most recently featured, ties to the lower id.
        """
        ...

    def each_rankable(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        submitter: str | None = None,
        organization: str | None = None,
        newest: int | None = None,
        attended: bool | None = None,
    ) -> Iterator[Rankable]:
        """Yield what `rankables` returns, one at a time.

        A ranking of every paper ever featured then holds only the page it keeps. With
        `attended`, only the papers with (True) or without (False) any vote or comment.
        """
        ...

    def count_featured(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        submitter: str | None = None,
        organization: str | None = None,
    ) -> int:
        """Return how many papers were featured in [start, end) that match."""
        ...

    def featured_papers(self, paper_ids: Sequence[str]) -> list[FeaturedPaper]:
        """Return these papers with entry and organization, in the order given."""
        ...

    def latest_day(self) -> date | None:
        """Return the latest day that has featured papers."""
        ...

    def adjacent_days(self, day: date, last: date | None = None) -> tuple[date | None, date | None]:
        """Return the closest days with papers before `day` and after `last` (default: day)."""
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

    # -- search (issue 4): storage/search_sqlite.py, storage/search_postgresql.py --------

    def search_lexical(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[str]:
        """Return the ids of papers that match the query's words and filters, best first.

        A query of filters alone lists the newest papers that meet them; `within` limits
        the answer to those papers.
        """
        ...

    def search_lexical_scored(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[WordMatch]:
        """Return the papers `search_lexical` finds, each with its bm25 score.

        Scores are comparable within one answer only (hybrid search divides them by the
        best); a query of filters alone scores every paper 0.
        """
        ...

    def search_newest(
        self,
        query: SearchQuery,
        *,
        limit: int,
        within: Sequence[str] | None = None,
        changed_since: WordsVersion | None = None,
    ) -> list[str]:
        """Return the ids of the newest papers (by publication) that match the query.

        The matches `search_lexical` ranks, listed by date: what a followed search shows.
        `changed_since` keeps to the papers whose words changed after that version.
        """
        ...

    def words_version(self) -> WordsVersion | None:
        """Return a mark that changes whenever the words `search_lexical` reads change.

        The words are the papers' texts and what the word index filters on (categories,
        dates, code links, authors); not the daily entries an organization filter reads.
        None while the word index is built aside: searches read the database meanwhile,
        and no mark says when their answers change.
        """
        ...

    def papers_changed_since(self, since: WordsVersion) -> set[str] | None:
        """Return the stored papers whose words changed after `since`: new or edited.

        With `search_newest(changed_since=)`, what brings a kept answer up to date. None
        when the search is better run afresh: the word index is being built or was rebuilt
        since, or many papers changed.
        """
        ...

    def filter_papers(self, ids: Sequence[str], filters: SearchFilters) -> list[str]:
        """Return those of the ids whose papers pass the filters, in the order given."""
        ...

    def find_titled(self, title: str) -> list[str]:
        """Return the ids of papers with this exact title, ignoring case and a final period."""
        ...

    def papers_to_embed(
        self, *, model: str, limit: int, below: int | None = None
    ) -> list[PaperText]:
        """Return papers that have no vector of this model, newest first, keyed below `below`."""
        ...

    def save_embeddings(self, *, model: str, paper_ids: Sequence[str], vectors: Vectors) -> None:
        """Insert or replace these papers' vectors of this model (rows L2-normalized)."""
        ...

    def get_embedding(self, *, model: str, paper_id: str) -> Vectors | None:
        """Return the paper's vector of this model, if it has one."""
        ...

    def count_embeddings(self) -> dict[str, int]:
        """Return how many papers have a vector, per model."""
        ...

    def embedding_models(self) -> list[str]:
        """Return the models that have vectors, by name, without counting the vectors."""
        ...

    def delete_embeddings(self, *, model: str) -> int:
        """Delete every vector of this model; return how many there were."""
        ...

    def nearest_papers(
        self,
        *,
        model: str,
        vector: Vectors,
        limit: int,
        filters: SearchFilters | None = None,
        of_a_paper: bool = False,
    ) -> list[SimilarPaper]:
        """Return the papers whose vectors are closest to this one, closest first.

        `of_a_paper`: the vector is a stored paper's own, whose neighbours a shorter walk of
        a graph index finds.
        """
        ...

    def refresh_vector_index(self, *, model: str, save: bool = True) -> int:
        """Bring any vector index kept outside the database up to date; return vectors added."""
        ...

    def refresh_word_index(self) -> int:
        """Bring any word index kept outside the database up to date; return papers taken."""
        ...
