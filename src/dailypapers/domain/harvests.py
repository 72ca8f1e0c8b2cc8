"""Where a long pull from a source stands, so that a killed one resumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class HarvestState:
    """A named harvest's cursor and counts, saved after every page it stores."""

    name: str
    cursor: str | None  # the next page's resumption token; None when done or not begun
    pages: int
    records: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """Tell whether the harvest has reached its last page."""
        return self.finished_at is not None
