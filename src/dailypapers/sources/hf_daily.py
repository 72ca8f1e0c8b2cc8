"""Parse Hugging Face `/api/daily_papers` responses, archive quirks included.

A response is a JSON array of entries, each with a `paper` object. Two archive
shapes are accepted as well: an array of Python `repr` strings of entries, and an
object `{"status", "date", "count", "data"}` whose `data` holds either of the
other two shapes (as a list or as a JSON string).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from contextlib import suppress
from datetime import date
from typing import Any

from dailypapers.domain.arxiv_ids import parse_arxiv_id
from dailypapers.domain.papers import DailyEntry, Organization, Paper, PaperRecord
from dailypapers.domain.text import clean_abstract, clean_title
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import (
    TOO_DEEP,
    InvalidRecord,
    RecordError,
    checked,
    decompress,
    optional,
    parse_date,
    parse_timestamp,
    require,
    start_of_day,
)


def parse_daily_papers(
    data: bytes, *, day: date | None = None
) -> Iterator[PaperRecord | InvalidRecord]:
    """Yield a record (or the problem) for each entry of a daily_papers response.

    `day` is the day the response was asked for; it dates entries that do not say
    when they were featured.
    """
    try:
        document = json.loads(decompress(data))
    except RecordError as error:
        yield InvalidRecord("file", error.field, error.reason)
        return
    except (ValueError, UnicodeDecodeError) as error:
        yield InvalidRecord("file", None, f"not JSON: {error}")
        return
    except RecursionError:
        yield InvalidRecord("file", None, f"not JSON this importer reads: {TOO_DEEP}")
        return
    if isinstance(document, dict) and "data" in document:  # the wrapped archive quirk
        if isinstance(document.get("date"), str) and day is None:
            with suppress(ValueError):  # a bad wrapper date just leaves the day unknown
                day = date.fromisoformat(document["date"])
        document = document["data"]
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError as error:
                yield InvalidRecord("file", "data", f"not a JSON string of entries: {error}")
                return
            except RecursionError:
                yield InvalidRecord("file", "data", TOO_DEEP)
                return
    if not isinstance(document, list):
        yield InvalidRecord("file", None, "expected a JSON array of daily-paper entries")
        return
    for index, item in enumerate(document):
        location = f"entry {index}"
        try:
            entry = _literal_entry(item) if isinstance(item, str) else item
            if not isinstance(entry, dict):
                raise RecordError(None, f"expected an object, got {type(entry).__name__}")
            yield checked(parse_entry(entry, day=day))
        except RecordError as error:
            yield InvalidRecord(location, error.field, error.reason)


def parse_entry(entry: dict[str, Any], *, day: date | None = None) -> PaperRecord:
    """Turn one daily_papers entry into a record; raise RecordError naming a bad field."""
    paper = require(entry, "paper", dict)
    raw_id = require(paper, "id", str, path="paper.")
    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except ValueError as error:
        raise RecordError("paper.id", str(error)) from None
    title = optional(entry, "title", str) or require(paper, "title", str, path="paper.")
    abstract = optional(paper, "summary", str, path="paper.") or optional(entry, "summary", str)
    if not abstract:
        raise RecordError("paper.summary", "missing")
    authors = optional(paper, "authors", list, path="paper.") or []
    names = []
    for position, author in enumerate(authors):
        if not isinstance(author, dict) or not isinstance(author.get("name"), str):
            raise RecordError(f"paper.authors[{position}].name", "missing")
        names.append(clean_title(author["name"]))
    upvotes = optional(paper, "upvotes", int, path="paper.") or 0
    comments = optional(entry, "numComments", int) or 0
    if upvotes < 0 or comments < 0:
        raise RecordError("paper.upvotes", "counts cannot be negative")
    published = optional(paper, "publishedAt", str, path="paper.")
    keywords = optional(paper, "ai_keywords", list, path="paper.") or []

    result = Paper(
        id=arxiv_id.id,
        title=clean_title(title),
        abstract=clean_abstract(abstract),
        authors=tuple(names),
        version=arxiv_id.version or 0,
        published_at=parse_timestamp(published, "paper.publishedAt") if published else None,
        github_repo=optional(paper, "githubRepo", str, path="paper.") or None,
        github_stars=optional(paper, "githubStars", int, path="paper."),
        project_page=optional(paper, "projectPage", str, path="paper.") or None,
        ai_summary=optional(paper, "ai_summary", str, path="paper.") or None,
        ai_keywords=tuple(str(keyword) for keyword in keywords),
        upvotes=upvotes,
        num_comments=comments,
    )
    organization = _organization(entry.get("organization") or paper.get("organization"))
    return PaperRecord(result, _entry(entry, paper, result.id, organization, day), organization)


def _entry(
    entry: dict[str, Any],
    paper: dict[str, Any],
    paper_id: str,
    organization: Organization | None,
    day: date | None,
) -> DailyEntry | None:
    """Date the entry: when it was submitted to the daily list, else the archive's day."""
    submitted = optional(paper, "submittedOnDailyAt", str, path="paper.")
    featured_at = parse_timestamp(submitted, "paper.submittedOnDailyAt") if submitted else None
    archive_day = optional(entry, "_daily_date", str)
    if archive_day:
        day = parse_date(archive_day, "_daily_date")
    if featured_at is None:
        listed = optional(entry, "publishedAt", str)
        listed_at = parse_timestamp(listed, "publishedAt") if listed else None
        if day is None and listed_at is not None:
            day = listed_at.date()
        if day is None:
            return None
        featured_at = listed_at if listed_at and listed_at.date() == day else start_of_day(day)
    submitter = entry.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    username = (
        submitter.get("name") or submitter.get("user") if isinstance(submitter, dict) else None
    )
    return DailyEntry(
        paper_id=paper_id,
        day=featured_at.date() if submitted else day or featured_at.date(),
        featured_at=featured_at,
        submitted_by=username if isinstance(username, str) else None,
        organization=organization.name if organization else None,
    )


def _organization(value: Any) -> Organization | None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    fullname = value.get("fullname") if isinstance(value.get("fullname"), str) else None
    avatar = value.get("avatar") if isinstance(value.get("avatar"), str) else None
    return Organization(value["name"], fullname or value["name"], avatar)


def _literal_entry(text: str) -> Any:
    """Read an entry the archiver saved as its Python repr."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as error:
        raise RecordError(None, f"not a JSON object or Python literal: {error}") from None
    except (RecursionError, MemoryError):
        raise RecordError(None, TOO_DEEP) from None


def fetch_daily_papers(
    fetcher: PoliteFetcher, base_url: str, day: date, *, page_size: int = 100
) -> Iterator[bytes]:
    """Yield the raw pages of Hugging Face's daily papers for one day."""
    page = 0
    while True:
        response = fetcher.get(
            f"{base_url.rstrip('/')}/api/daily_papers",
            params={"date": day.isoformat(), "limit": page_size, "p": page},
        )
        yield response.content
        try:
            count = len(response.json())
        except ValueError:
            return  # the parser reports the bad body
        if count < page_size:
            return
        page += 1
