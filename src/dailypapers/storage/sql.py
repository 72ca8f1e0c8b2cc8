"""The queries both backends share, written once with `?` placeholders."""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Organization, Paper
from dailypapers.domain.ranking import Rankable
from dailypapers.storage.accounts_sql import AccountsSql
from dailypapers.storage.avatars_sql import AvatarsSql
from dailypapers.storage.collections_sql import CollectionsSql  # your feed: collections
from dailypapers.storage.community_sql import CommunitySql
from dailypapers.storage.digests_sql import DigestsSql  # digests (issue 6)
from dailypapers.storage.follows_sql import FOLLOWS_MIGRATION, FollowsSql  # follows, authors
from dailypapers.storage.job_runs_sql import JobRunsSql
from dailypapers.storage.mail_queue_sql import MailQueueSql
from dailypapers.storage.member_data_sql import MemberDataSql  # your feed: my data
from dailypapers.storage.operations_sql import OperationsSql  # health checks, metrics
from dailypapers.storage.recommendations_sql import RecommendationsSql  # your feed: For you
from dailypapers.storage.sql_values import (
    Row,
    batches,
    iso,
    to_date,
    to_datetime,
    to_optional_datetime,
)

_PAPER_COLUMNS = (
    "id, title, abstract, authors, version, categories, published_at, updated_at, arxiv_comment,"
    " github_repo, github_stars, project_page, ai_summary, ai_keywords, upvotes, num_comments,"
    " withdrawn"
)
_ENTRY_COLUMNS = "paper_id, day, featured_at, submitted_by, organization"
# accounts: read-only columns, written by votes, comments and moderation, never by saves
_PAPER_LOCAL_COUNTS = ", local_upvotes, local_comments"
_ORGANIZATION_COLUMNS = (
    "o.name, o.fullname, o.avatar_url,"
    " EXISTS (SELECT 1 FROM organization_avatars a WHERE a.name = o.name)"
)


def _organization_from_row(row: Row) -> Organization:
    """Return an organization from a row of _ORGANIZATION_COLUMNS."""
    return Organization(row[0], row[1], row[2], bool(row[3]))


_ENTRY_HIDDEN = ", hidden_at IS NOT NULL"
_ROWS_PER_INSERT = 50  # 17 columns: 850 parameters, under the 999 of SQLite before 3.32
ORGANIZATION_NAMES_MIGRATION = "0019_organization_names.sql"  # fills folded_names
CHANGE_SHARDS = 64  # rows of site_changes (migration 0013): writers rarely pick the same one


