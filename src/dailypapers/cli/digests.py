"""Manage digest subscribers, and preview, compose and send digests by hand."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.domain.digests import period_due
from dailypapers.domain.periods import Period, PeriodKind, parse_day, parse_week, period_containing
from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    normalize_email,
)
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.digests import compose_digests, preview_digest
from dailypapers.services.outbox import deliver_outbox, worker_name
from dailypapers.services.subscriber_lists import (
    SubscriberRow,
    add_subscribers,
    read_subscriber_csv,
)
from dailypapers.services.subscriptions import check_preferences, links_for, unsubscribe
from dailypapers.settings import load_secret_key
from dailypapers.storage import Storage


def _now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def _named_period(day: str | None, week: str | None) -> Period | None:
    """Return the period --period or --week names, if either is given."""
    if day and week:
        raise click.UsageError("give --period or --week, not both")
    try:
        if day:
            return parse_day(day)
        if week:
            return parse_week(week)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return None


# -- subscribers ------------------------------------------------------------------------


@click.group()
def subscriber() -> None:
    """Add, import and remove digest subscribers."""


@subscriber.command("add")
@click.argument("email")
@click.option("--weekly", is_flag=True, help="Send the weekly digest instead of the daily one.")
@click.option(
    "--confirmed",
    is_flag=True,
    help="The reader already opted in elsewhere: skip the confirmation mail.",
)
@click.option("--top", default=10, show_default=True, help="How many trending papers (0-30).")
@click.option("--category", "categories", multiple=True, help="An arXiv category to follow.")
@click.option("--author", "authors", multiple=True, help="An author to follow.")
@click.option("--organization", "organizations", multiple=True, help="An organization.")
@click.option("--search", "searches", multiple=True, help="A saved search (query string).")
def add_subscriber(
    email: str,
    weekly: bool,
    confirmed: bool,
    top: int,
    categories: tuple[str, ...],
    authors: tuple[str, ...],
    organizations: tuple[str, ...],
    searches: tuple[str, ...],
) -> None:
    """Subscribe EMAIL: mail it a confirmation link, or with --confirmed add it at once."""
    try:
        row = SubscriberRow(
            0,
            normalize_email(email),
            check_preferences(
                weekly=weekly,
                top=top,
                categories=categories,
                authors=authors,
                organizations=organizations,
                searches=searches,
            ),
        )
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    _add([row], confirmed=confirmed)


@subscriber.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--confirmed", is_flag=True, help="The readers already opted in: send no confirmation mail."
)
@click.option("--skip-invalid", is_flag=True, help="Import the good lines, report the bad ones.")
def import_subscribers(file: Path, confirmed: bool, skip_invalid: bool) -> None:
    """Import subscribers from a CSV file with a header row.

    Columns: email (required), frequency (daily or weekly), top, and categories,
    authors, organizations, searches, each a list separated by semicolons.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file.name}: not UTF-8 text ({error})") from None
    rows, problems = read_subscriber_csv(text)
    for problem in problems:
        click.echo(f"{'skipped' if skip_invalid else 'error'}: {file.name}: {problem.describe()}")
    if problems and not skip_invalid:
        raise click.ClickException(f"nothing from {file.name} was imported")
    _add(rows, confirmed=confirmed)


def _add(rows: list[SubscriberRow], *, confirmed: bool) -> None:
    """Add the rows in one transaction and print what happened."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    links = links_for(settings, load_secret_key(settings))
    with storage.transaction():
        report = add_subscribers(
            storage=storage,
            settings=settings,
            links=links,
            rows=rows,
            confirmed=confirmed,
            now=_now(),
        )
    for address in report.kept_out:
        click.echo(f"left out: {address} unsubscribed or bounces; only its owner can resubscribe")
    click.echo(report.summary() + ("" if confirmed else "; confirmation links are in the outbox"))


@subscriber.command("remove")
@click.argument("email")
def remove_subscriber(email: str) -> None:
    """Unsubscribe EMAIL, cancelling the digests composed for it and not yet sent."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    with storage.transaction():
        found = storage.find_subscriber(email.strip())
        if found is None:
            raise click.ClickException(f"{email} is not subscribed")
        unsubscribe(storage=storage, subscriber=found, now=_now())
    click.echo(f"{found.email} unsubscribed")


# -- digests ------------------------------------------------------------------------------


@click.group()
def digest() -> None:
    """Preview, compose and send the email digests."""


