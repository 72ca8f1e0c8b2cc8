"""Tell whether the site can serve: the database answers, its schema is current, indexes lag."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dailypapers.storage import Storage

FIGURES_MAX_AGE_S = 60.0


@dataclass(frozen=True, slots=True)
class SiteReadings:
    """What the database says about the site right now."""

    papers: int
    vectors: dict[str, int]  # per embedding model
    word_index_lag: int
    outbox: dict[str, int]  # messages per state
    pending_migrations: list[str] = field(default_factory=list)

    @property
    def vector_lag(self) -> int:
        """Return how many papers lack a vector of the model that has the most."""
        return max(0, self.papers - max(self.vectors.values(), default=0))

    @property
    def ready(self) -> bool:
        """Tell whether the schema is the one this code expects."""
        return not self.pending_migrations


def read_site(*, storage: Storage) -> SiteReadings:
    """Read the site's figures; raise whatever the database raises when it cannot answer."""
    return SiteReadings(
        papers=storage.count_papers(),
        vectors=storage.count_embeddings(),
        word_index_lag=storage.word_index_lag(),
        outbox=storage.outbox_counts(),
        pending_migrations=storage.pending_migrations(),
    )


class ReadinessProbe:
    """Tell readiness at every call, cheaply: the figures are counted at most once a minute.

    Each call asks the database for its applied migrations (one small table: it proves the
    database answers and its schema is current). Counting the papers and vectors scans
    them, tens of milliseconds at a million, too much for a probe every few seconds in
    every process; those figures are kept for FIGURES_MAX_AGE_S.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        max_age_s: float = FIGURES_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.max_age_s = max_age_s
        self.clock = clock
        self._counted: tuple[float, SiteReadings] | None = None
        self._lock = threading.Lock()

    def read(self) -> SiteReadings:
        """Read the schema now and the figures if they are older than allowed."""
        pending = self.storage.pending_migrations()
        with self._lock:  # one count at a time, however many probes come at once
            now = self.clock()
            if self._counted is None or now - self._counted[0] >= self.max_age_s:
                self._counted = (now, read_site(storage=self.storage))
            readings = self._counted[1]
        return replace(readings, pending_migrations=pending)
