"""Tell whether the site can serve: the database answers, its schema is current, indexes lag."""

from __future__ import annotations

from dataclasses import dataclass, field

from dailypapers.storage import Storage


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
