"""Turn Python values into the shared SQL's parameters and rows back into values."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

Row = tuple[Any, ...]
BATCH = 500  # values per IN (...) list, well under both backends' parameter limits
Item = TypeVar("Item", bound=Hashable)


def batches(items: Sequence[Item]) -> Iterator[list[Item]]:
    """Split values into IN-list batches, in order, without repeats."""
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), BATCH):
        yield unique[start : start + BATCH]


def iso(value: datetime | None) -> str | None:
    """Return a moment as an ISO 8601 string in UTC (None stays None)."""
    return value.astimezone(UTC).isoformat() if value else None


def to_datetime(value: str | datetime) -> datetime:
    """Return a stored moment (SQLite text or PostgreSQL timestamptz) as an aware datetime."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_optional_datetime(value: str | datetime | None) -> datetime | None:
    """Return a stored moment, or None."""
    return to_datetime(value) if value is not None else None


def to_date(value: str | date) -> date:
    """Return a stored day as a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)


class SqlAccess:
    """What a storage mixin may call on the backend it is mixed into."""

    if TYPE_CHECKING:

        def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

        def _transaction(self) -> AbstractContextManager[None]: ...
