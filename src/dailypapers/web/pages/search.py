"""Search pages and the search API (Hugging Face's `/api/papers/search`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.search_query import (
    MAX_QUERY_CHARS,
    QueryError,
    SearchFilters,
    parse_date_bound,
)
from dailypapers.search.hybrid import HybridSearcher, SearchMode
from dailypapers.services.search import SearchPage, papers_like_text, search_papers
from dailypapers.services.semantic_index import IndexingProgress
from dailypapers.storage import Storage
from dailypapers.web.api.hf_json import daily_entry_json
from dailypapers.web.api.papers import json_response
from dailypapers.web.dependencies import RendererDep, SettingsDep, StorageDep

router = APIRouter()

QueryText = Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="what to look for")]
PageQuery = Annotated[int, Query(ge=0, le=1000, description="page, counted from 0")]


async def get_searcher(request: Request) -> HybridSearcher:
    """Return the app's searcher."""
    searcher: HybridSearcher = request.app.state.searcher
    return searcher


SearcherDep = Annotated[HybridSearcher, Depends(get_searcher)]


async def form_filters(
    author: Annotated[str, Query(max_length=200, description="an author's name")] = "",
    cat: Annotated[str, Query(max_length=40, description="an arXiv category, e.g. cs.CL")] = "",
    org: Annotated[str, Query(max_length=100, description="an organization's name")] = "",
    after: Annotated[str, Query(max_length=10, description="published on or after")] = "",
    before: Annotated[str, Query(max_length=10, description="published before")] = "",
    has_code: Annotated[bool, Query(description="only papers with a code link")] = False,
) -> SearchFilters:
    """Read the search form's filter controls; 400 for a date that cannot be read."""
    try:
        return SearchFilters(
            authors=(author.strip(),) if author.strip() else (),
            categories=(cat.strip(),) if cat.strip() else (),
            organizations=(org.strip(),) if org.strip() else (),
            after=_date_or_none(after, "after"),
            before=_date_or_none(before, "before"),
            has_code=has_code,
        )
    except QueryError as error:
        raise HTTPException(400, str(error)) from None


FiltersDep = Annotated[SearchFilters, Depends(form_filters)]


def _date_or_none(value: str, name: str) -> date | None:
    return parse_date_bound(value, name) if value.strip() else None


@router.get("/api/papers/search", tags=["papers"])
def search_api(
    storage: StorageDep,
    searcher: SearcherDep,
    filters: FiltersDep,
    q: QueryText = "",
    limit: Annotated[int, Query(ge=1, le=100, description="papers to return")] = 50,
) -> Response:
    """Search papers (hybrid: words and meaning); the query syntax is on /search/help."""
    try:
        page = search_papers(
            storage=storage,
            searcher=searcher,
            text=q,
            filters=filters,
            page_size=limit,
            ranked=limit,
        )
    except QueryError as error:
        raise HTTPException(400, str(error)) from None
    outcome = page.outcome
    engines = ",".join(outcome.engines)
    closest = outcome.mode is SearchMode.CLOSEST
    response = json_response(
        [
            {**daily_entry_json(item), "searchEngines": engines, "closestInMeaning": closest}
            for item in page.papers
        ]
    )
    response.headers["X-Search-Engines"] = engines
    return _unless_degraded(response, page)


def _unless_degraded(response: Response, page: SearchPage) -> Response:
    """Keep an answer without its meaning half (the model or index not ready) out of caches."""
    if page.outcome.degraded:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    storage: StorageDep,
    searcher: SearcherDep,
    settings: SettingsDep,
    renderer: RendererDep,
    filters: FiltersDep,
    q: QueryText = "",
    p: PageQuery = 0,
) -> Response:
    """Show the search form, and the results when there is a query."""
    form = {"q": q, **_form_values(filters)}
    progress = _progress(storage, searcher)
    if not q.strip() and not filters:
        return renderer.page("search.html", form=form, results=None, progress=progress)
    try:
        results = search_papers(
            storage=storage,
            searcher=searcher,
            text=q,
            filters=filters,
            page=p,
            page_size=settings.page_size,
        )
    except QueryError as error:
        return renderer.page(
            "search.html", status=400, form=form, results=None, error=str(error), progress=progress
        )
    if progress is None:  # the model may have loaded while the search ran: say so with it
        progress = _progress(storage, searcher)
    page = renderer.page("search.html", form=form, results=results, progress=progress)
    page.headers["X-Search-Engines"] = ",".join(results.outcome.engines)
    return _unless_degraded(page, results)


@router.get("/search/like", response_class=HTMLResponse, include_in_schema=False)
def like_page(
    storage: StorageDep,
    searcher: SearcherDep,
    settings: SettingsDep,
    renderer: RendererDep,
    filters: FiltersDep,
    text: QueryText = "",
) -> Response:
    """Show the papers closest in meaning to a pasted abstract."""
    form = {"q": "", "like": text, **_form_values(filters)}
    progress = _progress(storage, searcher)
    results: SearchPage | None = None
    if text.strip():
        results = papers_like_text(
            storage=storage,
            searcher=searcher,
            text=text,
            limit=settings.page_size,
            filters=filters,
        )
    if progress is None:  # as for a search: the model may have loaded meanwhile
        progress = _progress(storage, searcher)
    page = renderer.page("search.html", form=form, results=results, progress=progress, like=True)
    return page if results is None else _unless_degraded(page, results)


@router.get("/search/help", response_class=HTMLResponse, include_in_schema=False)
def search_help(renderer: RendererDep) -> Response:
    """Explain the query syntax."""
    return renderer.page("search_help.html")


def _form_values(filters: SearchFilters) -> dict[str, object]:
    return {
        "author": filters.authors[0] if filters.authors else "",
        "cat": filters.categories[0] if filters.categories else "",
        "org": filters.organizations[0] if filters.organizations else "",
        "after": filters.after.isoformat() if filters.after else "",
        "before": filters.before.isoformat() if filters.before else "",
        "has_code": filters.has_code,
    }


def _progress(storage: Storage, searcher: HybridSearcher) -> IndexingProgress | None:
    if searcher.model_name is None:
        searcher.warm_up()
        return None
    vectors, papers = searcher.counts(storage)
    return IndexingProgress(searcher.model_name, vectors, papers)
