"""Turn Python values into the shared SQL's parameters and rows back into values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager

Row = tuple[Any, ...]


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


class SqlAccess:
    """What a storage mixin may call on the backend it is mixed into."""

    if TYPE_CHECKING:

        def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

        def _transaction(self) -> AbstractContextManager[None]: ...
