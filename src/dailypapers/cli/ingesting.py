"""Pull new papers from live sources."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings, open_configured_storage, polite_fetcher
from dailypapers.services.importing import ImportReport
from dailypapers.services.ingesting import ingest_hf_days
from dailypapers.sources.http import FetchError
from dailypapers.sources.records import InvalidRecord

DAY = click.DateTime(["%Y-%m-%d"])


@click.group()
def ingest() -> None:
    """Pull new papers from a live source."""


@ingest.command("hf")
@click.option("--since", type=DAY, help="First day (default: 14 days ago).")
@click.option("--until", type=DAY, help="Last day (default: today).")
def ingest_hf(since: datetime | None, until: datetime | None) -> None:
    """Pull Hugging Face's daily papers, day by day."""
    settings = load_settings()
    today = datetime.now(UTC).date()
    first = since.date() if since else today - timedelta(days=14)
    last = until.date() if until else today
    if first > last:
        raise click.UsageError(f"--since {first} is after --until {last}")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    storage = open_configured_storage(settings)

    def warn(problem: InvalidRecord) -> None:
        tqdm.write(f"skipped: {problem.describe()}", file=sys.stderr)

    def show(day: date, report: ImportReport) -> None:
        bar.update(1)
        bar.set_postfix_str(f"{day}: {report.summary()}")

    with (
        polite_fetcher(settings) as fetcher,
        tqdm(total=len(days), unit=" days", desc="hf", disable=None) as bar,
    ):
        try:
            total = ingest_hf_days(
                storage=storage,
                fetcher=fetcher,
                base_url=settings.hf_api_url,
                days=days,
                on_invalid=warn,
                on_day=show,
            )
        except FetchError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{len(days)} day(s) from {settings.hf_api_url}: {total.summary()}")


COMMANDS = [ingest]
