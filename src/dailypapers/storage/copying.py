"""Copy a whole site from one database to another, resumably, and prove the copy whole.

Tables are found in the schema, not listed here, and copied parents first in batches read
in primary-key order. Each batch and the cursor that records it commit together in the
target, so a copy killed at any moment resumes after its last batch. At the end every
table's rows are counted and summed into a checksum on both sides, over values put in one
form that both databases agree on (booleans, moments, JSON, vectors).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dailypapers.storage.base import Storage, StorageError
from dailypapers.storage.copy_schema import (
    EMBEDDINGS,
    PROGRESS_TABLE,
    TablePlan,
    plan_copy,
    read_shapes,
)
from dailypapers.storage.copy_values import add_digest, canonical, for_target, row_digest
from dailypapers.storage.opening import without_password

BATCH_ROWS = 1000
Progress = Callable[[str, int, int], None]  # table, rows just copied, rows in the table


@dataclass(frozen=True)
class TableCheck:
    """A table's row count and checksum in the source and in the target."""

    name: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        """Tell whether the target holds exactly the source's rows."""
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)


@dataclass(frozen=True)
class CopyPlan:
    """The tables a copy takes, those it leaves out, and whether it resumes an earlier one."""

    tables: list[TablePlan]
    skipped: list[str]
    resuming: bool


class TargetNotEmpty(StorageError):
    """The target already holds data that a copy would mix with."""


