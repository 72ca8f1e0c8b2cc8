"""Pull new papers from live sources: Hugging Face's daily list and arXiv."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings, open_configured_storage, polite_fetcher
from dailypapers.services.arxiv import PaperNotFound, harvest_oai, pull_categories
from dailypapers.services.errors import InvalidInput
from dailypapers.services.importing import ImportReport
from dailypapers.services.ingesting import ingest_hf_days
from dailypapers.services.submissions import feature_paper, fetch_from_arxiv
from dailypapers.sources.arxiv_api import ArxivApiError
from dailypapers.sources.arxiv_oai import FORMATS, OaiError
from dailypapers.sources.http import FetchError
from dailypapers.sources.records import InvalidRecord

DAY = click.DateTime(["%Y-%m-%d"])
SOURCE_ERRORS = (FetchError, ArxivApiError, OaiError)


def _warn(problem: InvalidRecord) -> None:
    tqdm.write(f"skipped: {problem.describe()}", file=sys.stderr)


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
                on_invalid=_warn,
                on_day=show,
            )
        except FetchError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{len(days)} day(s) from {settings.hf_api_url}: {total.summary()}")


@ingest.command("arxiv")
@click.option("--category", "categories", multiple=True, required=True, help="e.g. cs.LG; repeat.")
@click.option("--since", type=DAY, help="Oldest update day to pull (default: the last pull).")
def ingest_arxiv(categories: tuple[str, ...], since: datetime | None) -> None:
    """Pull new and updated papers of arXiv categories from the arXiv API, newest first.

    Stops at --since, or without it at the first page with nothing new (a first pull
    goes back a week). Requests are spaced by DAILYPAPERS_ARXIV_DELAY_S.
    """
    settings = load_settings()
    storage = open_configured_storage(settings)
    with (
        polite_fetcher(settings, delay_s=settings.arxiv_delay_s) as fetcher,
        tqdm(unit=" pages", desc="arxiv", disable=None) as bar,
    ):
        try:
            report = pull_categories(
                storage=storage,
                fetcher=fetcher,
                api_url=settings.arxiv_api_url,
                categories=categories,
                since=since.date() if since else None,
                page_size=settings.arxiv_page_size,
                now=lambda: datetime.now(UTC),
                on_invalid=_warn,
                on_page=lambda page: bar.update(1),
            )
        except SOURCE_ERRORS as error:
            raise click.ClickException(f"{error} (pages already pulled are kept)") from None
    click.echo(f"{', '.join(categories)}: {report.summary()}")


@click.group()
def harvest() -> None:
    """Bulk-harvest a source, resumably."""


@harvest.command("oai")
@click.option("--set", "set_spec", help="OAI-PMH set, e.g. cs or physics:hep-th (default: all).")
@click.option("--from", "from_day", type=DAY, help="First datestamp day.")
@click.option("--until", "until_day", type=DAY, help="Last datestamp day.")
@click.option(
    "--format",
    "metadata_prefix",
    type=click.Choice(FORMATS),
    default="arXiv",
    show_default=True,
    help="arXivRaw adds every version's date.",
)
def harvest_oai_command(
    set_spec: str | None,
    from_day: datetime | None,
    until_day: datetime | None,
    metadata_prefix: str,
) -> None:
    """Harvest arXiv's OAI-PMH endpoint, following resumption tokens.

    The cursor is saved with every page: run the same command again after an
    interruption and it resumes where it stopped.
    """
    settings = load_settings()
    storage = open_configured_storage(settings)
    with (
        polite_fetcher(settings, delay_s=settings.arxiv_delay_s) as fetcher,
        tqdm(unit=" records", desc="oai-pmh", disable=None) as bar,
    ):
        try:
            outcome = harvest_oai(
                storage=storage,
                fetcher=fetcher,
                oai_url=settings.arxiv_oai_url,
                metadata_prefix=metadata_prefix,
                set_spec=set_spec,
                from_day=from_day.date() if from_day else None,
                until_day=until_day.date() if until_day else None,
                now=lambda: datetime.now(UTC),
                on_invalid=_warn,
                on_page=lambda state, report: bar.update(
                    report.added + report.updated + report.unchanged + len(report.skipped)
                ),
            )
        except SOURCE_ERRORS as error:
            raise click.ClickException(f"{error} (run the command again to resume)") from None
    state = outcome.state
    resumed = "resumed, " if outcome.resumed else ""
    click.echo(
        f"{resumed}{state.pages} page(s), {state.records} record(s) in all;"
        f" this run: {outcome.report.summary()}, {outcome.withdrawn} withdrawn"
    )


@click.command()
@click.argument("paper")
@click.option("--by", "submitted_by", help="Who submits it (shown on the paper page).")
def submit(paper: str, submitted_by: str | None) -> None:
    """Fetch one paper from arXiv (id, arXiv:id, abs or pdf URL) and feature it today."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    with polite_fetcher(settings, delay_s=settings.arxiv_delay_s) as fetcher:
        try:  # fetched before the transaction: no write lock waits on arXiv
            fetched = fetch_from_arxiv(fetcher=fetcher, api_url=settings.arxiv_api_url, text=paper)
        except InvalidInput as error:
            raise click.UsageError(str(error)) from None
        except (PaperNotFound, *SOURCE_ERRORS) as error:
            raise click.ClickException(str(error)) from None
    with storage.transaction():
        submission = feature_paper(
            storage=storage,
            paper=fetched,
            submitted_by=submitted_by,
            organization=None,
            now=datetime.now(UTC),
            refresh=True,
        )
    featured = submission.featured
    day = featured.entry.day if featured.entry else "?"
    when = f"already featured on {day}" if submission.already_featured else f"featured on {day}"
    click.echo(f"{featured.paper.id}: {featured.paper.title} ({when})")


COMMANDS = [ingest, harvest, submit]
