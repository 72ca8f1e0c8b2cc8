"""`dailypapers backup` and `restore`: the same data comes back, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dailypapers.cli import cli
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.copy_schema import plan_copy, read_shapes
from dailypapers.storage.copying import table_checksum

from support.populated import populate
from support.postgres_server import fresh_database


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


def test_a_backup_of_the_other_kind_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    open_storage(url).close()
    not_sqlite = tmp_path / "site.dump"
    not_sqlite.write_bytes(b"PGDMP\x01\x10")
    refused = command(url, "restore", str(not_sqlite))
    assert refused.exit_code == 1
    assert f"{not_sqlite} is not a SQLite backup" in refused.output
