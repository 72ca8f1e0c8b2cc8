"""Read either database's schema: which tables to copy, their columns, keys, kinds and order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Tables the copy leaves alone. The target's migrations made its own schema_migrations and
# site_state; SQLite's triggers fill paper_keys and paper_text_changes as papers arrive
# (and from them the word index and HNSW files beside the database are rebuilt).
# The change counter (site_changes) and job leases (job_runs) are the target's own too, and
# PostgreSQL's BM25 statistics are folded in again from the papers by the indexing job, and
# its word_index_origin names the database itself.
DERIVED_TABLES = {
    "schema_migrations",
    "site_state",
    "paper_keys",
    "paper_text_changes",
    "site_changes",
    "job_runs",
    "search_term_stats",
    "search_corpus_stats",
    "word_index_origin",
}
PROGRESS_TABLE = "dailypapers_copy_progress"
# Stored as a pgvector `vector` on PostgreSQL and as float32 bytes keyed by paper_keys on
# SQLite: copied through its logical columns.
EMBEDDINGS = "paper_embeddings"
EMBEDDING_COLUMNS = ["model", "paper_id", "vector"]

# How a PostgreSQL column type reads as a kind of value both databases can hold.
_POSTGRES_KINDS = {
    "boolean": "bool",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
    "date": "date",
    "bytea": "bytes",
    "smallint": "int",
    "integer": "int",
    "bigint": "int",
    "real": "float",
    "double precision": "float",
    "numeric": "float",
    "json": "json",
    "jsonb": "json",
}


@dataclass
class TableShape:
    """One table as one database has it."""

    name: str
    columns: dict[str, str]  # column -> kind, in the table's order; generated ones left out
    key: list[str]  # primary key columns (all columns when there is none)
    parents: set[str] = field(default_factory=set)  # tables its foreign keys point at
    always_identity: bool = False  # PostgreSQL GENERATED ALWAYS: inserts must override it


@dataclass
class TablePlan:
    """What to copy of one table: the columns both databases have, read in key order."""

    name: str
    columns: list[str]
    kinds: dict[str, str]
    key: list[str]
    target_always_identity: bool


def read_shapes(storage: Any) -> dict[str, TableShape]:
    """Return the shape of every ordinary table of the storage's database."""
    if storage.dialect == "sqlite":
        return _sqlite_shapes(storage)
    return _postgres_shapes(storage)


def _sqlite_shapes(storage: Any) -> dict[str, TableShape]:
    rows = storage._execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shapes = {}
    for name, _ in rows:
        # A full-text table and its shadow tables are an index, rebuilt by the triggers.
        if any(name == table or name.startswith(f"{table}_") for table in virtual):
            continue
        columns, key = {}, []
        info = storage._execute(f'PRAGMA table_xinfo("{name}")')
        for _, column, declared, _, _, primary, hidden in info:
            if hidden in (2, 3):  # generated columns
                continue
            columns[column] = _sqlite_kind(declared)
            if primary:
                key.append((primary, column))
        parents = {row[2] for row in storage._execute(f'PRAGMA foreign_key_list("{name}")')}
        shapes[name] = TableShape(
            name, columns, [column for _, column in sorted(key)] or list(columns), parents
        )
    return shapes


def _sqlite_kind(declared: str) -> str:
    declared = declared.upper()
    if "INT" in declared:
        return "int"
    if "BLOB" in declared:
        return "bytes"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "float"
    return "text"


def _postgres_shapes(storage: Any) -> dict[str, TableShape]:
    tables = [
        row[0]
        for row in storage._execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    ]
    shapes = {}
    for name in tables:
        columns, always = {}, False
        for column, data_type, generated, identity in storage._execute(
            "SELECT column_name, data_type, is_generated, identity_generation"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (name,),
        ):
            if generated == "ALWAYS":
                continue
            columns[column] = (
                "vector" if data_type == "USER-DEFINED" else _POSTGRES_KINDS.get(data_type, "text")
            )
            always = always or identity == "ALWAYS"
        key = [
            row[0]
            for row in storage._execute(
                "SELECT a.attname FROM pg_index i"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary"
                " ORDER BY array_position(CAST(i.indkey AS int2[]), a.attnum)",
                (name,),
            )
        ]
        parents = {
            row[0]
            for row in storage._execute(
                "SELECT CAST(confrelid AS regclass)::text FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = CAST(? AS regclass)",
                (name,),
            )
        }
        shapes[name] = TableShape(name, columns, key or list(columns), parents, always)
    return shapes


def plan_copy(
    source: dict[str, TableShape], target: dict[str, TableShape]
) -> tuple[list[TablePlan], list[str]]:
    """Return the tables to copy, parents first, and the names of those left out (and why)."""
    skipped = []
    plans = {}
    for name in sorted(set(source) | set(target)):
        if name in DERIVED_TABLES or name == PROGRESS_TABLE:
            continue
        if name not in source or name not in target:
            where = "source" if name in source else "target"
            skipped.append(f"{name} (only in the {where})")
            continue
        if name == EMBEDDINGS:
            kinds = {"model": "text", "paper_id": "text", "vector": "vector"}
            plans[name] = TablePlan(name, EMBEDDING_COLUMNS, kinds, ["model", "paper_id"], False)
            continue
        shared = [column for column in target[name].columns if column in source[name].columns]
        kinds = {column: _kind(source[name], target[name], column) for column in shared}
        key = [column for column in source[name].key if column in shared] or shared
        plans[name] = TablePlan(name, shared, kinds, key, target[name].always_identity)
    return [plans[name] for name in _parents_first(plans, target)], skipped


def _kind(source: TableShape, target: TableShape, column: str) -> str:
    """Return the richer of the two sides' kinds: SQLite's text may hold a timestamp."""
    kinds = {source.columns[column], target.columns[column]} - {"text"}
    if "bool" in kinds:  # SQLite keeps a boolean as 0 or 1
        return "bool"
    if len(kinds) == 1:
        return kinds.pop()
    return sorted(kinds)[0] if kinds else "text"  # int against float: float


def _parents(shapes: dict[str, TableShape], name: str) -> set[str]:
    """Return the tables this one needs first; SQLite's vectors name papers through paper_keys."""
    return shapes[name].parents | ({"papers"} if name == EMBEDDINGS else set())


def _parents_first(plans: dict[str, TablePlan], shapes: dict[str, TableShape]) -> list[str]:
    """Order the tables so that each comes after those its foreign keys point at."""
    ordered: list[str] = []
    placed: set[str] = set()
    remaining = sorted(plans)
    while remaining:
        ready = [
            name
            for name in remaining
            if all(p in placed or p == name or p not in plans for p in _parents(shapes, name))
        ]
        if not ready:  # a cycle of foreign keys: take them in name order
            ready = remaining[:1]
        for name in ready:
            ordered.append(name)
            placed.add(name)
        remaining = [name for name in remaining if name not in placed]
    return ordered
