"""Papers, the days they were featured, and the organizations behind them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from dailypapers.domain.authors import normalize_author_name


@dataclass(frozen=True, slots=True)
class Organization:
    """A lab, company or group that papers are featured for."""

    name: str
    fullname: str
    avatar_url: str | None = None  # where the source keeps it: pages never load it from there
    has_avatar: bool = False  # a copy is stored here, served at /organizations/{name}/avatar

    @property
    def folded_names(self) -> str:
        """Return its short and full names folded as author names are (accents, case and
        punctuation aside), each word between spaces: `org:` and digest topics find an
        organization by whole words of them ("montreal": "Université de Montréal")."""
        return f" {normalize_author_name(f'{self.name} {self.fullname}')} "


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper's metadata, keyed by its arXiv id without version."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    version: int = 0  # 0 when the source does not say
    categories: tuple[str, ...] = ()
    published_at: datetime | None = None
    updated_at: datetime | None = None
    arxiv_comment: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    upvotes: int = 0  # live: the count a source reported plus the votes cast on this site
    num_comments: int = 0  # live, likewise
    withdrawn: bool = False
    # The part of the counts above made on this site. Storage keeps the two parts apart so
    # that an import (which only knows the source's count) never overwrites local votes.
    local_upvotes: int = 0
    local_comments: int = 0

    @property
    def imported_upvotes(self) -> int:
        """Return the upvotes a source reported, without the votes cast here."""
        return self.upvotes - self.local_upvotes

    @property
    def imported_comments(self) -> int:
        """Return the comments a source reported, without those written here."""
        return self.num_comments - self.local_comments

    @property
    def abs_url(self) -> str:
        """Return the paper's arXiv abstract page."""
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        """Return the paper's arXiv PDF link."""
        return f"https://arxiv.org/pdf/{self.id}"


@dataclass(frozen=True, slots=True)
class DailyEntry:
    """The day a paper was featured, by whom and for which organization."""

    paper_id: str
    day: date
    featured_at: datetime
    submitted_by: str | None = None
    organization: str | None = None
    hidden: bool = False  # a moderator took the submission off the listings


@dataclass(frozen=True, slots=True)
class PaperRecord:
    """What a source yields for one paper: its metadata and, if featured, its entry."""

    paper: Paper
    entry: DailyEntry | None = None
    organization: Organization | None = None


@dataclass(frozen=True, slots=True)
class FeaturedPaper:
    """A paper with the day it was featured (if it was) and its organization."""

    paper: Paper
    entry: DailyEntry | None
    organization: Organization | None = None

    @property
    def date(self) -> date | None:
        """Return the date shown on a card: arXiv publication, else the featured day."""
        if self.paper.published_at is not None:
            return self.paper.published_at.date()
        return self.entry.day if self.entry else None


def merge_paper(stored: Paper | None, incoming: Paper) -> Paper:
    """Combine a stored paper with a newly imported copy of it.

    Metadata follows the newer version (an unknown version never overrides a known
    one), optional links fill gaps without erasing, and imported counts only grow, so
    that importing the same files in any order gives the same row. The votes and
    comments made on this site are kept and added on top.
    """
    if stored is None:
        return incoming
    newer = incoming if incoming.version >= stored.version else stored
    older = stored if newer is incoming else incoming
    return replace(
        newer,
        categories=newer.categories or older.categories,
        published_at=_earliest(stored.published_at, incoming.published_at),
        updated_at=_latest(stored.updated_at, incoming.updated_at),
        arxiv_comment=newer.arxiv_comment or older.arxiv_comment,
        github_repo=incoming.github_repo or stored.github_repo,
        github_stars=_max_optional(stored.github_stars, incoming.github_stars),
        project_page=incoming.project_page or stored.project_page,
        ai_summary=incoming.ai_summary or stored.ai_summary,
        ai_keywords=incoming.ai_keywords or stored.ai_keywords,
        upvotes=max(stored.imported_upvotes, incoming.imported_upvotes) + stored.local_upvotes,
        num_comments=max(stored.imported_comments, incoming.imported_comments)
        + stored.local_comments,
        local_upvotes=stored.local_upvotes,
        local_comments=stored.local_comments,
    )


def merge_entry(stored: DailyEntry | None, incoming: DailyEntry) -> DailyEntry:
    """Keep the first day a paper was featured, filling in what it lacked."""
    if stored is None:
        return incoming
    return replace(
        stored,
        submitted_by=stored.submitted_by or incoming.submitted_by,
        organization=stored.organization or incoming.organization,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a and b else a or b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a and b else a or b


def _max_optional(a: int | None, b: int | None) -> int | None:
    return max(a, b) if a is not None and b is not None else a if b is None else b
