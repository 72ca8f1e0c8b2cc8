"""Submit a paper to today's page: fetched from arXiv, or typed in when arXiv cannot say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.accounts import SubmitPolicy, User, may_submit
from dailypapers.domain.arxiv_ids import parse_arxiv_id
from dailypapers.domain.paper_checks import InvalidPaper, check_record
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Paper, PaperRecord, merge_paper
from dailypapers.domain.text import clean_abstract, clean_title
from dailypapers.services.arxiv import PaperNotFound
from dailypapers.services.errors import InvalidInput, NotAllowed
from dailypapers.services.organizations import require_member
from dailypapers.sources import arxiv_api
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage.base import Storage

MAX_TITLE_LENGTH = 500
MAX_ABSTRACT_LENGTH = 10_000
MAX_AUTHORS = 500


@dataclass(frozen=True, slots=True)
class Submitted:
    """A paper as featured, and whether it had been featured before."""

    featured: FeaturedPaper
    already_featured: bool


def check_may_submit(
    *, storage: Storage, user: User, policy: SubmitPolicy, organization: str | None
) -> None:
    """Refuse unless the site's policy lets the member submit, for the organization if named."""
    memberships = [m for m in storage.user_memberships(user.id) if m.accepted]
    if not may_submit(user, policy, organization_count=len(memberships)):
        raise NotAllowed(
            {
                SubmitPolicy.ADMINS: "on this site only admins submit papers",
                SubmitPolicy.MEMBERS: "on this site only members of an organization submit papers",
                SubmitPolicy.SIGNED_IN: "banned members cannot submit papers",
            }[policy]
        )
    if organization:
        require_member(storage, user, organization)


def fetch_from_arxiv(*, fetcher: PoliteFetcher, api_url: str, text: str) -> Paper:
    """Return the paper an id or URL names, fetched from the arXiv API.

    Runs outside any transaction: arXiv asks for seconds between requests, and no
    write lock should wait for them. Raises InvalidInput for text that is no arXiv
    id, PaperNotFound when arXiv has no such paper, FetchError or ArxivApiError when
    arXiv cannot be reached or answers badly.
    """
    try:
        arxiv_id = parse_arxiv_id(text)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    page = arxiv_api.fetch_page(fetcher, api_url, arxiv_api.search_params(ids=[arxiv_id.id]))
    records = [item for item in page.records if isinstance(item, PaperRecord)]
    if not records:
        problems = "; ".join(i.describe() for i in page.records if isinstance(i, InvalidRecord))
        detail = f" ({problems})" if problems else ""
        raise PaperNotFound(f"arXiv has no paper {arxiv_id.id}{detail}")
    return records[0].paper


def typed_paper(*, text: str, title: str, abstract: str, authors: str, link: str) -> Paper:
    """Return the paper a submitter typed in: an arXiv id, title, abstract, authors and a link."""
    try:
        arxiv_id = parse_arxiv_id(text)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    names = tuple(
        name
        for name in (" ".join(part.split()) for part in authors.replace("\n", ",").split(","))
        if name
    )
    title, abstract, link = clean_title(title), clean_abstract(abstract), link.strip()
    if not title or len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(f"a title has 1 to {MAX_TITLE_LENGTH} characters")
    if len(abstract) > MAX_ABSTRACT_LENGTH:
        raise InvalidInput(f"an abstract has at most {MAX_ABSTRACT_LENGTH} characters")
    if not names or len(names) > MAX_AUTHORS:
        raise InvalidInput("name the authors, separated by commas")
    if link and not link.lower().startswith(("https://", "http://")):
        raise InvalidInput("a link starts with https:// or http://")
    paper = Paper(
        id=arxiv_id.id, title=title, abstract=abstract, authors=names, project_page=link or None
    )
    try:  # the bounds every paper keeps, whatever its source: name lengths, real Unicode
        check_record(PaperRecord(paper))
    except InvalidPaper as error:
        raise InvalidInput(f"{error.field}: {error.reason}") from None
    return paper


def feature_submission(
    *,
    storage: Storage,
    user: User,
    paper: Paper,
    organization: str | None,
    now: datetime,
    refresh: bool,
) -> Submitted:
    """Store the paper and feature it today for the member (and organization)."""
    submitted = feature_paper(
        storage=storage,
        paper=paper,
        submitted_by=user.username,
        organization=organization,
        now=now,
        refresh=refresh,
    )
    if not submitted.already_featured:
        storage.set_entry_submitter(paper.id, user.id)
    return submitted


def feature_paper(
    *,
    storage: Storage,
    paper: Paper,
    submitted_by: str | None,
    organization: str | None,
    now: datetime,
    refresh: bool,
) -> Submitted:
    """Store the paper and feature it today, credited to `submitted_by` (any name).

    With `refresh` (a copy from arXiv) the stored metadata is brought up to date;
    a typed copy never overwrites a paper already stored. A paper featured before
    keeps its day and credit. The caller owns the transaction.
    """
    stored = storage.get_papers([paper.id]).get(paper.id)
    if stored is None or refresh:
        stored = merge_paper(stored, paper)
        storage.save_papers([stored])
    entry = storage.get_entries([paper.id]).get(paper.id)
    if entry is not None:
        return Submitted(FeaturedPaper(stored, entry), already_featured=True)
    entry = DailyEntry(paper.id, now.date(), now, submitted_by, organization or None)
    storage.save_entries([entry])
    return Submitted(FeaturedPaper(stored, entry), already_featured=False)
