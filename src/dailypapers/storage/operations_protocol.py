"""What an operator asks of the database: schema state and how far the indexes lag."""

from __future__ import annotations

from typing import Protocol


class OperationsStore(Protocol):
    """Readings for health checks and metrics, cheap enough to take every few seconds."""

    def pending_migrations(self) -> list[str]:
        """Return the names of the schema migrations this code has and the database lacks."""
        ...

    def word_index_lag(self) -> int:
        """Return how many papers changed since the word index beside the database saw them."""
        ...
