"""Move a site between databases, and back it up: `db copy`, `backup`, `restore`."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.backups import BackupError, backup_database, restore_database
from dailypapers.storage.base import StorageError
from dailypapers.storage.copying import (
    BATCH_ROWS,
    TableCheck,
    copy_tables,
    finish_copy,
    prepare_copy,
    verify_copy,
)
from dailypapers.storage.opening import without_password


@click.group("db")
def database() -> None:
    """Move the site's data to another database."""


@database.command("copy")
@click.option(
    "--to",
    "target_url",
    required=True,
    help="The database to copy into: postgresql://... or sqlite:///path.db.",
)
@click.option(
    "--from",
    "source_url",
    help="The database to copy from (default: DAILYPAPERS_DATABASE_URL).",
)
@click.option("--force", is_flag=True, help="Empty a target that already holds data first.")
@click.option(
    "--batch-rows",
    default=BATCH_ROWS,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows per transaction; a copy killed midway resumes after the last one.",
)
def copy_command(target_url: str, source_url: str | None, force: bool, batch_rows: int) -> None:
    """Copy every table to another database, resumably, then verify the copy table by table."""
    source_url = source_url or load_settings().database_url
    if source_url == target_url:
        raise click.UsageError("the source and the target are the same database")
    try:
        source = open_storage(source_url)  # migrated: both sides have this code's schema
        target = open_storage(target_url)
        plan = prepare_copy(source, target, force=force)
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    if plan.resuming:
        click.echo("resuming the unfinished copy into this target")
    for name in plan.skipped:
        click.echo(f"not copied: {name}")
    bars: dict[str, tqdm] = {}

    def show(table: str, rows: int, total: int) -> None:
        bar = bars.get(table)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[table] = tqdm(total=total, desc=table, unit=" rows", disable=None)
        bar.update(rows)

    copy_tables(source, target, plan, batch_rows=batch_rows, on_progress=show)
    for bar in bars.values():
        bar.close()
    checks = verify_copy(source, target, plan)
    _print_checks(checks)
    if not all(check.matches for check in checks):
        raise click.ClickException(
            "the copy differs from the source: see the tables marked DIFFERS"
        )
    finish_copy(target)
    _rebuild_side_indexes(target)
    click.echo(f"copied {len(checks)} tables to {without_password(target_url)}; every one verified")


def _print_checks(checks: list[TableCheck]) -> None:
    width = max((len(check.name) for check in checks), default=5)
    click.echo(f"{'table':<{width}}  {'rows':>10}  {'checksum':<32}  result")
    for check in checks:
        if check.matches:
            click.echo(
                f"{check.name:<{width}}  {check.source_rows:>10}  {check.source_checksum}  ok"
            )
        else:
            click.echo(
                f"{check.name:<{width}}  {check.source_rows:>10}  {check.source_checksum}  DIFFERS:"
                f" target has {check.target_rows} rows, checksum {check.target_checksum}"
            )


def _rebuild_side_indexes(target: Storage) -> None:
    """Build the word index and HNSW files a SQLite target keeps beside the database."""
    if target.dialect != "sqlite":
        # PostgreSQL: the HNSW indexes are inside the database, and each web host builds its
        # word index itself (on its first search or the indexing job).
        return
    click.echo(f"word index: {target.refresh_word_index()} papers indexed")
    for model in target.count_embeddings():
        click.echo(f"vector index of {model}: {target.refresh_vector_index(model=model)} vectors")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the site runs."""
    settings = load_settings()
    try:
        size = backup_database(settings.database_url, path)
    except (BackupError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {without_password(settings.database_url)} to {path} ({size:,} bytes)")


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore(path: Path, force: bool) -> None:
    """Replace the database's contents with the backup at PATH (stop the site first)."""
    settings = load_settings()
    try:
        restore_database(settings.database_url, path, force=force)
    except (BackupError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {path} into {without_password(settings.database_url)}")


COMMANDS = [database, backup, restore]
