"""`dailypapers backup` and `restore`: the same data comes back, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dailypapers.cli import cli
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.copy_schema import plan_copy, read_shapes
from dailypapers.storage.copying import table_checksum

from support.populated import populate
from support.postgres_server import fresh_database, tables_with_statistics


def site_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Return every table's row count and checksum, as `db copy` verifies them."""
    storage = open_storage(url)
    try:
        shapes = read_shapes(storage)
        tables, _ = plan_copy(shapes, shapes)
        return {table.name: table_checksum(storage, table) for table in tables}
    finally:
        storage.close()


def command(url: str, *arguments: str) -> Result:
    """Run the command line against the database at this URL."""
    return CliRunner(env={"DAILYPAPERS_DATABASE_URL": url}).invoke(cli, list(arguments))


def change_everything(storage: Storage) -> None:
    """Lose votes and comments, and add a paper: what a restore must undo."""
    with storage.transaction():
        storage._execute("DELETE FROM votes")  # type: ignore[attr-defined]
        storage._execute("UPDATE comments SET body = 'vandalised'")  # type: ignore[attr-defined]
        storage._execute(
            "UPDATE papers SET title = 'Overwritten' WHERE id IN (SELECT id FROM papers LIMIT 3)"
        )  # type: ignore[attr-defined]


def check_backup_and_restore(url: str, backup: Path) -> None:
    before = site_checksums(url)
    made = command(url, "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert backup.stat().st_size > 0 and f"to {backup}" in made.output
    storage = open_storage(url)
    change_everything(storage)
    assert len(storage.search_lexical(parse_query("Overwritten"), limit=5)) == 3  # indexed
    storage.close()
    assert site_checksums(url) != before

    refused = command(url, "restore", str(backup))
    assert refused.exit_code == 1
    assert "already holds papers; use --force" in refused.output

    restored = command(url, "restore", str(backup), "--force")
    assert restored.exit_code == 0, restored.output
    assert site_checksums(url) == before
    storage = open_storage(url)
    assert storage.search_lexical(parse_query("Overwritten"), limit=5) == []  # words rebuilt
    storage.close()


def test_a_sqlite_site_is_backed_up_and_restored(tmp_path: Path, shared_data: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    storage = open_storage(url)
    populate(storage, shared_data)
    storage.search_lexical(parse_query("attention"), limit=5)  # the word index exists beside it
    storage.close()
    check_backup_and_restore(url, tmp_path / "backups" / "site.sqlite3")


@pytest.mark.postgres
def test_a_postgresql_site_is_backed_up_and_restored(
    tmp_path: Path, shared_data: Path, postgres_url: str, postgres_server: str
) -> None:
    storage = open_storage(postgres_url)
    populate(storage, shared_data)
    storage.close()
    backup = tmp_path / "site.dump"
    check_backup_and_restore(postgres_url, backup)
    with fresh_database(postgres_server) as empty_url:  # another server's first day
        restored = command(empty_url, "restore", str(backup))
        assert restored.exit_code == 0, restored.output
        assert site_checksums(empty_url) == site_checksums(postgres_url)
        # pg_restore brings no planner statistics: restore gathers them.
        assert {"papers", "votes", "paper_embeddings"} <= tables_with_statistics(empty_url)


def test_a_sqlite_backup_is_known_by_its_contents_not_its_name(
    tmp_path: Path, shared_data: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    storage = open_storage(url)
    populate(storage, shared_data)
    storage.close()
    before = site_checksums(url)
    backup = tmp_path / "nightly.dump"  # the name pg_dump's archives often have
    assert command(url, "backup", str(backup)).exit_code == 0

    other_url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    restored = command(other_url, "restore", str(backup))

    assert restored.exit_code == 0, restored.output
    assert site_checksums(other_url) == before


def test_a_postgresql_archive_given_to_a_sqlite_site_is_named_for_what_it_is(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    archive = tmp_path / "site.sqlite3"  # named like SQLite, holding a pg_dump archive
    archive.write_bytes(b"PGDMP\x01\x10\x00\x04\x08\x01\x01")
    refused = command(url, "restore", str(archive))
    assert refused.exit_code == 1
    assert f"{archive} is a PostgreSQL archive (pg_dump)" in refused.output
    assert "restore it into a PostgreSQL database" in refused.output


def test_a_file_that_is_no_backup_is_refused_saying_what_restore_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    notes = tmp_path / "site.sql"
    notes.write_text("CREATE TABLE papers (id TEXT);\n")
    refused = command(url, "restore", str(notes))
    assert refused.exit_code == 1
    assert f"{notes} is not a backup" in refused.output
    assert "pg_dump --format=custom" in refused.output


def test_a_damaged_sqlite_backup_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    """A backup larger than the memory the process may use: only its header is read."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    open_storage(url).close()
    damaged = tmp_path / "damaged.sqlite3"
    with damaged.open("wb") as out:
        out.write(b"SQLite format 3\x00")
        out.truncate(4 << 30)  # 4 GB, sparse: nothing of it is on the disk
    # The command runs under a 1 GB limit on the memory it may allocate.
    limited = (
        "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, 1 << 30));"
        " sys.argv = ['dailypapers', 'restore', sys.argv[1]];"
        " runpy.run_module('dailypapers', run_name='__main__')"
    )

    completed = subprocess.run(
        [sys.executable, "-c", limited, str(damaged)],
        env={**os.environ, "DAILYPAPERS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr, completed.stderr
    assert f"{damaged} is damaged or not a SQLite database" in completed.stderr
