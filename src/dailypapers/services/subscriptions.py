"""Subscribe with double opt-in, confirm, change preferences and unsubscribe, by signed link.

Whatever the address, asking to subscribe looks the same from outside: the answer
never tells whether it was on the list. What happens is told to the address itself,
by mail, at most once per NOTICE_INTERVAL so the form cannot be used to flood a
stranger's inbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.policy import SMTP as SMTP_POLICY

from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.domain.search_query import QueryError, parse_query
from dailypapers.domain.subscriptions import (
    DEFAULT_TOP_COUNT,
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    check_top_count,
    normalize_email,
    parse_topics,
)
from dailypapers.domain.tokens import TokenPurpose, read_token, sign_token, token_is_valid
from dailypapers.mail.notices import subscription_notice
from dailypapers.mail.smtp import envelope_sender, mail_domain
from dailypapers.settings import Settings
from dailypapers.storage.digests_protocol import DigestStore

NOTICE_INTERVAL = timedelta(minutes=10)


def site_url(settings: Settings) -> str:
    """Return the site's public address for links in mail (DAILYPAPERS_PUBLIC_URL)."""
    return settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"


@dataclass(frozen=True, slots=True)
class SubscriptionLinks:
    """Signed links to a subscriber's confirm, manage and unsubscribe pages."""

    key: bytes
    site_url: str

    def token(self, purpose: TokenPurpose, subscriber: Subscriber, expires: int | None) -> str:
        """Return a signed token for this subscriber and purpose."""
        if subscriber.id is None:
            raise ValueError("only a stored subscriber has links")
        return sign_token(
            self.key,
            purpose,
            subscriber_id=subscriber.id,
            email=subscriber.email,
            subscribed_at=subscriber.created_at,
            expires=expires,
        )

    def confirm_url(self, subscriber: Subscriber, *, expires: datetime) -> str:
        """Return the link that confirms the subscription, valid until `expires`."""
        token = self.token(TokenPurpose.CONFIRM, subscriber, int(expires.timestamp()))
        return f"{self.site_url}/digest/confirm/{token}"

    def manage_url(self, subscriber: Subscriber) -> str:
        """Return the link to the subscriber's preferences."""
        return f"{self.site_url}/digest/manage/{self.token(TokenPurpose.MANAGE, subscriber, None)}"

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        """Return the link to the page with the one button that unsubscribes."""
        token = self.token(TokenPurpose.UNSUBSCRIBE, subscriber, None)
        return f"{self.site_url}/digest/unsubscribe/{token}"

    def one_click_url(self, subscriber: Subscriber) -> str:
        """Return the address mail clients POST to for RFC 8058 one-click unsubscribe."""
        token = self.token(TokenPurpose.UNSUBSCRIBE, subscriber, None)
        return f"{self.site_url}/api/digest/unsubscribe/{token}"


def links_for(settings: Settings, key: bytes) -> SubscriptionLinks:
    """Return the link maker of a site."""
    return SubscriptionLinks(key, site_url(settings))


def confirmation_expiry(settings: Settings, subscriber: Subscriber) -> datetime:
    """Return when a pending subscription (and its confirmation link) lapses."""
    return subscriber.status_at + timedelta(hours=settings.subscription_expire_hours)


def check_preferences(
    *,
    weekly: bool = False,
    top: int = DEFAULT_TOP_COUNT,
    categories: Iterable[str] = (),
    authors: Iterable[str] = (),
    organizations: Iterable[str] = (),
    searches: Iterable[str] = (),
) -> Preferences:
    """Build preferences from what a form or command gave; raise ValueError naming the problem."""
    topics = parse_topics(
        categories=categories, authors=authors, organizations=organizations, queries=searches
    )
    for query in topics.queries:
        try:
            parse_query(query)
        except QueryError as error:
            raise ValueError(f"saved search {query!r}: {error}") from None
    return Preferences(
        Frequency.WEEKLY if weekly else Frequency.DAILY, check_top_count(top), topics
    )


def request_subscription(
    *,
    storage: DigestStore,
    settings: Settings,
    links: SubscriptionLinks,
    email: str,
    now: datetime,
    preferences: Preferences | None = None,
) -> None:
    """Ask for a subscription: mail a confirmation link, or a note if already subscribed.

    Raises ValueError for a malformed address only; the caller owns the transaction.
    """
    address = normalize_email(email)
    existing = storage.find_subscriber(address)
    if existing and existing.noticed_at and now - existing.noticed_at < NOTICE_INTERVAL:
        return  # told recently: one message per interval, whoever keeps asking
    if existing is None:
        saved = storage.save_subscriber(
            Subscriber(
                None,
                address,
                SubscriberStatus.PENDING,
                preferences or Preferences(),
                created_at=now,
                status_at=now,
            )
        )
        if saved is None:  # someone asked for the same address a moment ago
            return
    elif existing.status is SubscriberStatus.CONFIRMED:
        saved = existing
    else:
        saved = replace(
            existing,
            status=SubscriberStatus.PENDING,
            status_at=now,
            created_at=existing.created_at if existing.status is SubscriberStatus.PENDING else now,
            preferences=preferences or existing.preferences,
        )
    saved = replace(saved, noticed_at=now)
    storage.save_subscriber(saved)
    storage.enqueue_messages([_notice(settings, links, saved, now)], now=now)


