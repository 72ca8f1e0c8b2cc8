"""What parsers yield for a bad record, and small readers they share."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dailypapers.domain.paper_checks import InvalidPaper, check_record
from dailypapers.domain.papers import PaperRecord


@dataclass(frozen=True, slots=True)
class InvalidRecord:
    """A record a parser could not use: where it is, which field, and why."""

    location: str  # "line 12", "entry 3" or "file"
    field: str | None
    reason: str

    def describe(self) -> str:
        """Return the problem in one line, as shown to the user."""
        field = f", field {self.field!r}" if self.field else ""
        return f"{self.location}{field}: {self.reason}"


class RecordError(ValueError):
    """Raised inside a parser for one record; turned into an InvalidRecord."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


TOO_DEEP = "nested too deeply (a paper's record is a few levels deep)"

# What reading a damaged gzip stream raises: a bad header, a truncated or corrupt body.
GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def decompress(data: bytes) -> bytes:
    """Return the bytes, gunzipped if they are gzip; raise RecordError if that gzip is damaged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except GZIP_ERRORS as error:
        raise RecordError(None, f"not a readable gzip file: {error}") from None


def checked(record: PaperRecord) -> PaperRecord:
    """Return the record if it is within the domain's bounds; raise RecordError naming the field."""
    try:
        return check_record(record)
    except InvalidPaper as error:
        raise RecordError(error.field, error.reason) from None


def require(mapping: dict[str, Any], key: str, kind: type, *, path: str = "") -> Any:
    """Return mapping[key] if present and of the kind; raise RecordError naming it."""
    name = f"{path}{key}"
    if key not in mapping or mapping[key] is None:
        raise RecordError(name, "missing")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RecordError(name, f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def optional(mapping: dict[str, Any], key: str, kind: type, *, path: str = "") -> Any:
    """Return mapping[key] if present (None otherwise); raise RecordError if of another kind."""
    if mapping.get(key) is None:
        return None
    return require(mapping, key, kind, path=path)


def parse_timestamp(value: str, field: str) -> datetime:
    """Parse an ISO 8601 timestamp (a trailing Z allowed) as UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        raise RecordError(field, f"not an ISO 8601 timestamp: {value!r}") from None
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last instant in UTC
        raise RecordError(field, f"out of the calendar's range: {value!r}") from None


def parse_date(value: str, field: str) -> date:
    """Parse YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RecordError(field, f"not a date as YYYY-MM-DD: {value!r}") from None


def start_of_day(day: date) -> datetime:
    """Return midnight UTC of the day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
