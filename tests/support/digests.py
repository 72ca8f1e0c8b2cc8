"""Settings, readers and clocks for the digest tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