@digest.command("preview")
@click.option("--email", required=True, help="Whose digest: a subscriber, or anyone for a sample.")
@click.option("--period", "day", metavar="YYYY-MM-DD", help="A day (default: the latest).")
@click.option("--week", metavar="YYYY-Www", help="An ISO week instead of a day.")
@click.option(
    "--format",
    "shown",
    type=click.Choice(["text", "html", "eml"]),
    default="text",
    show_default=True,
    help="Print the plain text, the HTML, or the whole message.",
)
def preview(email: str, day: str | None, week: str | None, shown: str) -> None:
    """Print the digest EMAIL would get, without sending or recording anything."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    period = _preview_period(storage, day, week)
    reader = storage.find_subscriber(email.strip()) or _sample(email, period)
    _plan, message = preview_digest(
        storage=storage,
        settings=settings,
        links=links_for(settings, load_secret_key(settings)),
        subscriber=reader,
        period=period,
        now=_now(),
    )
    if message is None:
        click.echo(f"{reader.email} would get no digest for {period.key}: nothing new for them")
        return
    if shown == "eml":
        sys.stdout.buffer.write(message.data)
        return
    parsed: EmailMessage = message_from_bytes(message.data, policy=default_policy)
    body = parsed.get_body(("plain",) if shown == "text" else ("html",))
    assert body is not None
    if shown == "text":
        click.echo(f"Subject: {parsed['Subject']}\n")
    click.echo(body.get_content().replace("\r\n", "\n"))


def _preview_period(storage: Storage, day: str | None, week: str | None) -> Period:
    """Return the period asked for, else the latest day with papers."""
    named = _named_period(day, week)
    if named is not None:
        return named
    latest = storage.latest_day()
    if latest is None:
        raise click.ClickException("no papers yet: import or ingest some first")
    return period_containing(PeriodKind.DAY, latest)


def _sample(email: str, period: Period) -> Subscriber:
    """Return a stand-in reader with default choices, for a preview."""
    try:
        address = normalize_email(email)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    weekly = Frequency.WEEKLY if period.kind is PeriodKind.WEEK else Frequency.DAILY
    now = _now()
    return Subscriber(None, address, SubscriberStatus.CONFIRMED, Preferences(weekly), now, now)


@digest.command("send")
@click.option("--period", "day", metavar="YYYY-MM-DD", help="The day whose daily digest to send.")
@click.option("--week", metavar="YYYY-Www", help="The ISO week whose weekly digest to send.")
@click.option(
    "--dry-run",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the messages to this folder as .eml files; send and record nothing.",
)
@click.option("--compose-only", is_flag=True, help="Put the digests in the outbox; send later.")
def send(day: str | None, week: str | None, dry_run: Path | None, compose_only: bool) -> None:
    """Compose a period's digests (default: the daily one due today), then send the outbox."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = load_settings()
    storage = open_configured_storage(settings)
    period = _named_period(day, week) or period_due(
        Frequency.DAILY, _now().astimezone(ZoneInfo(settings.schedule_timezone)).date()
    )
    owner = worker_name()
    with tqdm(desc=f"composing {period.key}", unit=" readers", leave=False) as bar:
        report = compose_digests(
            storage=storage,
            settings=settings,
            links=links_for(settings, load_secret_key(settings)),
            period=period,
            now=_now(),
            owner=owner,
            dry_run=dry_run,
            on_batch=bar.update,
        )
    click.echo(report.summary())
    if dry_run is not None:
        click.echo(f"messages written to {dry_run / period.key}; nothing was sent or recorded")
        return
    if compose_only:
        return
    with (
        tqdm(desc="sending", unit=" messages", leave=False) as bar,
        SmtpSender(settings) as sender,
    ):
        delivery = deliver_outbox(
            storage=storage,
            sender=sender,
            settings=settings,
            owner=owner,
            clock=_now,
            on_sent=bar.update,
        )
    click.echo(f"outbox: {delivery.summary()}")
    due = storage.next_message_due()
    if due is not None:
        click.echo(f"still pending: the next try is due at {due:%Y-%m-%d %H:%M:%S} UTC")
    if delivery.server_error:
        raise click.ClickException(f"the mail server failed: {delivery.server_error}")


@digest.command("status")
def status() -> None:
    """Show how many subscribers and outbox messages there are in each state."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    subscribers = storage.subscriber_counts()
    messages = storage.outbox_counts()
    click.echo("subscribers: " + (_counts(subscribers) or "none"))
    click.echo("outbox: " + (_counts(messages) or "empty"))
    due = storage.next_message_due()
    if due is not None:
        click.echo(f"next message due at {due:%Y-%m-%d %H:%M:%S} UTC")


def _counts(counts: dict[str, int]) -> str:
    """Return counts by state as one line."""
    return ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))


COMMANDS = [subscriber, digest]
