"""Parse JSON Lines of arXiv metadata: daily listings and the Kaggle snapshot.

Three line shapes are recognised by their keys:
- a daily listing line (`id`, `title`, `summary`, `authors` list, `categories` list,
  optional `listing_date`), featured on its listing day;
- a Kaggle arXiv snapshot line (`id`, `title`, `abstract`, `authors` string,
  `authors_parsed`, `categories` string, `versions`), featured on its first version's day;
- a Hugging Face daily_papers entry (has `paper`), as in the merged archive file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from dailypapers.domain.arxiv_ids import ArxivId, parse_arxiv_id
from dailypapers.domain.papers import DailyEntry, Paper, PaperRecord
from dailypapers.domain.text import clean_abstract, clean_title
from dailypapers.sources.hf_daily import parse_entry
from dailypapers.sources.records import (
    TOO_DEEP,
    InvalidRecord,
    RecordError,
    checked,
    optional,
    parse_date,
    require,
    start_of_day,
)


def parse_jsonl(
    lines: Iterable[bytes | str], *, day: date | None = None
) -> Iterator[PaperRecord | InvalidRecord]:
    """Yield a record (or the problem) for each non-blank line.

    `day` dates listing lines that carry no `listing_date` (a raw daily file).
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise RecordError(None, f"expected a JSON object, got {type(item).__name__}")
            yield checked(parse_line(item, day=day))
        except ValueError as error:  # RecordError is a ValueError too
            field = error.field if isinstance(error, RecordError) else None
            reason = error.reason if isinstance(error, RecordError) else f"not JSON: {error}"
            yield InvalidRecord(f"line {number}", field, reason)
        except RecursionError:
            yield InvalidRecord(f"line {number}", None, TOO_DEEP)


def parse_line(item: dict[str, Any], *, day: date | None = None) -> PaperRecord:
    """Turn one JSON object of any recognised shape into a record."""
    if "paper" in item:
        return parse_entry(item, day=day)
    if "versions" in item or "abstract" in item:
        return _parse_snapshot(item)
    return _parse_listing(item, day=day)


def _parse_listing(item: dict[str, Any], *, day: date | None) -> PaperRecord:
    arxiv_id = _arxiv_id(require(item, "id", str))
    authors = require(item, "authors", list)
    if not all(isinstance(name, str) for name in authors):
        raise RecordError("authors", "expected a list of names")
    categories = optional(item, "categories", list) or []
    listing = optional(item, "listing_date", str)
    if listing:
        day = parse_date(listing, "listing_date")
    paper = Paper(
        id=arxiv_id.id,
        title=clean_title(require(item, "title", str)),
        abstract=clean_abstract(require(item, "summary", str)),
        authors=tuple(clean_title(name) for name in authors),
        version=arxiv_id.version or 0,
        categories=tuple(str(category) for category in categories),
        arxiv_comment=optional(item, "comment", str),
    )
    entry = DailyEntry(paper.id, day, start_of_day(day)) if day else None
    return PaperRecord(paper, entry)


def _parse_snapshot(item: dict[str, Any]) -> PaperRecord:
    arxiv_id = _arxiv_id(require(item, "id", str))
    versions = optional(item, "versions", list) or []
    created = [_version_time(version, index) for index, version in enumerate(versions)]
    categories = require(item, "categories", str).split()
    paper = Paper(
        id=arxiv_id.id,
        title=clean_title(require(item, "title", str)),
        abstract=clean_abstract(require(item, "abstract", str)),
        authors=_snapshot_authors(item),
        version=len(versions) or arxiv_id.version or 0,
        categories=tuple(categories),
        published_at=created[0] if created else None,
        updated_at=created[-1] if created else None,
        arxiv_comment=optional(item, "comments", str),
    )
    entry = DailyEntry(paper.id, created[0].date(), created[0]) if created else None
    return PaperRecord(paper, entry)


def _snapshot_authors(item: dict[str, Any]) -> tuple[str, ...]:
    parsed = optional(item, "authors_parsed", list)
    if parsed:
        names = []
        for index, parts in enumerate(parsed):
            if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
                raise RecordError(f"authors_parsed[{index}]", "expected [last, first, suffix]")
            last, first, suffix = [*parts, "", "", ""][:3]
            names.append(clean_title(f"{first} {last} {suffix}"))
        return tuple(names)
    text = clean_title(require(item, "authors", str))
    return tuple(name.strip() for name in text.replace(" and ", ", ").split(",") if name.strip())


def _version_time(version: Any, index: int) -> datetime:
    if not isinstance(version, dict) or not isinstance(version.get("created"), str):
        raise RecordError(f"versions[{index}].created", "missing")
    try:
        return parsedate_to_datetime(version["created"]).astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        raise RecordError(f"versions[{index}].created", "not an RFC 2822 date") from None


def _arxiv_id(text: str) -> ArxivId:
    try:
        return parse_arxiv_id(text)
    except ValueError as error:
        raise RecordError("id", str(error)) from None
