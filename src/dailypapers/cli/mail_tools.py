"""Read what the site mails: the outbox, and a local sink that shows mail as it arrives."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import click

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.mail.reading import summarize
from dailypapers.mail.sink import MailSink, SinkUnavailable
from dailypapers.services.notices import delivery_lag


@click.group()
def mail() -> None:
    """See the mail the site sends: what waits in the outbox, or a local sink for the demo."""


@mail.command("outbox")
@click.option("--show", is_flag=True, help="Print each waiting message's text, not only its links.")
@click.option("--limit", default=20, show_default=True, help="How many messages to list.")
def outbox(show: bool, limit: int) -> None:
    """List the messages not sent yet (newest first) with the links in them."""
    storage = open_configured_storage(load_settings())
    counts = storage.outbox_counts()
    click.echo(
        "outbox: " + (", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "empty")
    )
    lag = delivery_lag(storage=storage, now=datetime.now(UTC))
    if lag is not None:
        why = f"last error: {lag.last_error}" if lag.last_error else "is a sender running?"
        click.echo(f"late: {lag.waiting} message(s) should have gone by now ({why})")
    for item in storage.unsent_messages(limit=limit):
        tries = f", {item.attempts} tries, last error: {item.last_error}" if item.attempts else ""
        if item.data is None:
            click.echo(f"#{item.id} {item.kind} to {item.recipient}: {item.state}{tries}")
            continue
        summary = summarize(item.data)
        click.echo(f"#{item.id} {item.kind} to {item.recipient}: {summary.subject!r}")
        click.echo(f"    {item.state}, queued {item.created_at:%Y-%m-%d %H:%M:%S} UTC{tries}")
        for link in summary.links:
            click.echo(f"    link: {link}")
        if show:
            click.echo("    " + summary.text.strip().replace("\n", "\n    "))
    click.echo("Sent messages are not kept: run `dailypapers mail sink` to read them as they go.")


@mail.command("sink")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, help="Port to listen on.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also keep each message there as NNNNN.eml.",
)
def sink(host: str, port: int, folder: Path | None) -> None:
    """Accept all mail on a local port and print each message's subject and links.

    Point the site at it with DAILYPAPERS_SMTP_HOST=127.0.0.1 DAILYPAPERS_SMTP_PORT=8025
    (`make demo` does). Nothing leaves the machine.
    """

    def show(data: bytes) -> None:
        """Print who a message is for, its subject and its links."""
        summary = summarize(data)
        lines = [f"mail to {summary.recipients}: {summary.subject}"]
        lines += [f"    link: {link}" for link in summary.links]
        click.echo("\n".join(lines))

    try:
        server = MailSink(host=host, port=port, on_message=show, folder=folder)
        server.start()
    except SinkUnavailable as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"Mail sink on {host}:{port}: every message is shown here, none is delivered")
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, frame: stop.set())
    stop.wait()
    server.stop()


COMMANDS = [mail]
