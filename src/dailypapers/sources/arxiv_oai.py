"""Parse and fetch arXiv's OAI-PMH ListRecords pages (metadataPrefix arXiv or arXivRaw)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import ParseError, fromstring

from dailypapers.domain.announcements import ARXIV_TIME, announcement_day, announcement_time
from dailypapers.domain.arxiv_ids import parse_arxiv_id
from dailypapers.domain.papers import DailyEntry, Paper, PaperRecord
from dailypapers.domain.text import clean_abstract, clean_title
from dailypapers.domain.withdrawals import looks_withdrawn
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord, RecordError, checked

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
FORMATS = ("arXiv", "arXivRaw")


class OaiError(Exception):
    """The OAI-PMH endpoint answered with an error or a body that is not OAI-PMH."""


@dataclass(frozen=True, slots=True)
class Deletion:
    """A record the repository reports as deleted: the paper is withdrawn."""

    paper_id: str


OaiItem = PaperRecord | Deletion | InvalidRecord


@dataclass(frozen=True, slots=True)
class OaiPage:
    """One ListRecords page: its items and the token for the next page (None at the end)."""

    items: list[OaiItem]
    resumption_token: str | None
    complete_list_size: int | None


def parse_list_records(data: bytes) -> OaiPage:
    """Parse one ListRecords response; raise OaiError for an OAI error or bad XML."""
    try:
        root = fromstring(data)
    except ParseError as error:
        raise OaiError(f"malformed XML: {error}") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise OaiError(f"expected an OAI-PMH response, got <{root.tag}>")
    problem = root.find(f"{OAI}error")
    if problem is not None:
        if problem.get("code") == "noRecordsMatch":
            return OaiPage([], None, 0)
        raise OaiError(f"{problem.get('code', 'error')}: {(problem.text or '').strip()}")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:  # GetRecord answers hold one record the same way
        listing = root.find(f"{OAI}GetRecord")
    if listing is None:
        raise OaiError("the response has no ListRecords")
    items = [
        _parse_record(record, index)
        for index, record in enumerate(listing.iterfind(f"{OAI}record"))
    ]
    token = listing.find(f"{OAI}resumptionToken")
    size = token.get("completeListSize") if token is not None else None
    return OaiPage(
        items,
        (token.text or "").strip() or None if token is not None else None,
        int(size) if size and size.isdigit() else None,
    )


def _parse_record(record: Element, index: int) -> OaiItem:
    identifier = (record.findtext(f"{OAI}header/{OAI}identifier") or "").strip()
    location = f"record {index} ({identifier or 'no identifier'})"
    try:
        header = record.find(f"{OAI}header")
        if header is not None and header.get("status") == "deleted":
            return Deletion(_paper_id(identifier.removeprefix("oai:arXiv.org:"), "identifier"))
        metadata = record.find(f"{OAI}metadata")
        if metadata is None or len(metadata) == 0:
            raise RecordError("metadata", "missing")
        body = metadata[0]
        if body.tag == f"{ARXIV}arXiv":
            return checked(_parse_arxiv(body))
        if body.tag == f"{ARXIV_RAW}arXivRaw":
            return checked(_parse_arxiv_raw(body))
        raise RecordError("metadata", f"unsupported format <{body.tag}>")
    except RecordError as error:
        return InvalidRecord(location, error.field, error.reason)


def _parse_arxiv(body: Element) -> PaperRecord:
    """Read the `arXiv` format: v1 date only, structured authors."""
    paper_id = _paper_id(_required(body, ARXIV, "id"), "id")
    created = _day(_required(body, ARXIV, "created"), "created")
    updated_text = body.findtext(f"{ARXIV}updated")
    authors = []
    for author in body.iterfind(f"{ARXIV}authors/{ARXIV}author"):
        parts = [
            author.findtext(f"{ARXIV}{name}") or "" for name in ("forenames", "keyname", "suffix")
        ]
        name = clean_title(" ".join(parts))
        if name:
            authors.append(name)
    # Only the day of the first version is given; noon Eastern places it in that day's batch.
    submitted = datetime.combine(created, time(12), tzinfo=ARXIV_TIME)
    updated = (
        _day(updated_text.strip(), "updated") if updated_text and updated_text.strip() else None
    )
    return _record(
        paper_id=paper_id,
        title=_required(body, ARXIV, "title"),
        abstract=_required(body, ARXIV, "abstract"),
        authors=tuple(authors),
        version=0,
        categories=(body.findtext(f"{ARXIV}categories") or "").split(),
        submitted=submitted,
        updated=datetime.combine(updated, time(), tzinfo=UTC) if updated else None,
        comment=body.findtext(f"{ARXIV}comments"),
    )


def _parse_arxiv_raw(body: Element) -> PaperRecord:
    """Read the `arXivRaw` format: every version with its time, authors as one string."""
    paper_id = _paper_id(_required(body, ARXIV_RAW, "id"), "id")
    times = []
    for index, version in enumerate(body.iterfind(f"{ARXIV_RAW}version")):
        text = version.findtext(f"{ARXIV_RAW}date") or ""
        try:
            times.append(parsedate_to_datetime(text).astimezone(UTC))
        except (TypeError, ValueError, OverflowError):
            raise RecordError(f"version[{index}].date", f"not an RFC 2822 date: {text!r}") from None
    if not times:
        raise RecordError("version", "missing")
    authors_text = clean_title(_required(body, ARXIV_RAW, "authors"))
    authors = [name.strip() for name in authors_text.replace(" and ", ", ").split(",")]
    return _record(
        paper_id=paper_id,
        title=_required(body, ARXIV_RAW, "title"),
        abstract=_required(body, ARXIV_RAW, "abstract"),
        authors=tuple(name for name in authors if name),
        version=len(times),
        categories=(body.findtext(f"{ARXIV_RAW}categories") or "").split(),
        submitted=times[0],
        updated=times[-1],
        comment=body.findtext(f"{ARXIV_RAW}comments"),
    )


def _record(
    *,
    paper_id: str,
    title: str,
    abstract: str,
    authors: tuple[str, ...],
    version: int,
    categories: list[str],
    submitted: datetime,
    updated: datetime | None,
    comment: str | None,
) -> PaperRecord:
    paper = Paper(
        id=paper_id,
        title=clean_title(title),
        abstract=clean_abstract(abstract),
        authors=authors,
        version=version,
        categories=tuple(categories),
        published_at=submitted.astimezone(UTC),
        updated_at=updated,
        arxiv_comment=clean_title(comment) if comment else None,
        withdrawn=looks_withdrawn(comment, abstract),
    )
    entry = DailyEntry(paper_id, announcement_day(submitted), announcement_time(submitted))
    return PaperRecord(paper, entry)


def _required(body: Element, namespace: str, name: str) -> str:
    text = (body.findtext(f"{namespace}{name}") or "").strip()
    if not text:
        raise RecordError(name, "missing")
    return text


def _paper_id(text: str, field: str) -> str:
    try:
        return parse_arxiv_id(text).id
    except ValueError as error:
        raise RecordError(field, str(error)) from None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RecordError(field, f"not a date as YYYY-MM-DD: {text!r}") from None


def list_records_params(
    *,
    token: str | None,
    metadata_prefix: str,
    set_spec: str | None,
    from_day: date | None,
    until_day: date | None,
) -> dict[str, Any]:
    """Return the parameters of a ListRecords request: the first, or one resuming a token."""
    if token:  # OAI-PMH: a resumption token is the only argument besides the verb
        return {"verb": "ListRecords", "resumptionToken": token}
    params: dict[str, Any] = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
    if set_spec:
        params["set"] = set_spec
    if from_day:
        params["from"] = from_day.isoformat()
    if until_day:
        params["until"] = until_day.isoformat()
    return params


def fetch_list_records(fetcher: PoliteFetcher, url: str, params: dict[str, Any]) -> OaiPage:
    """GET one ListRecords page and parse it; OAI errors raise OaiError naming the request."""
    response = fetcher.get(url, params=params)
    try:
        return parse_list_records(response.content)
    except OaiError as error:
        raise OaiError(f"GET {response.url}: {error}") from None
