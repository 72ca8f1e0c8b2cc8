"""The embedded default: a SQLite file in WAL mode, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dailypapers.storage.base import StorageError
from dailypapers.storage.search_sqlite import SqliteSearch
from dailypapers.storage.sql_values import Row
from dailypapers.storage.vector_file import VectorFile
from dailypapers.storage.word_index import WordIndex, word_index_path


class SqliteStorage(SqliteSearch):
    """Storage in a SQLite file (or `sqlite:///:memory:` for a throwaway one)."""

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        if not url.startswith("sqlite:///"):
            raise StorageError(f"expected sqlite:///relative.db or sqlite:////absolute.db: {url!r}")
        self.url = url
        self.path = url.removeprefix("sqlite:///") or ":memory:"
        self._local = threading.local()
        # search: one HNSW index per embedding model, shared by this storage's threads
        self._vector_files: dict[str, VectorFile] = {}
        self._vector_files_lock = threading.Lock()
        # search: the word index that ranks without scoring every match (see word_index.py)
        self._word_index = WordIndex(word_index_path(self.path))
        # An in-memory database has no other connection to read it from a thread.
        self._words_catch_up_aside = self.path != ":memory:"
        self._memory_connection: sqlite3.Connection | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> sqlite3.Connection:
        if self.path == ":memory:":  # one shared connection, or each thread sees its own db
            if self._memory_connection is None:
                self._memory_connection = self._connect()
            return self._memory_connection
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=self.path != ":memory:"
            )
            connection.execute("PRAGMA busy_timeout = 10000")
            _switch_to_wal(connection)
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as error:
            raise StorageError(f"cannot open SQLite database {self.path}: {error}") from error
        return connection

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._connection().execute(sql, params).fetchall()

    def _each_row(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        yield from self._connection().execute(sql, params)

    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection().executemany(sql, rows)

    def _run_script(self, sql: str) -> None:
        # executescript would commit the open transaction; run statement by statement.
        connection = self._connection()
        for statement in _statements(sql):
            connection.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        connection = self._connection()
        if connection.in_transaction:  # nested: a savepoint, as PostgreSQL does
            connection.execute("SAVEPOINT nested")
            try:
                yield
            except BaseException:
                connection.execute("ROLLBACK TO nested")
                connection.execute("RELEASE nested")
                raise
            connection.execute("RELEASE nested")
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            connection.rollback()
            raise
        connection.commit()

    def close(self) -> None:
        """Close the connection this thread opened."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
        if self._memory_connection is not None:
            self._memory_connection.close()
            self._memory_connection = None


def _switch_to_wal(connection: sqlite3.Connection, attempts: int = 50) -> None:
    """Turn on WAL; another process doing the same makes SQLite refuse without waiting."""
    for attempt in range(attempts):
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02)


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into complete statements."""
    buffer: list[str] = []
    for line in script.splitlines():
        buffer.append(line)
        statement = "\n".join(buffer).strip()
        if sqlite3.complete_statement(statement):
            yield statement
            buffer = []
    rest = "\n".join(line for line in buffer if not line.strip().startswith("--")).strip()
    if rest:
        yield rest
