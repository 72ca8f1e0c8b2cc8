"""Search papers, find similar ones, and find papers like a pasted abstract."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.search_query import SearchFilters, parse_query, words_of
from dailypapers.search.hybrid import HybridSearcher, SearchMode, SearchOutcome
from dailypapers.storage.base import Storage

MAX_RESULTS = 200  # a search ranks this many at most; nobody pages further
LIKE_TEXT_TIMEOUT_S = 3.0  # a pasted abstract is long, and the reader asked for meaning


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results, with what is needed to show and page them."""

    outcome: SearchOutcome
    papers: list[FeaturedPaper]
    page: int  # counted from 0
    page_size: int

    @property
    def total(self) -> int:
        """Return how many results the search ranked."""
        return len(self.outcome.paper_ids)

    @property
    def capped(self) -> bool:
        """Return whether the search stopped at MAX_RESULTS (more papers may match)."""
        return self.total >= MAX_RESULTS

    @property
    def page_count(self) -> int:
        """Return how many pages the results fill (at least one)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def highlight_terms(self) -> tuple[str, ...]:
        """Return the words to mark in the excerpts."""
        return self.outcome.query.highlight_terms


def search_papers(
    *,
    storage: Storage,
    searcher: HybridSearcher,
    text: str,
    filters: SearchFilters | None = None,
    page: int = 0,
    page_size: int = 30,
    ranked: int | None = None,
) -> SearchPage:
    """Search with the query syntax plus form filters; raise QueryError for a bad filter.

    `ranked` is how many results the search ranks: pages with a total need MAX_RESULTS (the
    default); one list (the API, the command line) needs only its own length, and each side
    of a hybrid search then ranks CANDIDATES papers, not MAX_RESULTS, as the quality
    benchmark measures it.
    """
    query = parse_query(text)
    if filters:
        query = query.with_filters(filters)
    outcome = searcher.search(storage, query, limit=ranked or MAX_RESULTS)
    chosen = outcome.paper_ids[page * page_size : (page + 1) * page_size]
    return SearchPage(outcome, storage.featured_papers(chosen), page, page_size)


def papers_like_text(
    *,
    storage: Storage,
    searcher: HybridSearcher,
    text: str,
    limit: int = 30,
    filters: SearchFilters | None = None,
) -> SearchPage:
    """Rank papers by closeness in meaning to a pasted text (by words while vectors are missing)."""
    started = time.perf_counter()
    query = parse_query(" ".join(words_of(text)))  # pasted text is prose: no operators in it
    if filters:
        query = query.with_filters(filters)
    vector = None
    if searcher.vector_count(storage) and query.text:
        vector = searcher.embed_query(query.text, timeout_s=LIKE_TEXT_TIMEOUT_S)
    if vector is None or searcher.model_name is None:
        outcome = searcher.search(storage, query, limit=limit)
    else:
        found = storage.nearest_papers(
            model=searcher.model_name, vector=vector, limit=limit, filters=query.filters
        )
        outcome = SearchOutcome(query, [item.paper_id for item in found], mode=SearchMode.SIMILAR)
    # The time shown covers embedding the pasted text too, its slowest part.
    outcome = replace(outcome, took_ms=(time.perf_counter() - started) * 1000)
    return SearchPage(outcome, storage.featured_papers(outcome.paper_ids[:limit]), 0, limit)
