"""The server backend: PostgreSQL through psycopg 3, one connection per thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from dailypapers.storage.base import StorageError
from dailypapers.storage.search_postgresql import PostgresSearch
from dailypapers.storage.sql_values import Row
from dailypapers.storage.word_index import WordIndex
from dailypapers.storage.words_postgresql import postgres_word_index_path

MIGRATION_LOCK_KEY = 0x6461696C79  # any constant bigint; spells "daily"
CONNECT_TIMEOUT_SECONDS = 10  # unless the URL says otherwise; libpq's default is to wait forever


class PostgresStorage(PostgresSearch):
    """Storage in a PostgreSQL database named by a postgresql:// URL."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"  # workers skip rows another is claiming

    def __init__(self, url: str, *, word_index_folder: Path | None = None) -> None:
        """Remember the URL and where word indexes live (None: in memory, built by each
        process); connect lazily, once per thread."""
        self.url = url
        self._local = threading.local()
        self._vector_indexes: set[tuple[str, int]] = set()  # (model, dimension) known to exist
        # search: the word index on this host (see words_postgresql.py)
        self._word_index = WordIndex(postgres_word_index_path(url, word_index_folder))

    def migrate(self) -> list[str]:
        """Apply the pending migrations, one process at a time."""
        # Workers starting together would race on CREATE TABLE IF NOT EXISTS (which PostgreSQL
        # does not make safe) and on the pending list; the lock makes the later ones find
        # the work done.
        self._execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        try:
            return super().migrate()
        finally:
            self._execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")

    def _connection(self) -> psycopg.Connection[Row]:
        """Return this thread's connection, opening it if needed."""
        connection: psycopg.Connection[Row] | None = getattr(self._local, "connection", None)
        # psycopg closes a connection the server dropped; open a new one rather than fail forever.
        if connection is None or connection.closed:
            connection = self._local.connection = self._connect()
        return connection

    def _connect(self) -> psycopg.Connection[Row]:
        """Open an autocommit connection, or raise StorageError naming the database."""
        try:
            timeout = conninfo_to_dict(self.url).get("connect_timeout", CONNECT_TIMEOUT_SECONDS)
            # Autocommit, so reads outside a transaction() block hold no snapshot open.
            return psycopg.connect(self.url, autocommit=True, connect_timeout=timeout)
        except psycopg.Error as error:
            raise StorageError(
                f"cannot connect to PostgreSQL database {_describe_database(self.url)}:"
                f" {_without_password(str(error).strip(), self.url)}"
            ) from error

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement and return its rows (empty for writes)."""
        cursor = self._cursor(sql, params)
        return cursor.fetchall() if cursor.description is not None else []

    def _each_row(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Run one query and yield its rows (psycopg turns each into Python when it is read)."""
        yield from self._cursor(sql, params)

    def _cursor(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Row]:
        """Run one statement and return its cursor."""
        query = _with_psycopg_placeholders(sql)
        connection = self._connection()
        idle = connection.info.transaction_status == TransactionStatus.IDLE
        try:
            cursor = connection.execute(query, params)
        except psycopg.OperationalError:
            # The server dropped an idle connection (a restart, a proxy's idle timeout): run
            # the statement again on a new one. Inside a transaction the caller must know.
            if not (idle and connection.closed):
                raise
            cursor = self._connection().execute(query, params)
        return cursor

    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        with self._connection().cursor() as cursor:
            cursor.executemany(_with_psycopg_placeholders(sql), rows)  # pipelined by psycopg

    def _run_script(self, sql: str) -> None:
        """Run a script of several statements."""
        # Without parameters psycopg sends the simple query protocol, which allows many statements.
        self._connection().execute(sql)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Open a transaction, or a savepoint inside one."""
        # A nested block becomes a savepoint; only the outermost block commits.
        with self._connection().transaction():
            yield

    def gather_statistics(self) -> None:
        """Analyse the site's tables now, after a bulk load (`db copy`, `restore`), rather
        than when autovacuum comes by: without statistics a vector search read every vector
        instead of walking the graph (EXPLAIN ANALYZE at 80,000 papers: 110 to 160 ms against
        10 to 14). Table by table: the system catalogs are the superuser's to analyse."""
        for (table,) in self._execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ):
            self._execute(f'ANALYZE "{table}"')

    def close(self) -> None:
        """Close the connection this thread opened."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


@lru_cache(maxsize=1024)
def _with_psycopg_placeholders(sql: str) -> str:
    """Turn the shared SQL's `?` placeholders into psycopg's `%s`."""
    return sql.replace("?", "%s")  # the shared SQL holds no literal `?` or `%`


def _describe_database(url: str) -> str:
    """Name the database and server a URL points at, leaving out any password."""
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/")) or "(default)"
    host = parts.hostname or "(local socket)"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port; libpq's own message says what is wrong with it
        port = ""
    return f"{database!r} on {host}{port}"


def _without_password(message: str, url: str) -> str:
    """Blank out the URL's password where libpq's error message quotes it."""
    password = urlsplit(url).password
    if not password:
        return message
    for form in {password, unquote(password)}:
        message = message.replace(form, "***")
    return message
