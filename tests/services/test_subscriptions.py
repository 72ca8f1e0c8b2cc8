"""Subscribing with double opt-in, signed links, unsubscribing, and the addresses we accept."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    Topics,
    normalize_email,
)
from dailypapers.domain.tokens import TokenPurpose
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.outbox import deliver_outbox
from dailypapers.services.subscriptions import (
    confirm_subscription,
    expire_unconfirmed,
    request_subscription,
    subscribe_member,
    subscriber_for_token,
    unsubscribe,
)
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import Storage

from support.digests import NOW, SITE, Clock, add_reader, links, mail_settings
from support.smtp_server import SmtpServer, smtp_server

UNUSUAL = "O'Brien+digest/x=y&z{1}~^@Bücher.Example"


def ask(storage: Storage, settings: Settings, email: str, **options: object) -> None:
    """Ask for a subscription the way the form does."""
    with storage.transaction():
        request_subscription(
            storage=storage,
            settings=settings,
            links=links(settings),
            email=email,
            now=options.pop("now", NOW),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )


def deliver(storage: Storage, server: SmtpServer, settings: Settings) -> None:
    """Send what is due through the test server."""
    with SmtpSender(settings) as sender:
        report = deliver_outbox(
            storage=storage,
            sender=sender,
            settings=settings,
            owner="test",
            clock=Clock(NOW + timedelta(minutes=1)),
        )
    assert report.server_error is None


def link_in(text: str, kind: str) -> str:
    """Return the token of the first link of this kind in a message."""
    match = re.search(rf"{re.escape(SITE)}/digest/{kind}/(\S+)", text)
    assert match, f"no {kind} link in:\n{text}"
    return match.group(1)


def test_subscribing_mails_a_link_that_confirms(storage: Storage) -> None:
    with smtp_server() as server:
        settings = mail_settings(server)
        wanted = Preferences(Frequency.WEEKLY, 3, Topics(categories=("cs.CL",)))
        ask(storage, settings, "reader@example.org", preferences=wanted)
        pending = storage.find_subscriber("reader@example.org")
        deliver(storage, server, settings)
        (received,) = server.wait_for(1)

    assert pending is not None and pending.status is SubscriberStatus.PENDING
    message = received.message
    assert message["Subject"] == "Confirm your Daily Papers digest"
    assert received.recipients == ["reader@example.org"]
    token = link_in(message.get_content(), "confirm")
    key = load_secret_key(settings)
    with storage.transaction():
        confirmed = confirm_subscription(storage=storage, key=key, token=token, now=NOW)
    assert confirmed is not None and confirmed.status is SubscriberStatus.CONFIRMED
    assert confirmed.preferences == wanted


def test_asking_again_for_a_subscribed_address_mails_it_a_note_not_a_link(
    storage: Storage,
) -> None:
    add_reader(storage, "reader@example.org")
    with smtp_server() as server:
        settings = mail_settings(server)
        ask(storage, settings, "Reader@Example.org")
        deliver(storage, server, settings)
        (received,) = server.wait_for(1)

    content = received.message.get_content()
    assert received.message["Subject"] == "You are subscribed to the Daily Papers digest"
    assert "/digest/confirm/" not in content and link_in(content, "manage")
    subscriber = storage.find_subscriber("reader@example.org")
    assert subscriber is not None and subscriber.status is SubscriberStatus.CONFIRMED


def test_the_form_cannot_flood_an_inbox(storage: Storage) -> None:
    settings = mail_settings()
    for minutes in (0, 1, 5, 9):
        ask(storage, settings, "victim@example.org", now=NOW + timedelta(minutes=minutes))
    assert storage.outbox_counts() == {"pending": 1}

    ask(storage, settings, "victim@example.org", now=NOW + timedelta(minutes=11))

    assert storage.outbox_counts() == {"pending": 2}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the MAC
        lambda token: str(int(token.split("-")[0]) - 1) + token[token.index("-") :],  # the number
        lambda token: token.split(".")[0] + "." + "A" * 24,  # a MAC made up
        lambda token: token.split("-")[0] + "-9999999999." + token.split(".")[1],  # the expiry
        lambda token: "",
        lambda token: "../../etc/passwd",
    ],
)
def test_a_tampered_confirmation_link_is_refused(storage: Storage, tamper: object) -> None:
    settings = mail_settings()
    add_reader(storage, "other@example.org", status=SubscriberStatus.PENDING)
    ask(storage, settings, "reader@example.org")
    reader = storage.find_subscriber("reader@example.org")
    assert reader is not None
    token = links(settings).token(TokenPurpose.CONFIRM, reader, int(NOW.timestamp()) + 3600)
    forged = tamper(token)  # type: ignore[operator]

    with storage.transaction():
        result = confirm_subscription(
            storage=storage, key=load_secret_key(settings), token=forged, now=NOW
        )

    assert result is None
    assert {s.status for s in map(storage.find_subscriber, ["reader@example.org"]) if s} == {
        SubscriberStatus.PENDING
    }


def test_tokens_work_for_their_own_purpose_only_and_confirmation_expires(
    storage: Storage,
) -> None:
    settings = mail_settings()
    key = load_secret_key(settings)
    reader = add_reader(storage, "reader@example.org", status=SubscriberStatus.PENDING, at=NOW)
    maker = links(settings)
    unsubscribe_token = maker.token(TokenPurpose.UNSUBSCRIBE, reader, None)
    confirm_token = maker.token(TokenPurpose.CONFIRM, reader, int(NOW.timestamp()) + 60)

    def found(purpose: TokenPurpose, token: str, seconds: float = 0) -> bool:
        now = NOW + timedelta(seconds=seconds)
        return bool(
            subscriber_for_token(storage=storage, key=key, purpose=purpose, token=token, now=now)
        )

    assert found(TokenPurpose.UNSUBSCRIBE, unsubscribe_token)
    assert not found(TokenPurpose.CONFIRM, unsubscribe_token)
    assert not found(TokenPurpose.MANAGE, unsubscribe_token)
    assert found(TokenPurpose.CONFIRM, confirm_token, 59)
    assert not found(TokenPurpose.CONFIRM, confirm_token, 60)
    other_key = load_secret_key(mail_settings(secret_key="another-key-that-is-long-enough-too!"))
    assert not subscriber_for_token(
        storage=storage,
        key=other_key,
        purpose=TokenPurpose.UNSUBSCRIBE,
        token=unsubscribe_token,
        now=NOW,
    )


def test_a_token_does_not_follow_a_number_to_another_address(storage: Storage) -> None:
    settings = mail_settings()
    reader = add_reader(storage, "reader@example.org")
    token = links(settings).token(TokenPurpose.UNSUBSCRIBE, reader, None)
    with storage.transaction():
        storage.save_subscriber(replace(reader, email="x@example.org"))

    assert (
        subscriber_for_token(
            storage=storage,
            key=load_secret_key(settings),
            purpose=TokenPurpose.UNSUBSCRIBE,
            token=token,
            now=NOW,
        )
        is None
    )


def test_unsubscribing_cancels_mail_already_composed(storage: Storage) -> None:
    settings = mail_settings()
    reader = add_reader(storage, "reader@example.org")
    ask(storage, settings, "reader@example.org")  # a note is now waiting in the outbox

    with storage.transaction():
        left = unsubscribe(storage=storage, subscriber=reader, now=NOW)
        again = unsubscribe(storage=storage, subscriber=left, now=NOW + timedelta(hours=1))

    assert left.status is SubscriberStatus.UNSUBSCRIBED and again.status_at == NOW
    assert storage.outbox_counts() == {"cancelled": 1}


def test_unconfirmed_subscriptions_are_forgotten_after_the_expiry(storage: Storage) -> None:
    settings = mail_settings(subscription_expire_hours=48.0)
    ask(storage, settings, "late@example.org")
    ask(storage, settings, "fresh@example.org", now=NOW + timedelta(hours=47))

    with storage.transaction():
        forgotten = expire_unconfirmed(
            storage=storage, settings=settings, now=NOW + timedelta(hours=48, seconds=1)
        )

    assert forgotten == 1
    assert storage.find_subscriber("late@example.org") is None
    assert storage.find_subscriber("fresh@example.org") is not None
    assert storage.outbox_counts() == {"pending": 1, "cancelled": 1}


def test_an_address_with_unusual_but_valid_characters_gets_its_mail(storage: Storage) -> None:
    address = normalize_email(UNUSUAL)
    with smtp_server() as server:
        settings = mail_settings(server)
        ask(storage, settings, UNUSUAL)
        deliver(storage, server, settings)
        (received,) = server.wait_for(1)

    assert address == "O'Brien+digest/x=y&z{1}~^@xn--bcher-kva.example"
    assert received.recipients == [address]
    assert received.message["To"].addresses[0].addr_spec == address


@pytest.mark.parametrize(
    "text",
    [
        "plainaddress",
        "@example.org",
        "a@b",
        "two@@example.org",
        "a..b@example.org",
        ".a@example.org",
        "a b@example.org",
        '"quoted"@example.org',
        "zoë@example.org",
        "a@-example.org",
        "a@exa_mple.org",
        "x" * 65 + "@example.org",
        "a@" + "b" * 64 + ".org",
        "a@example.org\r\nBcc: victim@example.org",
    ],
)
def test_malformed_addresses_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalize_email(text)


def test_a_link_from_before_an_unsubscribe_cannot_end_a_later_subscription(
    storage: Storage,
) -> None:
    settings = mail_settings()
    key = load_secret_key(settings)
    reader = add_reader(storage, "reader@example.org", at=NOW - timedelta(days=30))
    old_links = {
        purpose: links(settings).token(purpose, reader, None)
        for purpose in (TokenPurpose.UNSUBSCRIBE, TokenPurpose.MANAGE)
    }

    def found(purpose: TokenPurpose, token: str) -> Subscriber | None:
        return subscriber_for_token(storage=storage, key=key, purpose=purpose, token=token, now=NOW)

    with storage.transaction():
        unsubscribe(storage=storage, subscriber=reader, now=NOW - timedelta(days=20))
    # Clicking the same link again, before any new subscription, still finds the reader.
    assert found(TokenPurpose.UNSUBSCRIBE, old_links[TokenPurpose.UNSUBSCRIBE]) is not None

    ask(storage, settings, "reader@example.org", now=NOW - timedelta(days=1))
    pending = storage.find_subscriber("reader@example.org")
    assert pending is not None
    confirm = links(settings).token(TokenPurpose.CONFIRM, pending, int(NOW.timestamp()) + 3600)
    with storage.transaction():
        again = confirm_subscription(storage=storage, key=key, token=confirm, now=NOW)

    assert again is not None and again.status is SubscriberStatus.CONFIRMED
    assert again.id == reader.id  # the same row: only the subscription's start tells them apart
    for purpose, token in old_links.items():
        assert found(purpose, token) is None
    assert (
        found(
            TokenPurpose.UNSUBSCRIBE, links(settings).token(TokenPurpose.UNSUBSCRIBE, again, None)
        )
        == again
    )


def test_a_member_who_restarts_the_digest_gets_new_links(storage: Storage) -> None:
    settings = mail_settings()
    key = load_secret_key(settings)
    reader = add_reader(storage, "ada@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    old = links(settings).token(TokenPurpose.UNSUBSCRIBE, reader, None)

    with storage.transaction():
        subscribe_member(
            storage=storage, email=reader.email, preferences=reader.preferences, now=NOW
        )

    assert (
        subscriber_for_token(
            storage=storage, key=key, purpose=TokenPurpose.UNSUBSCRIBE, token=old, now=NOW
        )
        is None
    )
