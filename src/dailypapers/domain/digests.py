"""What goes in a reader's digest: the period's trending papers, then their topics, no repeats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dailypapers.domain.authors import normalize_author_name
from dailypapers.domain.papers import FeaturedPaper, Organization
from dailypapers.domain.periods import Period, PeriodKind, period_containing
from dailypapers.domain.subscriptions import Frequency, Preferences, fold

MAX_DIGEST_PAPERS = 30  # trending and topics together: a digest is read, not skimmed
MAX_PER_TOPIC = 5
_SATURDAY = 5


def period_due(frequency: Frequency, today: date) -> Period:
    """Return the period a digest composed today covers: the previous weekday, or last week."""
    if frequency is Frequency.WEEKLY:
        return period_containing(PeriodKind.WEEK, today).previous()
    day = today - timedelta(days=1)
    while day.weekday() >= _SATURDAY:
        day -= timedelta(days=1)
    return period_containing(PeriodKind.DAY, day)


def frequency_of(period: Period) -> Frequency:
    """Return which digests cover periods of this kind."""
    if period.kind is PeriodKind.DAY:
        return Frequency.DAILY
    if period.kind is PeriodKind.WEEK:
        return Frequency.WEEKLY
    raise ValueError(f"digests cover a day or an ISO week, not {period.key}")


@dataclass(frozen=True, slots=True)
class PeriodPapers:
    """The period's featured papers, trending first, indexed by what readers follow."""

    ranked: tuple[str, ...]
    by_category: Mapping[str, tuple[str, ...]]  # full categories and bare archives ("cs")
    by_author: Mapping[str, tuple[str, ...]]  # folded names
    by_organization: Mapping[str, tuple[str, ...]]  # Organization.folded_names

    def __bool__(self) -> bool:
        return bool(self.ranked)

    def of_organization(self, name: str) -> tuple[str, ...]:
        """Return the papers of an organization found by whole words of its short or full
        name ("meta": "AI at Meta"), as `org:` finds them in a search; trending first."""
        wanted = normalize_author_name(name)
        if not wanted:
            return ()
        found = {
            paper_id
            for names, paper_ids in self.by_organization.items()
            if f" {wanted} " in names
            for paper_id in paper_ids
        }
        return tuple(paper_id for paper_id in self.ranked if paper_id in found)


def index_period_papers(papers: Sequence[FeaturedPaper]) -> PeriodPapers:
    """Index papers given trending first; each index keeps that order."""
    by_category: dict[str, list[str]] = {}
    by_author: dict[str, list[str]] = {}
    by_organization: dict[str, list[str]] = {}
    for item in papers:
        paper_id = item.paper.id
        categories = {fold(category) for category in item.paper.categories}
        categories |= {category.split(".")[0] for category in categories}
        for category in categories:
            by_category.setdefault(category, []).append(paper_id)
        for author in {fold(name) for name in item.paper.authors if name.strip()}:
            by_author.setdefault(author, []).append(paper_id)
        organization = item.organization
        if organization is None and item.entry and item.entry.organization:
            organization = Organization(name=item.entry.organization, fullname="")
        if organization:
            by_organization.setdefault(organization.folded_names, []).append(paper_id)
    return PeriodPapers(
        ranked=tuple(item.paper.id for item in papers),
        by_category=_frozen(by_category),
        by_author=_frozen(by_author),
        by_organization=_frozen(by_organization),
    )


def _frozen(index: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Return the index with tuples for lists."""
    return {key: tuple(ids) for key, ids in index.items()}


@dataclass(frozen=True, slots=True)
class DigestSection:
    """A heading and its papers, best first."""

    heading: str
    paper_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The sections of one reader's digest; each paper appears once in the whole digest."""

    sections: tuple[DigestSection, ...] = field(default_factory=tuple)

    @property
    def paper_ids(self) -> tuple[str, ...]:
        """Return every paper in the digest, in reading order."""
        return tuple(paper_id for section in self.sections for paper_id in section.paper_ids)

    def __bool__(self) -> bool:
        return bool(self.sections)


def plan_digest(
    *,
    preferences: Preferences,
    papers: PeriodPapers,
    already_sent: frozenset[str] | set[str],
    query_matches: Mapping[str, Sequence[str]],
    trending_heading: str,
    followed: Sequence[str] = (),
) -> DigestPlan:
    """Choose a reader's papers: the top trending, then each followed topic's matches.

    A paper the reader was sent before, or already placed higher in this digest, is
    left out, and the digest stops at MAX_DIGEST_PAPERS.
    """
    taken: set[str] = set(already_sent)
    room = MAX_DIGEST_PAPERS
    sections: list[DigestSection] = []

    def add(heading: str, candidates: Sequence[str], limit: int) -> None:
        """Add a section of the candidates not taken yet, within the limits."""
        nonlocal room
        chosen: list[str] = []
        for paper_id in candidates:
            if len(chosen) >= min(limit, room):
                break
            if paper_id not in taken:
                chosen.append(paper_id)
                taken.add(paper_id)
        if chosen:
            sections.append(DigestSection(heading, tuple(chosen)))
            room -= len(chosen)

    add(trending_heading, papers.ranked, preferences.top_count)
    # follows: a member's Following section, when they asked for it on their settings page
    add("From what you follow", followed, MAX_PER_TOPIC)
    topics = preferences.topics
    for category in topics.categories:
        add(f"In {category}", papers.by_category.get(fold(category), ()), MAX_PER_TOPIC)
    for author in topics.authors:
        add(f"By {author}", papers.by_author.get(fold(author), ()), MAX_PER_TOPIC)
    for name in topics.organizations:
        add(f"From {name}", papers.of_organization(name), MAX_PER_TOPIC)
    for query in topics.queries:
        add(f"Matching “{query}”", query_matches.get(query, ()), MAX_PER_TOPIC)
    return DigestPlan(tuple(sections))


@dataclass(frozen=True, slots=True)
class ComposedDigest:
    """A reader's digest for a period: the papers it holds and its message (None if empty)."""

    subscriber_id: int
    period: Period
    paper_ids: tuple[str, ...]
    message_key: str | None  # the outbox key of its message, when it has one


@dataclass(frozen=True, slots=True)
class DigestRun:
    """The composing of one period's digests: started, and finished once every reader has one."""

    period: str  # the period's key: 2026-11-24 or 2026-W48
    frequency: Frequency
    started_at: datetime
    finished_at: datetime | None
    composed: int  # digests with a message, so far
    lease_until: datetime | None  # while a composer holds it (it may have died since)
