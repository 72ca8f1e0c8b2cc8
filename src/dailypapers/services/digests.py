"""Compose a period's digests, one per confirmed reader, into the outbox; preview one.

Composing is resumable and runs once per period: readers are taken in order of their
number, a batch at a time, each batch's digests and messages written in one
transaction, and a reader who has a digest for the period is never composed again.
A lease on the period lets one worker compose while the others leave it alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from dailypapers.domain.digests import (
    ComposedDigest,
    DigestPlan,
    PeriodPapers,
    frequency_of,
    index_period_papers,
    plan_digest,
)
from dailypapers.domain.follows import papers_followed
from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period, PeriodKind
from dailypapers.domain.ranking import SortMode
from dailypapers.domain.search_query import QueryError, every_word, parse_query
from dailypapers.domain.subscriptions import Subscriber
from dailypapers.mail.digest_message import DigestWriter, Recipient
from dailypapers.mail.smtp import envelope_sender, mail_domain
from dailypapers.services.digest_for_you import with_for_you_section
from dailypapers.services.feed import list_featured
from dailypapers.services.subscriptions import SubscriptionLinks
from dailypapers.settings import Settings
from dailypapers.storage.base import Storage

log = logging.getLogger("dailypapers.digests")

BATCH_SIZE = 500
ALL_OF_THEM = 1_000_000  # a page size that holds any period's papers


@dataclass(frozen=True, slots=True)
class PeriodDigest:
    """What every reader's digest of one period is made from."""

    period: Period
    papers: PeriodPapers
    writer: DigestWriter
    query_matches: Callable[[str], Sequence[str]]
    sender: str  # the envelope sender, and the domain that names our messages
    domain: str
    featured: tuple[FeaturedPaper, ...] = ()  # follows: the period's papers, trending first


def prepare_period(
    *, storage: Storage, settings: Settings, site_url: str, period: Period, now: datetime
) -> PeriodDigest:
    """Rank the period's papers (as trending stood when it closed) and index them."""
    ranked = list_featured(
        storage=storage,
        sort=SortMode.TRENDING,
        page=0,
        page_size=ALL_OF_THEM,
        now=now,
        period=period,
    ).papers
    papers = {item.paper.id: item for item in ranked}
    writer = DigestWriter(
        site_name=settings.site_name,
        site_url=site_url,
        mail_from=settings.mail_from,
        period=period,
        papers=papers,
    )
    return PeriodDigest(
        period,
        index_period_papers(ranked),
        writer,
        _query_matcher(storage, list(papers)),
        envelope_sender(settings),
        mail_domain(settings),
        tuple(ranked),
    )


def _query_matcher(storage: Storage, within: list[str]) -> Callable[[str], Sequence[str]]:
    """Return a saved-search matcher over these papers, each query searched once."""
    found: dict[str, Sequence[str]] = {}

    def matches(query: str) -> Sequence[str]:
        """Return the period's papers having every word of the saved search."""
        if query not in found:
            try:
                wanted = every_word(parse_query(query))
                found[query] = storage.search_lexical(wanted, limit=len(within), within=within)
            except QueryError as error:
                log.warning("saved search %r skipped: %s", query, error)
                found[query] = ()
        return found[query]

    return matches


def plan_for(
    prepared: PeriodDigest,
    subscriber: Subscriber,
    already_sent: set[str],
    followed: Sequence[str] = (),
) -> DigestPlan:
    """Choose a reader's papers of the period (`followed`: from the member's follows)."""
    queries = subscriber.preferences.topics.queries
    return plan_digest(
        preferences=subscriber.preferences,
        papers=prepared.papers,
        already_sent=already_sent,
        query_matches={query: prepared.query_matches(query) for query in queries},
        trending_heading="Top of the day"
        if prepared.period.kind is PeriodKind.DAY
        else "Top of the week",
        followed=followed,
    )


def plan_readers(
    storage: Storage, prepared: PeriodDigest, readers: Sequence[Subscriber], *, now: datetime
) -> list[DigestPlan]:
    """Choose each reader's papers of the period, with the sections a member asked for.

    A reader whose address is a member's who opted in on the settings page gets a section
    from what they follow (after the top papers) and one "For you" (last). No paper the
    reader was sent before is chosen again.
    """
    emails = [reader.email for reader in readers]
    following = storage.digest_following_members(emails)
    for_you = storage.digest_for_you_members(emails)
    sent = storage.papers_already_sent(
        [reader.id for reader in readers if reader.id is not None],
        start=prepared.period.start,
        end=prepared.period.end,
    )
    plans = []
    for reader in readers:
        already = sent.get(reader.id, set()) if reader.id is not None else set()
        member = following.get(reader.email)
        followed = (
            papers_followed(storage.user_follows(member), prepared.featured, prepared.query_matches)
            if member is not None
            else []
        )
        plan = with_for_you_section(
            plan_for(prepared, reader, already, followed),
            storage=storage,
            member_id=for_you.get(reader.email),
            period=prepared.period,
            already_sent=already,
            now=now,
        )
        plans.append(plan)
    return plans


