"""Follows and the author-name and category indexes, in SQL both backends share."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dailypapers.domain.authors import (
    ClaimedAuthor,
    filter_keys,
    normalize_author_name,
    paper_authors,
)
from dailypapers.domain.follows import Follow, FollowKind, FollowSettings
from dailypapers.domain.papers import Organization, Paper
from dailypapers.storage.follows_protocol import ListedUnder
from dailypapers.storage.sql_values import (
    Row,
    SqlAccess,
    batches,
    iso,
    to_optional_datetime,
)

FOLLOWS_MIGRATION = "0009_follows.sql"
_ROWS_PER_INSERT = 150  # 6 columns: 900 parameters, under the 999 of SQLite before 3.32
_REINDEX_BATCH = 2000
_NEWEST = " ORDER BY published_at DESC NULLS LAST, paper_id"
# Co-authors and organizations come from an author's latest papers: a common name holds
# thousands at a million papers, and a page need not join them all (300 of a prolific
# name's papers, with their thousands of co-authors, were most of its page's time).
RECENT_PAPERS = 100
_LATEST_OF_AUTHOR = f"SELECT paper_id FROM paper_authors WHERE norm_name = ?{_NEWEST} LIMIT ?"
# Co-authors are counted on papers of at most this many authors: on a report signed by a
# thousand, everyone co-authors with everyone, and at a million papers such reports were the
# slowest author pages (co-authors of 200 names, p95 10.8 ms, 4.2 ms without them).
COAUTHORS_OF_PAPERS_UP_TO = 100


class FollowsSql(SqlAccess):
    """The follows half of SqlStorage, and the indexes of names it reads."""

    dialect: str
    _name_index_exists: bool = False

    # -- keeping the indexes -------------------------------------------------------------

    def _index_paper_names(self, papers: Sequence[Paper]) -> None:
        """Replace these papers' rows in the author-name and category indexes."""
        if not self._name_index_ready():
            return  # an older schema being migrated: its migration step fills the index
        ids = [paper.id for paper in papers]
        for batch in batches(ids):
            marks = ", ".join("?" * len(batch))
            self._execute(f"DELETE FROM paper_authors WHERE paper_id IN ({marks})", batch)
            self._execute(f"DELETE FROM paper_categories WHERE paper_id IN ({marks})", batch)
        unique = {paper.id: paper for paper in papers}.values()
        author_rows = [
            (a.paper_id, a.position, a.name, a.normalized, a.family, iso(paper.published_at))
            for paper in unique
            for a in paper_authors(paper.id, paper.authors)
        ]
        category_rows = [
            (paper.id, category, iso(paper.published_at))
            for paper in unique
            for category in dict.fromkeys(paper.categories)
        ]
        self._insert_rows(
            "paper_authors (paper_id, position, name, norm_name, family, published_at)",
            author_rows,
        )
        self._insert_rows("paper_categories (paper_id, category, published_at)", category_rows)

    def _name_index_ready(self) -> bool:
        if not self._name_index_exists:
            probe = (
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'paper_authors'"
                if self.dialect == "sqlite"
                else "SELECT to_regclass('paper_authors') IS NOT NULL"
            )
            self._name_index_exists = bool(self._execute(probe)[0][0])
        return self._name_index_exists

    def _insert_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        width = len(rows[0])
        row_marks = f"({', '.join('?' * width)})"
        step = max(1, 900 // width)
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            self._execute(
                f"INSERT INTO {table} VALUES {', '.join([row_marks] * len(chunk))}",
                [value for row in chunk for value in row],
            )

    def reindex_paper_names(self) -> int:
        """Rebuild the author and category indexes from the papers; return papers read."""
        done, after = 0, ""
        while rows := self._execute(
            "SELECT id, authors, categories, published_at FROM papers WHERE id > ?"
            " ORDER BY id LIMIT ?",
            (after, _REINDEX_BATCH),
        ):
            self._index_paper_names(
                [
                    Paper(
                        id=row[0],
                        title="",
                        abstract="",
                        authors=tuple(json.loads(row[1])),
                        categories=tuple(json.loads(row[2] or "[]")),
                        published_at=to_optional_datetime(row[3]),
                    )
                    for row in rows
                ]
            )
            done += len(rows)
            after = rows[-1][0]
        return done

    # -- reading the indexes ---------------------------------------------------------------

    def author_paper_ids(self, normalized: str, *, limit: int) -> list[str]:
        """Return the ids of the papers by the author with this folded name, newest first."""
        return [paper_id for paper_id, _ in self.newest_by_name(author=normalized, limit=limit)]

    def newest_by_name(
        self, *, author: str | None = None, category: str | None = None, limit: int
    ) -> list[tuple[str, datetime | None]]:
        """Return the newest papers of a folded author name or a category, with their dates."""
        # The dates come from the index rows: reading them from the papers (wide rows with
        # abstracts) cost more than the lookups themselves.
        if author is not None:
            sql = "SELECT paper_id, published_at FROM paper_authors WHERE norm_name = ?"
            key = author
        else:
            sql = "SELECT paper_id, published_at FROM paper_categories WHERE category = ?"
            key = category or ""
        rows = self._execute(f"{sql}{_NEWEST} LIMIT ?", (key, limit))
        # A name twice on one paper gives two rows: keep the paper once.
        return list({row[0]: to_optional_datetime(row[1]) for row in rows}.items())

    def names_of_papers(self, paper_ids: Sequence[str]) -> dict[str, ListedUnder]:
        """Return, for each of these papers, its date and the author and category follows
        that list it (their kind and key)."""
        listed: dict[str, ListedUnder] = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            for paper_id, kind, key, published_at in self._execute(
                f"SELECT paper_id, 'author', norm_name, published_at FROM paper_authors"
                f" WHERE paper_id IN ({marks}) UNION ALL"
                f" SELECT paper_id, 'category', category, published_at FROM paper_categories"
                f" WHERE paper_id IN ({marks})",
                (*batch, *batch),
            ):
                _, keys = listed.setdefault(paper_id, (to_optional_datetime(published_at), set()))
                keys.add((FollowKind(kind), key))
        return listed

    def count_author_papers(self, normalized: str) -> int:
        """Return how many papers the author with this folded name has on this site."""
        # Rows, not distinct papers: a name twice on one paper is rare, and counting rows
        # reads the index alone.
        rows = self._execute(
            "SELECT COUNT(*) FROM paper_authors WHERE norm_name = ?", (normalized,)
        )
        return int(rows[0][0])

    def author_page_ids(self, normalized: str, *, limit: int, offset: int) -> list[str]:
        """Return one page of the author's papers, newest first."""
        rows = self._execute(
            f"SELECT paper_id FROM paper_authors WHERE norm_name = ?{_NEWEST} LIMIT ? OFFSET ?",
            (normalized, limit, offset),
        )
        return list(dict.fromkeys(row[0] for row in rows))

    def author_spellings(self, normalized: str) -> list[tuple[str, int]]:
        """Return how the author's latest papers spell the name, with how often, most used
        first (the latest only, as for co-authors: a common name has thousands of papers)."""
        # The spellings are read from the index by paper, which the co-authors read too: the
        # table's rows, one disk read each on a first visit, cost ten times more.
        rows = self._execute(
            f"SELECT mine.name, COUNT(*) FROM ({_LATEST_OF_AUTHOR}) latest"
            " JOIN paper_authors mine ON mine.paper_id = latest.paper_id AND mine.norm_name = ?"
            " GROUP BY mine.name ORDER BY COUNT(*) DESC, mine.name",
            (normalized, RECENT_PAPERS, normalized),
        )
        return [(row[0], int(row[1])) for row in rows]

    def coauthors(self, normalized: str, *, limit: int) -> list[tuple[str, int]]:
        """Return the author's co-authors and shared papers, most first; each co-author under
        one of their spellings (the first in alphabetical order: a count per spelling would
        cost a second grouping of every row). Papers of more than COAUTHORS_OF_PAPERS_UP_TO
        authors are left out (the primary key finds whether a paper has an author there)."""
        rows = self._execute(
            "SELECT other.norm_name, MIN(other.name), COUNT(DISTINCT other.paper_id)"
            f" FROM ({_LATEST_OF_AUTHOR}) mine JOIN paper_authors other"
            " ON other.paper_id = mine.paper_id AND other.norm_name <> ?"
            " WHERE NOT EXISTS (SELECT 1 FROM paper_authors crowd"
            "  WHERE crowd.paper_id = mine.paper_id AND crowd.position = ?)"
            " GROUP BY other.norm_name"
            " ORDER BY COUNT(DISTINCT other.paper_id) DESC, other.norm_name LIMIT ?",
            (normalized, RECENT_PAPERS, normalized, COAUTHORS_OF_PAPERS_UP_TO, limit),
        )
        return [(row[1], int(row[2])) for row in rows]

    def author_organizations(
        self, normalized: str, *, limit: int
    ) -> list[tuple[Organization, int]]:
        """Return the organizations the author's papers were featured for, with counts."""
        rows = self._execute(
            "SELECT o.name, o.fullname, o.avatar_url, COUNT(DISTINCT a.paper_id)"
            f" FROM ({_LATEST_OF_AUTHOR}) a JOIN daily_entries e ON e.paper_id = a.paper_id"
            " JOIN organizations o ON o.name = e.organization"
            " WHERE e.hidden_at IS NULL"
            " GROUP BY o.name, o.fullname, o.avatar_url"
            " ORDER BY COUNT(DISTINCT a.paper_id) DESC, o.name LIMIT ?",
            (normalized, RECENT_PAPERS, limit),
        )
        return [(Organization(row[0], row[1], row[2]), int(row[3])) for row in rows]

    def papers_by_author_filter(self, names: Sequence[str], *, limit: int) -> list[str] | None:
        """Return the ids of papers every one of these `author:` values matches, newest
        first (by the dates the name index holds); None if one matches more than `limit`."""
        found: list[str] | None = None
        for name in names:
            normalized, family = filter_keys(name)
            if family is None:  # a whole name: the index's own order
                rows = self._execute(
                    f"SELECT paper_id FROM paper_authors WHERE norm_name = ?{_NEWEST} LIMIT ?",
                    (normalized, limit + 1),
                )
            else:  # one word: a name of one word, or a family
                rows = self._execute(
                    "SELECT paper_id FROM (SELECT paper_id, published_at FROM paper_authors"
                    " WHERE norm_name = ? UNION SELECT paper_id, published_at FROM paper_authors"
                    f" WHERE family = ?) named{_NEWEST} LIMIT ?",
                    (normalized, family, limit + 1),
                )
            if len(rows) > limit:
                return None
            if found is None:
                found = list(dict.fromkeys(row[0] for row in rows))  # a name twice on a paper
            else:
                also = {row[0] for row in rows}
                found = [paper_id for paper_id in found if paper_id in also]
        return found or []

    def category_paper_ids(self, category: str, *, limit: int, offset: int = 0) -> list[str]:
        """Return the ids of the papers in this arXiv category, newest first."""
        rows = self._execute(
            f"SELECT paper_id FROM paper_categories WHERE category = ?{_NEWEST} LIMIT ? OFFSET ?",
            (category, limit, offset),
        )
        return [row[0] for row in rows]

    def paper_dates(self, paper_ids: Sequence[str]) -> dict[str, datetime | None]:
        """Return when each of these papers was published (None if unknown)."""
        dates: dict[str, datetime | None] = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            for row in self._execute(
                f"SELECT id, published_at FROM papers WHERE id IN ({marks})", batch
            ):
                dates[row[0]] = to_optional_datetime(row[1])
        return dates

    def count_category_papers(self, category: str) -> int:
        """Return how many papers are in this arXiv category."""
        rows = self._execute(
            "SELECT COUNT(*) FROM paper_categories WHERE category = ?", (category,)
        )
        return int(rows[0][0])

    def claimed_authors(self, paper_ids: Sequence[str]) -> list[ClaimedAuthor]:
        """Return the approved authorship claims on these papers."""
        claims: list[ClaimedAuthor] = []
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            claims.extend(
                _claimed(row)
                for row in self._execute(
                    "SELECT c.paper_id, c.author_name, u.username, u.fullname"
                    " FROM authorship_claims c JOIN users u ON u.id = c.user_id"
                    f" WHERE c.status = 'approved' AND c.paper_id IN ({marks})"
                    " AND u.banned_at IS NULL",
                    batch,
                )
            )
        return claims

    def author_claimants(self, normalized: str) -> list[ClaimedAuthor]:
        """Return the approved claims made under this folded author name."""
        # Claims are few (each one an admin approved by hand): folding them here needs
        # no index of its own.
        rows = self._execute(
            "SELECT c.paper_id, c.author_name, u.username, u.fullname"
            " FROM authorship_claims c JOIN users u ON u.id = c.user_id"
            " WHERE c.status = 'approved' AND u.banned_at IS NULL ORDER BY c.decided_at, c.id"
        )
        return [claim for claim in map(_claimed, rows) if claim.normalized == normalized]

    # -- follows ---------------------------------------------------------------------------

    def add_follow(self, *, user_id: int, follow: Follow, now: datetime) -> bool:
        """Record that the member follows this; return False if they already did."""
        rows = self._execute(
            "INSERT INTO follows (user_id, kind, key, label, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING 1",
            (user_id, follow.kind.value, follow.key, follow.label, iso(now)),
        )
        return bool(rows)

    def remove_follow(self, *, user_id: int, kind: FollowKind, key: str) -> bool:
        """Stop the member following this; return False if they did not."""
        rows = self._execute(
            "DELETE FROM follows WHERE user_id = ? AND kind = ? AND key = ? RETURNING 1",
            (user_id, kind.value, key),
        )
        return bool(rows)

    def user_follows(self, user_id: int) -> list[Follow]:
        """Return what the member follows, most recently followed first."""
        rows = self._execute(
            "SELECT kind, key, label, created_at FROM follows WHERE user_id = ?"
            " ORDER BY created_at DESC, kind, key",
            (user_id,),
        )
        return [
            Follow(FollowKind(row[0]), row[1], row[2], to_optional_datetime(row[3])) for row in rows
        ]

    def get_follow_settings(self, user_id: int) -> FollowSettings:
        """Return the member's follow settings (the defaults if never saved)."""
        rows = self._execute(
            "SELECT public, feed_version, digest_following FROM follow_settings WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return FollowSettings()
        return FollowSettings(bool(rows[0][0]), int(rows[0][1]), bool(rows[0][2]))

    def save_follow_settings(self, user_id: int, settings: FollowSettings) -> None:
        """Insert or replace the member's follow settings."""
        self._execute(
            "INSERT INTO follow_settings (user_id, public, feed_version, digest_following)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET public = excluded.public,"
            " feed_version = excluded.feed_version,"
            " digest_following = excluded.digest_following",
            (user_id, settings.public, settings.feed_version, settings.digest_following),
        )

    def digest_following_members(self, emails: Sequence[str]) -> dict[str, int]:
        """Return the members, by address, who asked for a Following section in their digest."""
        members: dict[str, int] = {}
        for batch in batches(emails):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                "SELECT u.email, u.id FROM users u JOIN follow_settings s ON s.user_id = u.id"
                f" WHERE s.digest_following = ? AND u.banned_at IS NULL AND u.email IN ({marks})",
                (True, *batch),
            )
            members.update((row[0], int(row[1])) for row in rows)
        return members


def _claimed(row: Row) -> ClaimedAuthor:
    return ClaimedAuthor(row[0], normalize_author_name(row[1]), row[2], row[3] or "")
