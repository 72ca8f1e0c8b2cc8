"""The word index beside a PostgreSQL database: built from the papers, caught up from
`paper_text_changes`.

Several transactions write at once and commit in any order, so a change stamped with a
lower transaction id may become visible after one stamped higher: "the highest change
seen" would skip it. The index instead keeps a frontier, the xmin of a snapshot it read
from: every transaction below it had finished, so every change below it is held. Changes
stamped at or above the frontier (their transactions committed while an older one was
still open) are applied too, and remembered as held until the frontier passes them, so
none is missed and none applied twice. Only reads: a host may catch up from a replica.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from dailypapers.storage.search_words import PAPER_COLUMNS, WordIndexSearch, paper_words
from dailypapers.storage.sql_values import Row
from dailypapers.storage.word_index import WordIndex, WordWriter

# The oldest transaction still running: every change stamped below it is committed (or gone).
FRONTIER = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"


def postgres_word_index_path(url: str, folder: Path | None) -> Path | None:
    """Return the folder of this database's word index under `folder` (None: in memory)."""
    if folder is None:
        return None
    parts = conninfo_to_dict(url)
    where = f"{parts.get('host', '')}:{parts.get('port', '')}/{parts.get('dbname', '')}"
    digest = hashlib.sha1(where.encode()).hexdigest()[:12]
    return folder / f"{parts.get('dbname') or 'postgres'}-{digest}"


class PostgresWordChanges(WordIndexSearch):
    """How the word index reads PostgreSQL: its seq is the frontier (see the module)."""

    def _open_word_index(self, words: WordIndex) -> None:
        """Open the saved index, unless it was built from another database of the name."""
        if words.index is None and not words.origin:
            words.origin = str(self._execute("SELECT token FROM word_index_origin")[0][0])
        words.load()

    def _text_backlog(self, seq: int, at_most: int) -> int:
        """Return how many papers changed that an index at frontier `seq` lacks."""
        if seq == 0:  # never built: every paper
            rows = self._execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM papers LIMIT ?) p", (at_most,)
            )
            return int(rows[0][0])
        held = _held(self._word_index)
        rows = self._execute(
            "SELECT paper_key, xid::text FROM paper_text_changes"
            " WHERE xid >= CAST(? AS xid8) ORDER BY xid LIMIT ?",
            (str(seq), at_most + len(held)),
        )
        missing = [row for row in rows if held.get(int(row[0])) != int(row[1])]
        return min(len(missing), at_most)

    def _catch_up_words(self, words: WordIndex, chunk: int, *, wait: bool = True) -> int:
        """Build the index from the papers if it holds none yet, then apply the changes
        since its frontier, a chunk per commit; return how many papers it took."""
        with words.writing(wait=wait) as writer:
            taken = 0
            if words.seq == 0:
                # The frontier comes first: what changes while the papers are read is
                # stamped at or above it, and applied after.
                frontier = int(str(words.marks.get("building") or self._execute(FRONTIER)[0][0]))
                through = int(str(words.marks.get("through", 0)))
                while rows := self._execute(
                    f"SELECT 0, p.search_key, {PAPER_COLUMNS} FROM papers p"
                    " WHERE p.search_key > ? ORDER BY p.search_key LIMIT ?",
                    (through, chunk),
                ):
                    through = int(rows[-1][1])
                    # A build resumed after a crash may meet papers it added: they replace.
                    keys = [row[1] for row in rows]
                    progress: dict[str, object] = {"building": frontier, "through": through}
                    writer.apply(0, keys, [paper_words(row) for row in rows], progress)
                    taken += len(rows)
                writer.apply(frontier, [], [], {})
            return taken + self._apply_changes(words, writer, chunk)

    def _apply_changes(self, words: WordIndex, writer: WordWriter, chunk: int) -> int:
        """Apply the changes stamped at or above the frontier that the index does not hold."""
        newest = max(words.seq, int(self._execute(FRONTIER)[0][0]))
        held = _held(words)
        after: tuple[int, int] = (words.seq, -1)
        taken = 0
        while rows := self._execute(
            f"SELECT c.xid::text, c.paper_key, {PAPER_COLUMNS} FROM paper_text_changes c"
            " LEFT JOIN papers p ON p.search_key = c.paper_key"
            " WHERE (c.xid, c.paper_key) > (CAST(? AS xid8), ?)"
            " ORDER BY c.xid, c.paper_key LIMIT ?",
            (str(after[0]), after[1], chunk),
        ):
            after = (int(rows[-1][0]), int(rows[-1][1]))
            fresh = [row for row in rows if held.get(int(row[1])) != int(row[0])]
            # Everything stamped below both was committed before `newest` was read, so
            # these reads, made after it, have seen it all.
            frontier = min(newest, after[0])
            held.update((int(row[1]), int(row[0])) for row in fresh)
            if fresh:
                present = [paper_words(row) for row in fresh if row[2] is not None]
                writer.apply(frontier, [row[1] for row in fresh], present, _marks(held, frontier))
                taken += len(fresh)
        if taken and words.seq < newest:
            writer.apply(newest, [], [], _marks(held, newest))
        return taken

    def _keys_of(self, ids: Sequence[str]) -> dict[str, int]:
        rows = self._execute("SELECT id, search_key FROM papers WHERE id = ANY(?)", (list(ids),))
        return {paper_id: int(key) for paper_id, key in rows}

    def _ids_by_key(self, keys: Sequence[int]) -> dict[int, str]:
        if not keys:
            return {}
        rows: list[Row] = self._execute(
            "SELECT search_key, id FROM papers WHERE search_key = ANY(?)", (list(keys),)
        )
        return {int(key): paper_id for key, paper_id in rows}


def _held(words: WordIndex) -> dict[int, int]:
    """Return the changes at or above the frontier the index holds: paper key -> xid."""
    pairs = words.marks.get("held", [])
    return {int(key): int(xid) for key, xid in pairs} if isinstance(pairs, list) else {}


def _marks(held: dict[int, int], frontier: int) -> dict[str, object]:
    return {"held": sorted([key, xid] for key, xid in held.items() if xid >= frontier)}