class SqlStorage(
    AccountsSql,
    CommunitySql,
    DigestsSql,
    OperationsSql,
    MailQueueSql,
    AvatarsSql,
    FollowsSql,
    CollectionsSql,
    RecommendationsSql,
    MemberDataSql,
    JobRunsSql,
    ABC,
):
    """Storage over a DB-API connection; subclasses supply connections and dialect."""

    dialect: str
    url: str

    # -- what a backend provides -------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement and return its rows (empty for writes)."""

    @abstractmethod
    def _each_row(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Run one query and yield its rows as they are read."""

    @abstractmethod
    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""

    @abstractmethod
    def _run_script(self, sql: str) -> None:
        """Run a script of several statements."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """Open a transaction on this thread's connection."""

    @abstractmethod
    def close(self) -> None:
        """Close the connections this thread opened."""

    # -- migrations and transactions -----------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the schema migrations not yet applied; return their names."""
        self._run_script(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        folder = resources.files("dailypapers.storage") / "migrations" / self.dialect
        names = sorted(item.name for item in folder.iterdir() if item.name.endswith(".sql"))
        applied = []
        for name in names:
            with self._transaction():
                # Checked under the write lock: another process may have just applied it.
                if self._execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)):
                    continue
                self._run_script((folder / name).read_text(encoding="utf-8"))
                self._after_migration(name)
                self._execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
            applied.append(name)
        return applied

    def _after_migration(self, name: str) -> None:
        """Run the step a migration needs beyond SQL: fill what it created from the data."""
        if name == FOLLOWS_MIGRATION:
            self.reindex_paper_names()
        elif name == ORGANIZATION_NAMES_MIGRATION:
            organizations = self._execute("SELECT name, fullname FROM organizations")
            self._execute_many(
                "UPDATE organizations SET folded_names = ? WHERE name = ?",
                [
                    (Organization(name, fullname).folded_names, name)
                    for name, fullname in organizations
                ],
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block's writes atomically and mark the data as changed."""
        with self._transaction():
            yield
            # One row of many, at random: concurrent writers do not queue on one counter.
            self._execute(
                "UPDATE site_changes SET changes = changes + 1 WHERE shard = ?",
                (random.randrange(CHANGE_SHARDS),),
            )

    def generation(self) -> int:
        """Return a number that changes whenever any data changes (the sum of the shards)."""
        return int(self._execute("SELECT sum(changes) FROM site_changes")[0][0])

    # -- papers, entries, organizations ------------------------------------------

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Return the stored papers among these ids."""
        papers = {}
        for batch in batches(ids):
            marks = ", ".join("?" * len(batch))
            for row in self._execute(
                f"SELECT {_PAPER_COLUMNS}{_PAPER_LOCAL_COUNTS} FROM papers WHERE id IN ({marks})",
                batch,
            ):
                papers[row[0]] = _paper_from_row(row)
        return papers

    def save_papers(self, papers: Sequence[Paper]) -> None:
        """Insert or replace these papers."""
        assignments = ", ".join(
            f"{column} = excluded.{column}" for column in _PAPER_COLUMNS.split(", ")[1:]
        )
        # Many rows per statement: SQLite opens a savepoint for every statement that fires
        # triggers, and each savepoint makes FTS5 flush its pending terms to a new segment,
        # so one row per statement costs the full-text index about 1.6x the CPU. A paper
        # given twice keeps its last copy, as row-by-row upserts did (and PostgreSQL refuses
        # to update one row twice in a statement).
        rows = [_paper_to_row(paper) for paper in {paper.id: paper for paper in papers}.values()]
        row_marks = f"({', '.join('?' * 17)})"
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            self._execute(
                f"INSERT INTO papers ({_PAPER_COLUMNS})"
                f" VALUES {', '.join([row_marks] * len(chunk))}"
                f" ON CONFLICT (id) DO UPDATE SET {assignments}",
                [value for row in chunk for value in row],
            )
        self._index_paper_names(papers)  # follows: the author-name and category indexes

    def get_entries(self, paper_ids: Sequence[str]) -> dict[str, DailyEntry]:
        """Return the daily entries of these papers, where they have one."""
        entries = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            for row in self._execute(
                f"SELECT {_ENTRY_COLUMNS}{_ENTRY_HIDDEN} FROM daily_entries"
                f" WHERE paper_id IN ({marks})",
                batch,
            ):
                entries[row[0]] = _entry_from_row(row)
        return entries

    def save_entries(self, entries: Sequence[DailyEntry]) -> None:
        """Insert or replace these daily entries."""
        self._execute_many(
            f"INSERT INTO daily_entries ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (paper_id) DO UPDATE SET day = excluded.day,"
            " featured_at = excluded.featured_at, submitted_by = excluded.submitted_by,"
            " organization = excluded.organization",
            [
                (e.paper_id, e.day.isoformat(), iso(e.featured_at), e.submitted_by, e.organization)
                for e in entries
            ],
        )

    def save_organizations(self, organizations: Sequence[Organization]) -> None:
        """Insert or update these organizations."""
        self._execute_many(
            "INSERT INTO organizations (name, fullname, avatar_url, folded_names)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET fullname = excluded.fullname,"
            " avatar_url = COALESCE(excluded.avatar_url, organizations.avatar_url),"
            " folded_names = excluded.folded_names",
            [(org.name, org.fullname, org.avatar_url, org.folded_names) for org in organizations],
        )

    def get_organization(self, name: str) -> Organization | None:
        """Return the organization with this name, if any."""
        rows = self._execute(
            f"SELECT {_ORGANIZATION_COLUMNS} FROM organizations o WHERE name = ?", (name,)
        )
        return _organization_from_row(rows[0]) if rows else None

    def find_organization(self, name: str) -> Organization | None:
        """Return the organization with this name in any case ("Tencent": "tencent")."""
        rows = self._execute(
            f"SELECT {_ORGANIZATION_COLUMNS} FROM organizations o WHERE LOWER(name) = LOWER(?)",
            (name,),
        )
        # Two spellings of one name ("RUC", "ruc"): the same choice on both backends, whose
        # orders of text differ.
        return _organization_from_row(min(rows, key=lambda row: row[0])) if rows else None

    # -- the feed -------------------------------------------------------------------

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
        return list(
            self.each_rankable(
                start=start, end=end, submitter=submitter, organization=organization, newest=newest
            )
        )

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
        """Yield what `rankables` returns, one at a time (see the protocol for `attended`)."""
        where, params = _feed_filter(start, end, submitter, organization)
        limit = ""
        if newest is not None:
            limit = " ORDER BY e.featured_at DESC, e.paper_id LIMIT ?"
            params.append(newest)
        if attended is None:  # the entries first, then their papers: the limit needs no join
            source = f"(SELECT * FROM daily_entries e {where}{limit}) e"
            source += " JOIN papers p ON p.id = e.paper_id"
        else:
            attention = "p.upvotes + p.local_upvotes + p.num_comments + p.local_comments > 0"
            where += f" AND {'' if attended else 'NOT '}({attention})"
            source = f"daily_entries e JOIN papers p ON p.id = e.paper_id {where}{limit}"
        for row in self._each_row(
            "SELECT e.paper_id, p.upvotes + p.local_upvotes, p.num_comments + p.local_comments,"
            f" e.featured_at FROM {source}",
            params,
        ):
            yield Rankable(row[0], row[1], row[2], to_datetime(row[3]))

    def count_featured(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        submitter: str | None = None,
        organization: str | None = None,
    ) -> int:
        """Return how many papers were featured in [start, end) that match."""
        where, params = _feed_filter(start, end, submitter, organization)
        return int(self._execute(f"SELECT COUNT(*) FROM daily_entries e {where}", params)[0][0])

    def featured_papers(self, paper_ids: Sequence[str]) -> list[FeaturedPaper]:
        """Return these papers with entry and organization, in the order given."""
        papers = self.get_papers(paper_ids)
        entries = self.get_entries(paper_ids)
        names = sorted({e.organization for e in entries.values() if e.organization})
        organizations = {}
        for batch in batches(names):
            marks = ", ".join("?" * len(batch))
            for row in self._execute(
                f"SELECT {_ORGANIZATION_COLUMNS} FROM organizations o WHERE name IN ({marks})",
                batch,
            ):
                organizations[row[0]] = _organization_from_row(row)
        featured = []
        for paper_id in paper_ids:
            if paper_id not in papers:
                continue
            entry = entries.get(paper_id)
            organization = (
                organizations.get(entry.organization) if entry and entry.organization else None
            )
            featured.append(FeaturedPaper(papers[paper_id], entry, organization))
        return featured

    def latest_day(self) -> date | None:
        """Return the latest day that has featured papers."""
        value = self._execute("SELECT MAX(day) FROM daily_entries WHERE hidden_at IS NULL")[0][0]
        return to_date(value) if value else None

    def adjacent_days(self, day: date, last: date | None = None) -> tuple[date | None, date | None]:
        """Return the closest days with papers before `day` and after `last` (default: day)."""
        before = self._execute(
            "SELECT MAX(day) FROM daily_entries WHERE day < ? AND hidden_at IS NULL",
            (day.isoformat(),),
        )
        after = self._execute(
            "SELECT MIN(day) FROM daily_entries WHERE day > ? AND hidden_at IS NULL",
            ((last or day).isoformat(),),
        )
        return (
            to_date(before[0][0]) if before[0][0] else None,
            to_date(after[0][0]) if after[0][0] else None,
        )

    def count_papers(self) -> int:
        """Return how many papers are stored."""
        return int(self._execute("SELECT COUNT(*) FROM papers")[0][0])

    # -- harvests -------------------------------------------------------------------

    def get_harvest_state(self, name: str) -> HarvestState | None:
        """Return the saved state of the named harvest, if it ever ran."""
        rows = self._execute(
            "SELECT name, cursor, pages, records, started_at, updated_at, finished_at"
            " FROM harvest_state WHERE name = ?",
            (name,),
        )
        if not rows:
            return None
        name, cursor, pages, records, started, updated, finished = rows[0]
        return HarvestState(
            name,
            cursor,
            pages,
            records,
            to_datetime(started),
            to_datetime(updated),
            to_optional_datetime(finished),
        )

    def save_harvest_state(self, state: HarvestState) -> None:
        """Insert or replace the named harvest's state."""
        self._execute(
            "INSERT INTO harvest_state"
            " (name, cursor, pages, records, started_at, updated_at, finished_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " cursor = excluded.cursor, pages = excluded.pages, records = excluded.records,"
            " started_at = excluded.started_at, updated_at = excluded.updated_at,"
            " finished_at = excluded.finished_at",
            (
                state.name,
                state.cursor,
                state.pages,
                state.records,
                iso(state.started_at),
                iso(state.updated_at),
                iso(state.finished_at),
            ),
        )


def _feed_filter(
    start: date | None, end: date | None, submitter: str | None, organization: str | None
) -> tuple[str, list[Any]]:
    """Return the WHERE clause (over daily_entries e) and parameters of a feed's filters."""
    conditions, params = ["e.hidden_at IS NULL"], []
    for condition, value in (
        ("e.day >= ?", start and start.isoformat()),
        ("e.day < ?", end and end.isoformat()),
        ("e.submitted_by = ?", submitter),
        ("e.organization = ?", organization),
    ):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    return f"WHERE {' AND '.join(conditions)}", params


def _paper_to_row(paper: Paper) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.title,
        paper.abstract,
        json.dumps(list(paper.authors), ensure_ascii=False),
        paper.version,
        json.dumps(list(paper.categories)),
        iso(paper.published_at),
        iso(paper.updated_at),
        paper.arxiv_comment,
        paper.github_repo,
        paper.github_stars,
        paper.project_page,
        paper.ai_summary,
        json.dumps(list(paper.ai_keywords), ensure_ascii=False),
        paper.imported_upvotes,  # the local part is the votes', kept apart (see Paper)
        paper.imported_comments,
        paper.withdrawn,
    )