def prepare_copy(source: Storage, target: Storage, *, force: bool) -> CopyPlan:
    """Plan the copy; refuse a target that holds data unless forced (then empty it)."""
    tables, skipped = plan_copy(read_shapes(source), read_shapes(target))
    progress = _progress(target)
    if progress is not None and not force:
        origin = {row["source"] for row in progress.values()}
        if origin and origin != {_describe(source)}:
            raise TargetNotEmpty(
                f"the target holds an unfinished copy from {origin.pop()};"
                " use --force to start over"
            )
        return CopyPlan(tables, skipped, resuming=True)
    occupied = [plan.name for plan in tables if _has_rows(target, plan.name)]
    if occupied and not force:
        raise TargetNotEmpty(
            f"the target already holds data (in {', '.join(occupied)}); use --force to replace it"
        )
    # Emptying and copying mark the data as changed (transaction, not _transaction): a site
    # already open on the target does not keep serving what it cached (counts, pages).
    with target.transaction():
        if target.dialect == "postgresql" and tables:
            # CASCADE: tables only the target has may point at these.
            names = ", ".join(f'"{plan.name}"' for plan in tables)
            _execute(target, f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        for plan in reversed(tables):  # children first, for the foreign keys
            _execute(target, f'DELETE FROM "{plan.name}"')
        _execute(target, f"DROP TABLE IF EXISTS {PROGRESS_TABLE}")
        _execute(
            target,
            f"CREATE TABLE {PROGRESS_TABLE} (table_name TEXT PRIMARY KEY, source TEXT NOT NULL,"
            " cursor TEXT, copied BIGINT NOT NULL, done INTEGER NOT NULL)",
        )
    return CopyPlan(tables, skipped, resuming=False)


def copy_tables(
    source: Storage,
    target: Storage,
    plan: CopyPlan,
    *,
    batch_rows: int = BATCH_ROWS,
    on_progress: Progress | None = None,
) -> None:
    """Copy each planned table after its cursor; reset the target's counters at the end."""
    for table in plan.tables:
        state = (_progress(target) or {}).get(table.name)
        if state and state["done"]:
            continue
        cursor = json.loads(state["cursor"]) if state and state["cursor"] else None
        copied = state["copied"] if state else 0
        total = _count(source, table.name)
        if on_progress:
            on_progress(table.name, copied, total)
        while rows := _read_batch(source, table, cursor, batch_rows):
            cursor = _key_of(table, rows[-1])
            copied += len(rows)
            with target.transaction():
                _write_rows(target, table, rows)
                _save_progress(target, source, table.name, cursor, copied, done=False)
            if on_progress:
                on_progress(table.name, len(rows), total)
        with target._transaction():  # type: ignore[attr-defined]
            _save_progress(target, source, table.name, cursor, copied, done=True)
    _finish_target(target, plan.tables)


def verify_copy(source: Storage, target: Storage, plan: CopyPlan) -> list[TableCheck]:
    """Count and checksum every copied table on both sides."""
    checks = []
    for table in plan.tables:
        source_rows, source_sum = table_checksum(source, table)
        target_rows, target_sum = table_checksum(target, table)
        checks.append(TableCheck(table.name, source_rows, target_rows, source_sum, target_sum))
    return checks


def finish_copy(target: Storage) -> None:
    """Forget the copy's cursors once the copy is verified."""
    _execute(target, f"DROP TABLE IF EXISTS {PROGRESS_TABLE}")


def table_checksum(storage: Storage, table: TablePlan) -> tuple[int, str]:
    """Return the table's row count and the order-free checksum of its canonical rows."""
    total, rows = 0, 0
    for row in _all_rows(storage, table):
        values = [canonical(table.kinds[c], v) for c, v in zip(table.columns, row, strict=True)]
        total = add_digest(total, row_digest(values))
        rows += 1
    return rows, f"{total:032x}"


# -- reading --------------------------------------------------------------------------------


def _all_rows(storage: Storage, table: TablePlan) -> Iterator[tuple[Any, ...]]:
    cursor = None
    while rows := _read_batch(storage, table, cursor, 5000):
        yield from rows
        cursor = _key_of(table, rows[-1])


def _read_batch(
    storage: Storage, table: TablePlan, after: list[Any] | None, limit: int
) -> list[tuple[Any, ...]]:
    """Return the next rows in key order after the cursor."""
    select, source, names = _select(storage, table)
    keys = [names[column] for column in table.key]
    where = ""
    params: list[Any] = []
    if after is not None:
        where = f" WHERE ({', '.join(keys)}) > ({', '.join('?' * len(keys))})"
        params = list(after)
    sql = f"SELECT {select} FROM {source}{where} ORDER BY {', '.join(keys)} LIMIT ?"
    return [tuple(row) for row in _execute(storage, sql, [*params, limit])]


def _select(storage: Storage, table: TablePlan) -> tuple[str, str, dict[str, str]]:
    """Return the column list, the FROM clause and each column's expression."""
    if table.name == EMBEDDINGS and storage.dialect == "sqlite":
        names = {"model": "e.model", "paper_id": "k.paper_id", "vector": "e.vector"}
        source = "paper_embeddings e JOIN paper_keys k ON k.key = e.paper_key"
    elif table.name == EMBEDDINGS:
        names = {"model": "model", "paper_id": "paper_id", "vector": "CAST(embedding AS text)"}
        source = "paper_embeddings"
    else:
        names = {column: f'"{column}"' for column in table.columns}
        source = f'"{table.name}"'
    return ", ".join(names[column] for column in table.columns), source, names


def _key_of(table: TablePlan, row: tuple[Any, ...]) -> list[Any]:
    """Return the row's key as JSON can keep it (moments and days as ISO text)."""
    positions = [table.columns.index(column) for column in table.key]
    return [_json_safe(row[position]) for position in positions]


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, bytes | memoryview):
        raise StorageError("a table keyed by bytes cannot be copied in batches")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _count(storage: Storage, name: str) -> int:
    return int(_execute(storage, f'SELECT COUNT(*) FROM "{name}"')[0][0])


def _has_rows(storage: Storage, name: str) -> bool:
    return bool(_execute(storage, f'SELECT 1 FROM "{name}" LIMIT 1'))


# -- writing --------------------------------------------------------------------------------