def _notice(
    settings: Settings, links: SubscriptionLinks, subscriber: Subscriber, now: datetime
) -> OutgoingMessage:
    """Write the confirmation link (or the reminder) as an outbox message."""
    assert subscriber.id is not None
    already = subscriber.status is SubscriberStatus.CONFIRMED
    stamp = int(now.timestamp())
    message = subscription_notice(
        site_name=settings.site_name,
        site_url=links.site_url,
        mail_from=settings.mail_from,
        email=subscriber.email,
        confirm_url=None
        if already
        else links.confirm_url(subscriber, expires=confirmation_expiry(settings, subscriber)),
        manage_url=links.manage_url(subscriber) if already else None,
        hours=round(settings.subscription_expire_hours),
        message_id=f"<subscription-{subscriber.id}-{stamp}@{mail_domain(settings)}>",
        date=now,
    )
    return OutgoingMessage(
        kind=MessageKind.CONFIRMATION,
        key=f"subscription:{subscriber.id}:{stamp}",
        sender=envelope_sender(settings),
        recipient=subscriber.email,
        data=message.as_bytes(policy=SMTP_POLICY),
        subscriber_id=subscriber.id,
    )


def subscribe_member(
    *, storage: DigestStore, email: str, preferences: Preferences, now: datetime
) -> Subscriber:
    """Start the digest for a signed-in member's own address, which their sign-up verified.

    No confirmation link: the member proved the address when the account was made, and
    only they can ask, so an address they once unsubscribed may be put back. The caller
    owns the transaction.
    """
    existing = storage.find_subscriber(email)
    if existing is None:
        saved = storage.save_subscriber(
            Subscriber(None, email, SubscriberStatus.CONFIRMED, preferences, now, now)
        )
    else:
        changed = replace(existing, preferences=preferences)
        if existing.status is not SubscriberStatus.CONFIRMED:
            changed = replace(changed, status=SubscriberStatus.CONFIRMED, status_at=now)
        if existing.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCING):
            changed = replace(changed, created_at=now)  # a new subscription: old links stop
        saved = storage.save_subscriber(changed)
    if saved is None:
        raise RuntimeError(f"{email} was subscribed by someone else at the same moment")
    return saved


def subscriber_for_token(
    *, storage: DigestStore, key: bytes, purpose: TokenPurpose, token: str, now: datetime
) -> Subscriber | None:
    """Return the subscriber a signed link names, or None for a forged, stale or bad one."""
    claim = read_token(token)
    if claim is None:
        return None
    subscriber = storage.get_subscriber(claim.subscriber_id)
    if subscriber is None or not token_is_valid(
        key,
        purpose,
        claim,
        email=subscriber.email,
        subscribed_at=subscriber.created_at,
        now=int(now.timestamp()),
    ):
        return None
    return subscriber


def confirm_subscription(
    *,
    storage: DigestStore,
    key: bytes,
    token: str,
    now: datetime,
    preferences: Preferences | None = None,
) -> Subscriber | None:
    """Confirm the subscription a confirmation link names (again is fine); None if invalid."""
    subscriber = subscriber_for_token(
        storage=storage, key=key, purpose=TokenPurpose.CONFIRM, token=token, now=now
    )
    if subscriber is None or subscriber.status not in (
        SubscriberStatus.PENDING,
        SubscriberStatus.CONFIRMED,
    ):
        return None
    confirmed = replace(subscriber, preferences=preferences or subscriber.preferences)
    if subscriber.status is SubscriberStatus.PENDING:
        confirmed = replace(confirmed, status=SubscriberStatus.CONFIRMED, status_at=now)
    return storage.save_subscriber(confirmed)


def change_preferences(
    *, storage: DigestStore, subscriber: Subscriber, preferences: Preferences
) -> Subscriber:
    """Save a subscriber's new preferences; return the subscriber as stored."""
    saved = storage.save_subscriber(replace(subscriber, preferences=preferences))
    if saved is None:  # the address cannot have changed, so it cannot clash
        raise RuntimeError(f"subscriber {subscriber.id} vanished while being saved")
    return saved


def unsubscribe(*, storage: DigestStore, subscriber: Subscriber, now: datetime) -> Subscriber:
    """Stop all mail to the subscriber, including digests already composed; idempotent."""
    if subscriber.status is SubscriberStatus.UNSUBSCRIBED:
        return subscriber
    assert subscriber.id is not None
    storage.cancel_messages(subscriber.id)
    return change_status(
        storage=storage, subscriber=subscriber, status=SubscriberStatus.UNSUBSCRIBED, now=now
    )


def change_status(
    *, storage: DigestStore, subscriber: Subscriber, status: SubscriberStatus, now: datetime
) -> Subscriber:
    """Save the subscriber with a new status, dated now."""
    saved = storage.save_subscriber(replace(subscriber, status=status, status_at=now))
    if saved is None:
        raise RuntimeError(f"subscriber {subscriber.id} vanished while being saved")
    return saved


def expire_unconfirmed(*, storage: DigestStore, settings: Settings, now: datetime) -> int:
    """Forget the subscriptions never confirmed in time; return how many."""
    cutoff = now - timedelta(hours=settings.subscription_expire_hours)
    return storage.delete_unconfirmed(asked_before=cutoff)


def masked(email: str) -> str:
    """Return an address with most of its name hidden, for pages a link opens: r***r@x.org."""
    local, _, domain = email.rpartition("@")
    shown = local[0] + "***" + local[-1] if len(local) > 2 else local[:1] + "***"
    return f"{shown}@{domain}"
