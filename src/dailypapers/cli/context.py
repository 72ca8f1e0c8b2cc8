"""What every subcommand needs: the settings and the storage they name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from dailypapers.settings import Settings
from dailypapers.sources.http import PoliteFetcher, open_fetcher
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.base import StorageError


def load_settings() -> Settings:
    """Read the settings; a bad one is a usage error naming the variable."""
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def open_configured_storage(settings: Settings) -> Storage:
    """Open (and migrate) the configured database, or fail with a clear message."""
    try:
        return open_storage(settings.database_url, word_index_folder=settings.word_index_folder)
    except StorageError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def polite_fetcher(settings: Settings, *, delay_s: float = 0.0) -> Iterator[PoliteFetcher]:
    """Yield a fetcher set up from the settings (contact address, timeout)."""
    with open_fetcher(
        contact_email=settings.contact_email, timeout_s=settings.http_timeout_s, delay_s=delay_s
    ) as fetcher:
        yield fetcher