def _write_rows(target: Storage, table: TablePlan, rows: list[tuple[Any, ...]]) -> None:
    dialect = target.dialect
    values = [
        [for_target(dialect, table.kinds[c], v) for c, v in zip(table.columns, row, strict=True)]
        for row in rows
    ]
    if table.name == EMBEDDINGS and dialect == "sqlite":
        sql = (
            "INSERT OR REPLACE INTO paper_embeddings (model, paper_key, vector)"
            " SELECT ?, key, ? FROM paper_keys WHERE paper_id = ?"
        )
        target._execute_many(sql, [(m, v, p) for m, p, v in values])  # type: ignore[attr-defined]
        return
    if table.name == EMBEDDINGS:
        sql = (
            "INSERT INTO paper_embeddings (model, paper_id, embedding)"
            " VALUES (?, ?, CAST(? AS vector)) ON CONFLICT DO NOTHING"
        )
        target._execute_many(sql, values)  # type: ignore[attr-defined]
        return
    columns = ", ".join(f'"{column}"' for column in table.columns)
    marks = ", ".join("?" * len(table.columns))
    # Ids are copied as they are, even into PostgreSQL's GENERATED ALWAYS identities.
    overriding = " OVERRIDING SYSTEM VALUE" if table.target_always_identity else ""
    # A row a trigger already wrote (an index table both schemas keep) is not an error.
    sql = (
        f'INSERT INTO "{table.name}" ({columns}){overriding} VALUES ({marks})'
        " ON CONFLICT DO NOTHING"
    )
    target._execute_many(sql, values)  # type: ignore[attr-defined]


def _finish_target(target: Storage, tables: list[TablePlan]) -> None:
    """Move PostgreSQL's id counters past the copied ids, index the copied vectors and
    give the planner the copied tables' statistics."""
    if target.dialect != "postgresql":
        return  # SQLite takes the next id from the largest one present
    for table in tables:
        if table.name == EMBEDDINGS:  # logical columns, and no id counter
            continue
        for column in table.columns:
            sequence = _execute(
                target, "SELECT pg_get_serial_sequence(?, ?)", [f'"{table.name}"', column]
            )
            if sequence and sequence[0][0]:
                _execute(
                    target,
                    f'SELECT setval(?, COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0)'
                    " + 1, false)",
                    [sequence[0][0]],
                )
    for model, dimension in _execute(
        target, "SELECT DISTINCT model, vector_dims(embedding) FROM paper_embeddings"
    ):
        target._ensure_vector_index(model, int(dimension))  # type: ignore[attr-defined]
    target.gather_statistics()  # type: ignore[attr-defined]


# -- the copy's own cursors in the target ---------------------------------------------------


def _progress(target: Storage) -> dict[str, dict[str, Any]] | None:
    if not _table_exists(target, PROGRESS_TABLE):
        return None
    rows = _execute(
        target, f"SELECT table_name, source, cursor, copied, done FROM {PROGRESS_TABLE}"
    )
    return {
        name: {"source": origin, "cursor": cursor, "copied": int(copied), "done": bool(done)}
        for name, origin, cursor, copied, done in rows
    }


def _save_progress(
    target: Storage,
    source: Storage,
    name: str,
    cursor: list[Any] | None,
    copied: int,
    *,
    done: bool,
) -> None:
    _execute(
        target,
        f"INSERT INTO {PROGRESS_TABLE} (table_name, source, cursor, copied, done)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (table_name) DO UPDATE SET cursor = excluded.cursor,"
        " copied = excluded.copied, done = excluded.done",
        [name, _describe(source), json.dumps(cursor), copied, int(done)],
    )


def _table_exists(storage: Storage, name: str) -> bool:
    if storage.dialect == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = (
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = ?"
        )
    return bool(_execute(storage, sql, [name]))


def _describe(storage: Storage) -> str:
    """Name the source without its password, for the record of an unfinished copy."""
    return without_password(storage.url)


def _execute(storage: Storage, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[Any]:
    rows: list[Any] = storage._execute(sql, params)  # type: ignore[attr-defined]
    return rows
