"""Composing digests: who gets one, what it holds, and that nothing is composed twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.domain.periods import parse_day, parse_week
from dailypapers.domain.subscriptions import Frequency, Preferences, SubscriberStatus, Topics
from dailypapers.domain.tokens import TokenPurpose
from dailypapers.services.digests import compose_digests, preview_digest
from dailypapers.services.subscriptions import subscriber_for_token
from dailypapers.settings import load_secret_key
from dailypapers.storage import Storage

from support.digests import DAY, NOW, SITE, add_reader, links, mail_settings

OWNER = "test-worker"
EXTRA = [
    Paper(
        id="2510.90001",
        title="Parsing Sentences with Tiny Models",
        abstract="We parse sentences. " * 40,
        authors=("Zoë Ångström", "Ada Lovelace"),
        categories=("cs.CL", "cs.LG"),
        upvotes=0,
    ),
    Paper(
        id="2510.90002",
        title="Quantum Error Correction at Scale",
        abstract="Qubits, corrected with surface codes.",
        authors=("Grace Hopper",),
        categories=("quant-ph",),
        upvotes=1,
    ),
]


@pytest.fixture
def day_storage(loaded_storage: Storage) -> Storage:
    """Return the recorded days plus two papers with categories, featured on DAY."""
    featured = parse_day(DAY).end_of_period - timedelta(hours=2)
    with loaded_storage.transaction():
        loaded_storage.save_papers(EXTRA)
        loaded_storage.save_entries(
            [DailyEntry(paper.id, parse_day(DAY).start, featured) for paper in EXTRA]
        )
    return loaded_storage


def compose(storage: Storage, period: str = DAY, **options: object) -> object:
    """Compose a period's digests with the test settings."""
    settings = mail_settings()
    return compose_digests(
        storage=storage,
        settings=settings,
        links=links(settings),
        period=parse_week(period) if "W" in period else parse_day(period),
        now=NOW,
        owner=OWNER,
        **options,  # type: ignore[arg-type]
    )


def outbox_messages(storage: Storage) -> dict[str, EmailMessage]:
    """Return the pending messages of the outbox by recipient, parsed."""
    items = storage.claim_messages(
        owner="reader", now=NOW + timedelta(days=1), lease_until=NOW, limit=10_000
    )
    messages = {}
    for item in items:
        parsed = message_from_bytes(item.data.replace(b"\r\n", b"\n"), policy=default_policy)
        messages[item.recipient] = parsed
    storage.release_messages([item.id for item in items], owner="reader")
    return messages  # type: ignore[return-value]


def titles_in(message: EmailMessage) -> str:
    """Return the plain-text body."""
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_each_confirmed_daily_reader_gets_one_digest(day_storage: Storage) -> None:
    for email, kwargs in [
        ("daily@example.org", {}),
        ("weekly@example.org", {"frequency": Frequency.WEEKLY}),
        ("pending@example.org", {"status": SubscriberStatus.PENDING}),
        ("left@example.org", {"status": SubscriberStatus.UNSUBSCRIBED}),
        ("bounces@example.org", {"status": SubscriberStatus.BOUNCING}),
    ]:
        add_reader(day_storage, email, **kwargs)  # type: ignore[arg-type]

    report = compose(day_storage)

    assert report.composed == 1 and report.papers == 37  # type: ignore[attr-defined]
    assert list(outbox_messages(day_storage)) == ["daily@example.org"]


def test_a_digest_has_the_top_papers_with_their_details_in_both_formats(
    day_storage: Storage,
) -> None:
    reader = add_reader(day_storage, "reader@example.org", top=3)
    compose(day_storage)
    message = outbox_messages(day_storage)["reader@example.org"]

    assert message.get_content_type() == "multipart/alternative"
    text = titles_in(message)
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    for needle in (
        "Agentic Entropy-Balanced Policy Optimization",  # the day's top paper
        "Guanting Dong",
        "Renmin University of China",
        "61 upvotes",
        "Recently, Agentic Reinforcement Learning",
        f"{SITE}/papers/2510.14545",
    ):
        assert needle in text
        assert needle in html
    assert text.count(f"\n  {SITE}/papers/") == 3
    assert message["Subject"].startswith("Daily Papers · Oct 17, 2025: Agentic Entropy")
    assert message["To"] == "reader@example.org"
    assert message["Message-ID"] == f"<digest-{DAY}-{reader.id}@example.org>"


def test_the_unsubscribe_headers_and_links_are_signed_for_the_reader(
    day_storage: Storage,
) -> None:
    reader = add_reader(day_storage, "reader@example.org")
    compose(day_storage)
    message = outbox_messages(day_storage)["reader@example.org"]

    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{SITE}/api/digest/unsubscribe/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = header[1:-1].rsplit("/", 1)[1]
    key = load_secret_key(mail_settings())
    found = subscriber_for_token(
        storage=day_storage, key=key, purpose=TokenPurpose.UNSUBSCRIBE, token=token, now=NOW
    )
    assert found == reader
    assert f"{SITE}/digest/unsubscribe/{token}" in titles_in(message)
    assert "reader@example.org" not in header


def test_followed_topics_add_their_own_sections(day_storage: Storage) -> None:
    topics = Topics(
        categories=("cs.CL", "quant-ph"),
        authors=("zoe angstrom",),
        organizations=("Adobe",),
        queries=("surface codes",),
    )
    add_reader(day_storage, "reader@example.org", top=1, topics=topics)
    compose(day_storage)
    text = titles_in(outbox_messages(day_storage)["reader@example.org"])

    assert "Top of the day" in text
    assert "In cs.CL\n" in text and "Parsing Sentences with Tiny Models" in text
    # Placed once, under the first topic that matched it.
    assert text.count("Parsing Sentences with Tiny Models") == 1
    assert "By zoe angstrom" not in text
    assert "In quant-ph" in text and "Quantum Error Correction" in text
    assert "Matching “surface codes”" not in text  # its one match is already above
    assert "From Adobe" in text


