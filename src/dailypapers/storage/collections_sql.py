"""Collection queries both backends share: reading lists, their papers and notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dailypapers.domain.collections import Collection, CollectionItem
from dailypapers.storage.sql_values import Row, SqlAccess, batches, iso, to_datetime

_COLLECTION_COLUMNS = (
    "c.id, c.user_id, c.name, c.description, c.public, c.is_default, c.created_at, c.updated_at,"
    " (SELECT COUNT(*) FROM collection_papers cp WHERE cp.collection_id = c.id)"
)


def _collection_from_row(row: Row) -> Collection:
    return Collection(
        id=int(row[0]),
        user_id=int(row[1]),
        name=row[2],
        description=row[3],
        public=bool(row[4]),
        is_default=bool(row[5]),
        created_at=to_datetime(row[6]),
        updated_at=to_datetime(row[7]),
        paper_count=int(row[8]),
    )


class CollectionsSql(SqlAccess):
    """The collections part of SqlStorage."""

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
        rows = self._execute(
            "INSERT INTO collections"
            " (user_id, name, description, public, is_default, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (user_id, name, description, int(public), int(is_default), iso(now), iso(now)),
        )
        return self.get_collection(int(rows[0][0])) if rows else None

    def _collections_where(self, condition: str, params: Sequence[object]) -> list[Collection]:
        rows = self._execute(
            f"SELECT {_COLLECTION_COLUMNS} FROM collections c WHERE {condition}"
            " ORDER BY c.is_default DESC, lower(c.name), c.id",
            params,
        )
        return [_collection_from_row(row) for row in rows]

    def get_collection(self, collection_id: int) -> Collection | None:
        """Return the collection with this id, if any, with its paper count."""
        return next(iter(self._collections_where("c.id = ?", (collection_id,))), None)

    def default_collection(self, user_id: int) -> Collection | None:
        """Return the member's default ("Saved") collection, if made yet."""
        found = self._collections_where("c.user_id = ? AND c.is_default = 1", (user_id,))
        return found[0] if found else None

    def user_collections(self, user_id: int, *, public_only: bool = False) -> list[Collection]:
        """Return the member's collections, the default first, then by name."""
        condition = "c.user_id = ?" + (" AND c.public = 1" if public_only else "")
        return self._collections_where(condition, (user_id,))

    def update_collection(
        self, collection_id: int, *, name: str, description: str, public: bool, now: datetime
    ) -> bool:
        """Change a collection's name, description and visibility; False if the name is taken."""
        owner = self._execute("SELECT user_id FROM collections WHERE id = ?", (collection_id,))
        if not owner:
            return False
        clash = self._execute(
            "SELECT 1 FROM collections WHERE user_id = ? AND lower(name) = lower(?) AND id <> ?",
            (owner[0][0], name, collection_id),
        )
        if clash:
            return False
        self._execute(
            "UPDATE collections SET name = ?, description = ?, public = ?, updated_at = ?"
            " WHERE id = ?",
            (name, description, int(public), iso(now), collection_id),
        )
        return True

    def delete_collection(self, collection_id: int) -> None:
        """Delete a collection and its list of papers."""
        self._execute("DELETE FROM collection_papers WHERE collection_id = ?", (collection_id,))
        self._execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def collection_items(self, collection_id: int) -> list[CollectionItem]:
        """Return the collection's papers, most recently added first."""
        rows = self._execute(
            "SELECT paper_id, note, added_at FROM collection_papers WHERE collection_id = ?"
            " ORDER BY added_at DESC, paper_id",
            (collection_id,),
        )
        return [CollectionItem(row[0], row[1], to_datetime(row[2])) for row in rows]

    def add_to_collection(
        self, *, collection_id: int, paper_id: str, note: str | None, now: datetime
    ) -> None:
        """Put the paper in the collection (again: keep it, and change the note if given)."""
        update = (
            "note = excluded.note" if note is not None else "added_at = collection_papers.added_at"
        )
        self._execute(
            "INSERT INTO collection_papers (collection_id, paper_id, note, added_at)"
            f" VALUES (?, ?, ?, ?) ON CONFLICT (collection_id, paper_id) DO UPDATE SET {update}",
            (collection_id, paper_id, note or "", iso(now)),
        )
        self._execute(
            "UPDATE collections SET updated_at = ? WHERE id = ?", (iso(now), collection_id)
        )

    def remove_from_collection(self, *, collection_id: int, paper_id: str) -> bool:
        """Take the paper out of the collection; False if it was not there."""
        rows = self._execute(
            "DELETE FROM collection_papers WHERE collection_id = ? AND paper_id = ?"
            " RETURNING paper_id",
            (collection_id, paper_id),
        )
        return bool(rows)

    def collections_holding(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[int]]:
        """Return, per paper among these, the ids of the member's collections that hold it."""
        holding: dict[str, list[int]] = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                "SELECT cp.paper_id, cp.collection_id FROM collection_papers cp"
                " JOIN collections c ON c.id = cp.collection_id"
                f" WHERE c.user_id = ? AND cp.paper_id IN ({marks}) ORDER BY cp.collection_id",
                [user_id, *batch],
            )
            for paper_id, collection_id in rows:
                holding.setdefault(paper_id, []).append(int(collection_id))
        return holding

    def saved_paper_ids(self, user_id: int) -> list[str]:
        """Return every paper in any of the member's collections, most recently added first."""
        rows = self._execute(
            "SELECT cp.paper_id, MAX(cp.added_at) AS latest FROM collection_papers cp"
            " JOIN collections c ON c.id = cp.collection_id WHERE c.user_id = ?"
            " GROUP BY cp.paper_id ORDER BY latest DESC, cp.paper_id",
            (user_id,),
        )
        return [row[0] for row in rows]
