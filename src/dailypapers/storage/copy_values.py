"""Values between the two databases: one canonical form for checksums, each side's for writing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

_CHECKSUM_MODULUS = 2**128
# A moment as SQLite keeps it (ISO 8601 with a time); a bare day stays text, like a date.
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)


def canonical(kind: str, value: Any) -> Any:
    """Return the value as both databases' copies of it agree, for a checksum.

    Moments and days are recognised by their value, not their column: SQLite keeps them as
    text, so a copy between two SQLite files has no column type to go by, and its checksums
    must still equal those of a copy to PostgreSQL.
    """
    if value is None:
        return None
    if kind == "vector":
        return vector_bytes(value).hex()
    if kind == "json":
        parsed = json.loads(value) if isinstance(value, str | bytes) else value
        return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    text = str(value)
    if _ISO_MOMENT.fullmatch(text):
        with contextlib.suppress(ValueError):
            return _moment(datetime.fromisoformat(text))
    return text


def _moment(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="microseconds")


def row_digest(row: list[Any]) -> int:
    """Return a number for one canonical row; the sum over a table ignores row order."""
    text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def add_digest(total: int, digest: int) -> int:
    """Add one row's number to a table's checksum."""
    return (total + digest) % _CHECKSUM_MODULUS


def vector_bytes(value: Any) -> bytes:
    """Return a vector (pgvector's text form, or SQLite's bytes) as float32 little-endian."""
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    numbers = [float(part) for part in str(value).strip("[]").split(",") if part]
    return np.asarray(numbers, dtype="<f4").tobytes()


def for_target(dialect: str, kind: str, value: Any) -> Any:
    """Return the value as a parameter the target database stores in a column of this kind."""
    if value is None:
        return None
    if dialect == "postgresql":
        if kind == "bool":
            return bool(value)
        if kind == "vector":
            # Every digit a float32 needs: the copy keeps the vector bit for bit.
            floats = np.frombuffer(vector_bytes(value), dtype="<f4").astype(np.float64)
            return "[" + ",".join(repr(number) for number in floats.tolist()) + "]"
        if kind in ("timestamp", "date", "json") and not isinstance(value, str):
            return canonical(kind, value)
        return bytes(value) if isinstance(value, memoryview) else value
    if kind == "bool":
        return int(bool(value))
    if kind == "vector":
        return vector_bytes(value)
    if kind == "timestamp" and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()  # as the site writes them
    if kind in ("date", "json") and not isinstance(value, str):
        return canonical(kind, value)
    return bytes(value) if isinstance(value, memoryview) else value
