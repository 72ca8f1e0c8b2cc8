"""The `dailypapers` command: serve, import, ingest, migrate, settings."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import httpx
from tqdm import tqdm

from dailypapers.services.importing import (
    ImportReport,
    InvalidFile,
    find_importable_files,
    import_file,
)
from dailypapers.services.ingesting import ingest_hf_days
from dailypapers.settings import Settings, describe_settings
from dailypapers.sources.http import USER_AGENT, FetchError
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.base import StorageError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _storage(settings: Settings) -> Storage:
    try:
        return open_storage(settings.database_url)
    except StorageError as error:
        raise click.ClickException(str(error)) from None


@click.group()
@click.version_option(package_name="dailypapers")
def cli() -> None:
    """A self-hosted Daily Papers site. Settings come from DAILYPAPERS_* variables."""


@cli.command()
@click.option("--host", help="Address to listen on (default: DAILYPAPERS_HOST).")
@click.option("--port", type=int, help="Port to listen on (default: DAILYPAPERS_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the site."""
    import uvicorn

    from dailypapers.web.app import create_app

    settings = _settings()
    _storage(settings).close()  # migrate and fail early on a bad database URL
    click.echo(
        f"Serving {settings.database_url} on http://{host or settings.host}:{port or settings.port}"
    )
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="warning",
    )


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    storage = open_storage(settings.database_url, migrate=False)
    applied = storage.migrate()
    click.echo(f"applied {', '.join(applied)}" if applied else "database is up to date")


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid records, report the rest.")
def import_(paths: tuple[Path, ...], skip_invalid: bool) -> None:
    """Import Hugging Face daily_papers JSON and arXiv JSON Lines files (or folders of them).

    Each file is applied whole or not at all.
    """
    try:
        files = find_importable_files(paths)
    except (FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    storage = _storage(_settings())
    total = ImportReport()
    with tqdm(unit=" papers", desc="importing", disable=None) as bar:
        for path in files:
            try:
                with storage.transaction():
                    report = import_file(
                        storage=storage, path=path, skip_invalid=skip_invalid, progress=bar.update
                    )
            except InvalidFile as error:
                bar.close()
                click.echo(f"error: {error}", err=True)
                click.echo(f"nothing from {path} was imported", err=True)
                if total.added or total.updated:
                    click.echo(f"earlier files: {total.summary()}", err=True)
                sys.exit(1)
            for problem in report.skipped:
                tqdm.write(f"skipped: {path}: {problem.describe()}", file=sys.stderr)
            total.add(report)
    click.echo(f"{len(files)} file(s): {total.summary()}")


@cli.group()
def ingest() -> None:
    """Pull new papers from a live source."""


@ingest.command("hf")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 14 days ago)."
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
def ingest_hf(since: datetime | None, until: datetime | None) -> None:
    """Pull Hugging Face's daily papers, day by day."""
    settings = _settings()
    today = datetime.now(UTC).date()
    first = since.date() if since else today - timedelta(days=14)
    last = until.date() if until else today
    if first > last:
        raise click.UsageError(f"--since {first} is after --until {last}")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    storage = _storage(settings)

    def warn(problem: InvalidRecord) -> None:
        tqdm.write(f"skipped: {problem.describe()}", file=sys.stderr)

    def show(day: date, report: ImportReport) -> None:
        bar.update(1)
        bar.set_postfix_str(f"{day}: {report.summary()}")

    headers = {"User-Agent": USER_AGENT}
    with (
        httpx.Client(timeout=settings.http_timeout_s, headers=headers) as client,
        tqdm(total=len(days), unit=" days", desc="hf", disable=None) as bar,
    ):
        try:
            total = ingest_hf_days(
                storage=storage,
                client=client,
                base_url=settings.hf_api_url,
                days=days,
                on_invalid=warn,
                on_day=show,
            )
        except FetchError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{len(days)} day(s) from {settings.hf_api_url}: {total.summary()}")


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table that docs/settings.md holds.")
def show_settings(markdown: bool) -> None:
    """List every setting with its environment variable and default."""
    if markdown:
        click.echo("| variable | default | what it does |\n| --- | --- | --- |")
    for variable, default, help_text in describe_settings():
        if markdown:
            click.echo(
                f"| `{variable}` | `{default}` | {help_text} |"
                if default
                else f"| `{variable}` | (empty) | {help_text} |"
            )
        else:
            click.echo(f"{variable}\n    default: {default or '(empty)'}\n    {help_text}")


def main() -> None:
    """Run the command line."""
    cli()
