"""Settings, readers and clocks for the digest tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    Topics,
)
from dailypapers.services.subscriptions import SubscriptionLinks, links_for
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import Storage

from support.smtp_server import SmtpServer

SECRET = "test-secret-key-that-is-long-enough-to-be-accepted"
SITE = "https://papers.example.org"
# A recorded day (a Friday, 2025-10-17) and the Monday morning its daily digest is composed.
DAY = "2025-10-17"
NOW = datetime(2025, 10, 20, 11, 0, tzinfo=UTC)
# Schedules that never fall due while a test runs: the compose jobs stay out of the way.
NEVER = "0 0 1 1 *"


def mail_settings(server: SmtpServer | None = None, **overrides: object) -> Settings:
    """Return settings that send through the server (when given) and sign with a fixed key."""
    values: dict[str, object] = {
        "secret_key": SECRET,
        "public_url": SITE,
        "mail_from": "Daily Papers <papers@example.org>",
        "smtp_timeout_s": 10.0,
    }
    if server is not None:
        values.update(smtp_host=server.host, smtp_port=server.port)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def links(settings: Settings) -> SubscriptionLinks:
    """Return the settings' link maker."""
    return links_for(settings, load_secret_key(settings))


def add_reader(
    storage: Storage,
    email: str,
    *,
    frequency: Frequency = Frequency.DAILY,
    top: int = 5,
    topics: Topics | None = None,
    status: SubscriberStatus = SubscriberStatus.CONFIRMED,
    at: datetime = NOW - timedelta(days=30),
) -> Subscriber:
    """Store a subscriber; return it with its number."""
    with storage.transaction():
        saved = storage.save_subscriber(
            Subscriber(None, email, status, Preferences(frequency, top, topics or Topics()), at, at)
        )
    assert saved is not None
    return saved


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """Return the clock's time."""
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward; return the new time."""
        self.now += timedelta(**delta)
        return self.now


@contextmanager
def worker(
    storage: Storage, server: SmtpServer, log: Path, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `dailypapers worker` as a separate process sending through the server."""
    environment = worker_environment(storage.url, server, **extra)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "worker"],
            env=environment,
            stdout=output,
            stderr=output,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def worker_environment(url: str, server: SmtpServer, **extra: str) -> dict[str, str]:
    """Return the environment of a worker on this database sending through the server."""
    return {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": url,
        "DAILYPAPERS_SECRET_KEY": SECRET,
        "DAILYPAPERS_PUBLIC_URL": "https://papers.example.org",
        "DAILYPAPERS_MAIL_FROM": "papers@example.org",
        "DAILYPAPERS_SMTP_HOST": server.host,
        "DAILYPAPERS_SMTP_PORT": str(server.port),
        "DAILYPAPERS_MAIL_BATCH_SIZE": "20",
        "DAILYPAPERS_MAIL_LEASE_S": "2",
        "DAILYPAPERS_MAIL_POLL_S": "0.2",
        "DAILYPAPERS_DIGEST_DAILY_SCHEDULE": NEVER,
        "DAILYPAPERS_DIGEST_WEEKLY_SCHEDULE": NEVER,
        "DAILYPAPERS_ARXIV_CATEGORIES": "",
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",
        **{f"DAILYPAPERS_{name.upper()}": value for name, value in extra.items()},
    }
