"""Author pages: a name's papers, co-authors, organizations and the member who claimed it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.authors import ClaimedAuthor, normalize_author_name
from dailypapers.domain.papers import FeaturedPaper, Organization
from dailypapers.domain.ranking import Rankable, SortMode, rank
from dailypapers.services.errors import NotFound
from dailypapers.storage.base import Storage
from dailypapers.storage.follows_protocol import FollowStore

MAX_AUTHOR_PAPERS = 2000  # a page lists at most this many of one name's papers
COAUTHORS_SHOWN = 30
ORGANIZATIONS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class AuthorPage:
    """What an author's page shows."""

    name: str  # the spelling most of their papers use
    normalized: str
    spellings: list[str]
    papers: list[FeaturedPaper]
    total: int
    coauthors: list[tuple[str, int]]
    organizations: list[tuple[Organization, int]]
    claimants: list[ClaimedAuthor]  # members the admins recognized under this name


def author_page(
    *, storage: Storage, name: str, sort: SortMode, page: int, page_size: int, now: datetime
) -> AuthorPage:
    """Gather an author's page, its papers sorted and cut to one page; NotFound if none."""
    normalized = normalize_author_name(name)
    total = storage.count_author_papers(normalized) if normalized else 0
    if not total:
        raise NotFound(f"no paper on this site has an author named {name!r}")
    spellings = storage.author_spellings(normalized)
    if sort is SortMode.NEWEST:  # the index's own order: read one page of it
        chosen = storage.author_page_ids(normalized, limit=page_size, offset=page * page_size)
    else:  # ranked in full, so at most MAX_AUTHOR_PAPERS of the latest are
        ids = storage.author_paper_ids(normalized, limit=MAX_AUTHOR_PAPERS)
        chosen = _sorted_ids(storage, ids, sort, now)[page * page_size : (page + 1) * page_size]
        total = min(total, MAX_AUTHOR_PAPERS)
    claimants = {claim.username: claim for claim in storage.author_claimants(normalized)}
    return AuthorPage(
        name=spellings[0][0] if spellings else name,
        normalized=normalized,
        spellings=[spelling for spelling, _ in spellings],
        papers=storage.featured_papers(chosen),
        total=total,
        coauthors=storage.coauthors(normalized, limit=COAUTHORS_SHOWN),
        organizations=storage.author_organizations(normalized, limit=ORGANIZATIONS_SHOWN),
        claimants=list(claimants.values()),
    )


def _sorted_ids(storage: Storage, ids: list[str], sort: SortMode, now: datetime) -> list[str]:
    """Order the author's papers: newest by publication, or as the site ranks them."""
    papers = storage.featured_papers(ids)
    rankables = [
        Rankable(
            item.paper.id,
            item.paper.upvotes,
            item.paper.num_comments,
            item.entry.featured_at if item.entry else item.paper.published_at or now,
        )
        for item in papers
    ]
    return [item.paper_id for item in rank(rankables, sort=sort, now=now)]


def claimed_names(
    storage: FollowStore, paper_ids: Sequence[str]
) -> dict[str, dict[str, ClaimedAuthor]]:
    """Return, per paper, its verified authors by folded name."""
    claimed: dict[str, dict[str, ClaimedAuthor]] = {}
    for claim in storage.claimed_authors(paper_ids):
        claimed.setdefault(claim.paper_id, {})[claim.normalized] = claim
    return claimed