def test_a_saved_search_finds_the_period_s_papers_by_their_words(day_storage: Storage) -> None:
    add_reader(day_storage, "reader@example.org", top=0, topics=Topics(queries=("surface codes",)))
    compose(day_storage)
    text = titles_in(outbox_messages(day_storage)["reader@example.org"])

    assert "Matching “surface codes”" in text
    assert text.count(f"\n  {SITE}/papers/") == 1


def test_a_reader_with_nothing_matching_gets_no_message(day_storage: Storage) -> None:
    add_reader(day_storage, "reader@example.org", top=0, topics=Topics(categories=("astro-ph",)))

    report = compose(day_storage)

    assert report.composed == 0 and report.empty == 1  # type: ignore[attr-defined]
    assert day_storage.outbox_counts() == {}


def test_a_paper_already_sent_is_never_sent_again(day_storage: Storage) -> None:
    reader = add_reader(day_storage, "reader@example.org", top=3)
    compose(day_storage)
    daily = titles_in(outbox_messages(day_storage)["reader@example.org"])
    with day_storage.transaction():
        day_storage.save_subscriber(
            replace(reader, preferences=Preferences(Frequency.WEEKLY, 5, Topics()))
        )

    compose(day_storage, "2025-W42")
    weekly = titles_in(outbox_messages(day_storage)["reader@example.org"])

    sent_daily = {line for line in daily.splitlines() if line.startswith("  https://")}
    sent_weekly = {line for line in weekly.splitlines() if line.startswith("  https://")}
    assert len(sent_daily) == 3 and len(sent_weekly) == 5
    assert not sent_daily & sent_weekly


def test_composing_again_adds_nothing(day_storage: Storage) -> None:
    add_reader(day_storage, "reader@example.org")
    compose(day_storage)

    again = compose(day_storage)

    assert again.skipped.startswith("already composed")  # type: ignore[attr-defined]
    assert day_storage.outbox_counts() == {"pending": 1}


def test_a_compose_that_died_resumes_where_it_stopped(day_storage: Storage) -> None:
    for n in range(7):
        add_reader(day_storage, f"reader{n}@example.org")

    def die_after_first_batch(readers: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compose(day_storage, batch_size=3, on_batch=die_after_first_batch)
    assert day_storage.outbox_counts() == {"pending": 3}
    settings = mail_settings()
    report = compose_digests(
        storage=day_storage,
        settings=settings,
        links=links(settings),
        period=parse_day(DAY),
        now=NOW + timedelta(seconds=settings.mail_lease_s + 1),  # the dead worker's lease lapsed
        owner="another-worker",
        batch_size=3,
    )

    assert report.composed == 4
    assert sorted(outbox_messages(day_storage)) == [f"reader{n}@example.org" for n in range(7)]


def test_each_batch_extends_the_lease_from_the_moment_it_is_written(
    day_storage: Storage,
) -> None:
    """A compose longer than the lease keeps it: each batch counts from when it is written."""
    for n in range(7):
        add_reader(day_storage, f"reader{n}@example.org")
    lease = timedelta(seconds=mail_settings().mail_lease_s)
    leases = []

    def note_the_lease(readers: int) -> None:
        run = day_storage.get_digest_run(DAY)
        assert run is not None and run.lease_until is not None
        leases.append(run.lease_until)

    compose(day_storage, batch_size=3, on_batch=note_the_lease)

    assert len(leases) == 3
    assert NOW + lease < leases[0] < leases[1] < leases[2]  # time passed while composing


def test_a_period_held_by_a_live_composer_is_left_alone(day_storage: Storage) -> None:
    add_reader(day_storage, "reader@example.org")
    assert day_storage.claim_digest_run(
        period=DAY,
        frequency=Frequency.DAILY,
        owner="busy",
        now=NOW,
        lease_until=NOW + timedelta(minutes=5),
    )

    report = compose(day_storage)

    assert report.skipped == "being composed by another worker"  # type: ignore[attr-defined]
    assert report.busy_until == NOW + timedelta(minutes=5)  # type: ignore[attr-defined]
    assert day_storage.outbox_counts() == {}


def test_a_period_without_papers_sends_nothing(day_storage: Storage) -> None:
    add_reader(day_storage, "reader@example.org")

    report = compose(day_storage, "2025-10-18")

    assert "no papers" in report.skipped  # type: ignore[attr-defined]
    assert day_storage.outbox_counts() == {}


def test_a_dry_run_writes_the_messages_and_records_nothing(
    day_storage: Storage, tmp_path: Path
) -> None:
    add_reader(day_storage, "one@example.org")
    add_reader(day_storage, "two@example.org")

    report = compose(day_storage, dry_run=tmp_path)

    files = sorted((tmp_path / DAY).glob("*.eml"))
    assert report.composed == 2 and len(files) == 2  # type: ignore[attr-defined]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in files[0].read_bytes()
    assert day_storage.outbox_counts() == {}
    assert day_storage.get_digest_run(DAY) is None


def test_a_preview_shows_a_sample_digest_for_anyone(day_storage: Storage) -> None:
    settings = mail_settings()
    sample = add_reader(day_storage, "reader@example.org", top=2)
    plan, message = preview_digest(
        storage=day_storage,
        settings=settings,
        links=links(settings),
        subscriber=sample,
        period=parse_day(DAY),
        now=NOW,
    )

    assert message is not None and len(plan.paper_ids) == 2
    assert day_storage.outbox_counts() == {}
