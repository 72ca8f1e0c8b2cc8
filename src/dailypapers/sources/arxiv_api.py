"""Parse and fetch the arXiv API's Atom feeds (export.arxiv.org/api/query)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import ParseError, fromstring

from dailypapers.domain.announcements import announcement_day, announcement_time
from dailypapers.domain.arxiv_ids import ArxivId, parse_arxiv_id
from dailypapers.domain.papers import DailyEntry, Paper, PaperRecord
from dailypapers.domain.text import clean_abstract, clean_title
from dailypapers.domain.withdrawals import looks_withdrawn
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord, RecordError, checked, parse_timestamp

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


class ArxivApiError(Exception):
    """The arXiv API answered with an error feed or a body that is not a feed."""


@dataclass(frozen=True, slots=True)
class AtomPage:
    """One page of API results: the records and where the page sits in the whole."""

    records: list[PaperRecord | InvalidRecord]
    total: int
    start: int


def parse_atom_page(data: bytes) -> AtomPage:
    """Parse one API response; raise ArxivApiError for an error feed or bad XML."""
    try:
        feed = fromstring(data)
    except ParseError as error:
        raise ArxivApiError(f"malformed XML: {error}") from None
    if feed.tag != f"{ATOM}feed":
        raise ArxivApiError(f"expected an Atom feed, got <{feed.tag}>")
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:  # arXiv reports a bad query as a feed whose one entry is "Error"
        if "/api/errors" in (entry.findtext(f"{ATOM}id") or ""):
            raise ArxivApiError(_text(entry, "summary") or "the API reported an error")
    records: list[PaperRecord | InvalidRecord] = []
    for index, entry in enumerate(entries):
        try:
            records.append(checked(parse_entry(entry)))
        except RecordError as error:
            where = entry.findtext(f"{ATOM}id") or f"entry {index}"
            records.append(
                InvalidRecord(f"entry {index} ({where.strip()})", error.field, error.reason)
            )
    return AtomPage(
        records, _int(feed, f"{OPENSEARCH}totalResults"), _int(feed, f"{OPENSEARCH}startIndex")
    )


def parse_entry(entry: Element) -> PaperRecord:
    """Turn one Atom entry into a record featured on its announcement day."""
    arxiv_id = _entry_id(entry)
    title = _text(entry, "title")
    abstract = _text(entry, "summary")
    if not title:
        raise RecordError("title", "missing")
    if not abstract:
        raise RecordError("summary", "missing")
    published = _timestamp(entry, "published")
    updated = _timestamp(entry, "updated")
    authors = tuple(
        clean_title(name.text)
        for name in entry.iterfind(f"{ATOM}author/{ATOM}name")
        if name.text and name.text.strip()
    )
    primary = entry.find(f"{ARXIV}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    categories += [c.get("term", "") for c in entry.iterfind(f"{ATOM}category")]
    comment = entry.findtext(f"{ARXIV}comment")
    paper = Paper(
        id=arxiv_id.id,
        title=clean_title(title),
        abstract=clean_abstract(abstract),
        authors=authors,
        version=arxiv_id.version or 0,
        categories=tuple(dict.fromkeys(term for term in categories if term)),
        published_at=published,
        updated_at=updated or published,
        arxiv_comment=clean_title(comment) if comment else None,
        withdrawn=looks_withdrawn(comment, abstract),
    )
    return PaperRecord(paper, _entry_on_announcement(paper.id, published))


def _entry_on_announcement(paper_id: str, submitted: datetime | None) -> DailyEntry | None:
    if submitted is None:
        return None
    return DailyEntry(paper_id, announcement_day(submitted), announcement_time(submitted))


def _entry_id(entry: Element) -> ArxivId:
    text = (entry.findtext(f"{ATOM}id") or "").strip()
    if not text:
        raise RecordError("id", "missing")
    try:
        return parse_arxiv_id(text)
    except ValueError as error:
        raise RecordError("id", str(error)) from None


def _text(element: Element, name: str) -> str:
    return (element.findtext(f"{ATOM}{name}") or "").strip()


def _timestamp(entry: Element, name: str) -> datetime | None:
    text = _text(entry, name)
    return parse_timestamp(text, name) if text else None


def _int(feed: Element, tag: str) -> int:
    try:
        return int((feed.findtext(tag) or "0").strip())
    except ValueError:
        raise ArxivApiError(f"<{tag}> is not a number") from None


def search_params(
    *,
    query: str = "",
    ids: Sequence[str] = (),
    start: int = 0,
    size: int = 100,
    sort_by: str = "submittedDate",
) -> dict[str, Any]:
    """Return the query parameters of one API request."""
    params: dict[str, Any] = {"start": start, "max_results": size}
    if query:
        params |= {"search_query": query, "sortBy": sort_by, "sortOrder": "descending"}
    if ids:
        params["id_list"] = ",".join(ids)
    return params


def fetch_page(fetcher: PoliteFetcher, url: str, params: dict[str, Any]) -> AtomPage:
    """GET one page of results and parse it; an error feed raises ArxivApiError."""
    response = fetcher.get(url, params=params, accept_status=(400,))
    try:
        page = parse_atom_page(response.content)
    except ArxivApiError as error:
        raise ArxivApiError(f"GET {response.url}: {error}") from None
    if response.status_code == 400:
        raise ArxivApiError(f"GET {response.url} answered 400")
    return page