# Papers kept read, by their whole row: reading three JSON lists and two times was a fifth
# of a listing's SQL time. A changed row is a new key; the oldest are dropped.
@lru_cache(maxsize=2048)
def _paper_from_row(row: Row) -> Paper:
    """Read a paper from its columns followed by its local counts."""
    return Paper(
        id=row[0],
        title=row[1],
        abstract=row[2],
        authors=tuple(json.loads(row[3])),
        version=row[4],
        categories=tuple(json.loads(row[5])),
        published_at=to_optional_datetime(row[6]),
        updated_at=to_optional_datetime(row[7]),
        arxiv_comment=row[8],
        github_repo=row[9],
        github_stars=row[10],
        project_page=row[11],
        ai_summary=row[12],
        ai_keywords=tuple(json.loads(row[13])),
        upvotes=row[14] + row[17],
        num_comments=row[15] + row[18],
        withdrawn=bool(row[16]),
        local_upvotes=row[17],
        local_comments=row[18],
    )


# Entries kept read, by their whole row, as papers are: parsing a day and a time was half
# of reading a listing's 30 entries.
@lru_cache(maxsize=2048)
def _entry_from_row(row: Row) -> DailyEntry:
    """Read an entry from its columns followed by whether it is hidden."""
    return DailyEntry(
        paper_id=row[0],
        day=to_date(row[1]),
        featured_at=to_datetime(row[2]),
        submitted_by=row[3],
        organization=row[4],
        hidden=bool(row[5]),
    )