def digest_message(
    *,
    prepared: PeriodDigest,
    links: SubscriptionLinks,
    subscriber: Subscriber,
    plan: DigestPlan,
    now: datetime,
) -> OutgoingMessage:
    """Write a reader's digest as an outbox message."""
    assert subscriber.id is not None
    period_key = prepared.period.key
    recipient = Recipient(
        email=subscriber.email,
        frequency=subscriber.preferences.frequency,
        manage_url=links.manage_url(subscriber),
        unsubscribe_url=links.unsubscribe_url(subscriber),
        one_click_url=links.one_click_url(subscriber),
    )
    # The same reader and period always get the same Message-ID, even if composed twice.
    message_id = f"<digest-{period_key}-{subscriber.id}@{prepared.domain}>"
    return OutgoingMessage(
        kind=MessageKind.DIGEST,
        key=f"digest:{subscriber.id}:{period_key}",
        sender=prepared.sender,
        recipient=subscriber.email,
        data=prepared.writer.message(plan, recipient, message_id=message_id, date=now),
        subscriber_id=subscriber.id,
    )


@dataclass
class ComposeReport:
    """What composing a period's digests did."""

    period: Period
    papers: int = 0  # featured in the period
    composed: int = 0  # digests with a message
    empty: int = 0  # readers with nothing new in the period
    skipped: str | None = None  # why nothing was composed, if so
    busy_until: datetime | None = None  # another composer's lease on the period, if it holds one

    def summary(self) -> str:
        """Return a one-line account for logs and the command line."""
        if self.skipped:
            return f"{self.period.key}: {self.skipped}"
        return f"{self.period.key}: {self.composed} digests composed from {self.papers} papers" + (
            f", {self.empty} readers had nothing new" if self.empty else ""
        )


def compose_digests(
    *,
    storage: Storage,
    settings: Settings,
    links: SubscriptionLinks,
    period: Period,
    now: datetime,
    owner: str,
    dry_run: Path | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] = lambda readers: None,
) -> ComposeReport:
    """Compose the period's digests for every confirmed reader of its frequency.

    With `dry_run`, write each message to that folder as an .eml file and change
    nothing in the database.
    """
    frequency = frequency_of(period)
    report = ComposeReport(period)
    lease = timedelta(seconds=settings.mail_lease_s)
    started = time.monotonic()

    def lease_from_now() -> datetime:
        """Return when the lease lapses if renewed now: `now` plus the time composing took."""
        return now + timedelta(seconds=time.monotonic() - started) + lease

    if dry_run is None:
        run = storage.get_digest_run(period.key)
        if run and run.finished_at:
            report.skipped = f"already composed on {run.finished_at:%Y-%m-%d %H:%M} UTC"
            return report
        if not storage.claim_digest_run(
            period=period.key, frequency=frequency, owner=owner, now=now, lease_until=now + lease
        ):
            held = storage.get_digest_run(period.key)
            if held is not None and held.finished_at is None:
                report.skipped = "being composed by another worker"
                report.busy_until = held.lease_until or now
            else:  # finished between the two looks
                report.skipped = "composed meanwhile by another worker"
            return report
    prepared = prepare_period(
        storage=storage, settings=settings, site_url=links.site_url, period=period, now=now
    )
    report.papers = len(prepared.papers.ranked)
    if not prepared.papers:
        report.skipped = "no papers were featured in this period; nothing to send"
        if dry_run is None:
            storage.finish_digest_run(period=period.key, owner=owner, now=now)
        return report
    after_id = 0
    while True:
        readers = storage.subscribers_to_compose(
            frequency=frequency, period=period.key, after_id=after_id, limit=batch_size
        )
        if not readers:
            break
        after_id = readers[-1].id or 0
        digests, messages = [], []
        plans = plan_readers(storage, prepared, readers, now=now)
        for reader, plan in zip(readers, plans, strict=True):
            assert reader.id is not None
            message = None
            if plan:
                message = digest_message(
                    prepared=prepared,
                    links=links,
                    subscriber=reader,
                    plan=plan,
                    now=now,
                )
                messages.append(message)
            digests.append(
                ComposedDigest(reader.id, period, plan.paper_ids, message.key if message else None)
            )
        report.composed += len(messages)
        report.empty += len(readers) - len(messages)
        if dry_run is not None:
            _write_files(dry_run / period.key, messages)
        else:
            with storage.transaction():
                storage.save_digests(digests, messages, now=now)
                if not storage.progress_digest_run(
                    period=period.key,
                    owner=owner,
                    composed=len(messages),
                    lease_until=lease_from_now(),
                ):
                    raise RuntimeError(
                        f"lost the lease on composing {period.key}: another worker took over"
                    )
        on_batch(len(readers))
    if dry_run is None:
        storage.finish_digest_run(period=period.key, owner=owner, now=now)
    return report


def _write_files(folder: Path, messages: Sequence[OutgoingMessage]) -> None:
    """Write messages as .eml files named by their outbox key."""
    folder.mkdir(parents=True, exist_ok=True)
    for message in messages:
        name = message.key.replace(":", "-") + ".eml"
        (folder / name).write_bytes(message.data)


def preview_digest(
    *,
    storage: Storage,
    settings: Settings,
    links: SubscriptionLinks,
    subscriber: Subscriber,
    period: Period,
    now: datetime,
) -> tuple[DigestPlan, OutgoingMessage | None]:
    """Return what the reader's digest of the period holds, and its message if not empty."""
    prepared = prepare_period(
        storage=storage, settings=settings, site_url=links.site_url, period=period, now=now
    )
    [plan] = plan_readers(storage, prepared, [subscriber], now=now)
    if not plan:
        return plan, None
    shown = subscriber if subscriber.id is not None else _sample_reader(subscriber)
    message = digest_message(prepared=prepared, links=links, subscriber=shown, plan=plan, now=now)
    return plan, message


def _sample_reader(subscriber: Subscriber) -> Subscriber:
    """Return a stand-in with a number, so a preview for nobody in particular has links."""
    return replace(subscriber, id=0)
