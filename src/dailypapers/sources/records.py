"""What parsers yield for a bad record, and small readers they share."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


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


def decompress(data: bytes) -> bytes:
    """Return the bytes, gunzipped if they are gzip."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


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
    except ValueError:
        raise RecordError(field, f"not an ISO 8601 timestamp: {value!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: str, field: str) -> date:
    """Parse YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RecordError(field, f"not a date as YYYY-MM-DD: {value!r}") from None


def start_of_day(day: date) -> datetime:
    """Return midnight UTC of the day."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
