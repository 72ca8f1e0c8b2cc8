"""Look a paper up by whatever form of its id a visitor typed."""

from __future__ import annotations

from fastapi import HTTPException

from dailypapers.domain.arxiv_ids import normalize_arxiv_id
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services.feed import RankingCache, featured_papers
from dailypapers.storage import Storage
from dailypapers.web.accounts.sessions import current_viewer


def find_featured_paper(
    storage: Storage, text: str, rankings: RankingCache | None = None
) -> FeaturedPaper:
    """Return the paper the id or URL names (from `rankings` where kept there); 404 when it
    is unknown or not an id."""
    try:
        paper_id = normalize_arxiv_id(text)
    except ValueError:
        raise HTTPException(404, f"{text!r} is not an arXiv id") from None
    found = featured_papers(storage, [paper_id], rankings)
    if not found:
        raise HTTPException(404, f"paper {paper_id} is not on this site")
    # accounts: a submission a moderator hid is gone for everyone but the moderators
    viewer = current_viewer()
    if found[0].entry and found[0].entry.hidden and not (viewer and viewer.can_moderate):
        raise HTTPException(404, f"paper {paper_id} is not on this site")
    return found[0]
