"""Embed papers into vectors in batches, rebuild after a model change, and report progress.

Vectors are written to the database (the source of truth) one batch per transaction, so
search becomes hybrid as they arrive and an interrupted run loses at most one batch. The
work walks papers from the latest featured day back, then those never featured, so the
papers readers see first are searchable by meaning first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dailypapers.storage.base import Storage

# Each batch is one query for the next papers in reading order and one transaction: a few
# seconds of embedding, so that finding the next papers costs little beside it.
BATCH_SIZE = 256


class DocumentEmbedder(Protocol):
    """What indexing needs of an embedder: its name and document vectors."""

    model_name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one L2-normalized row per text."""
        ...


@dataclass(frozen=True, slots=True)
class IndexingProgress:
    """How far semantic indexing has come for one model."""

    model: str
    embedded: int
    total: int

    @property
    def complete(self) -> bool:
        """Tell whether every paper has a vector."""
        return self.embedded >= self.total

    @property
    def percent(self) -> float:
        """Return the share of papers that have a vector, 0 to 100."""
        return 100.0 if self.total == 0 else min(100.0, 100.0 * self.embedded / self.total)


def indexing_progress(*, storage: Storage, model: str) -> IndexingProgress:
    """Return how many papers have a vector of this model, of how many."""
    return IndexingProgress(model, storage.count_embeddings().get(model, 0), storage.count_papers())


def embed_missing(
    *,
    storage: Storage,
    embedder: DocumentEmbedder,
    batch_size: int = BATCH_SIZE,
    max_seconds: float | None = None,
    progress: Callable[[int], None] = lambda count: None,
) -> int:
    """Embed the papers that lack a vector of the embedder's model; return how many.

    Stops after `max_seconds` (at a batch boundary) when given, so a scheduled job
    shares the machine; the next run carries on where this one stopped.
    """
    from dailypapers.search.embedder import document_text

    started = time.monotonic()
    below: int | None = None
    done = 0
    while max_seconds is None or time.monotonic() - started < max_seconds:
        batch = storage.papers_to_embed(model=embedder.model_name, limit=batch_size, below=below)
        if not batch:
            break
        vectors = embedder.embed_documents(
            [document_text(item.title, item.abstract) for item in batch]
        )
        with storage.transaction():
            storage.save_embeddings(
                model=embedder.model_name,
                paper_ids=[item.paper_id for item in batch],
                vectors=vectors,
            )
        below = batch[-1].key
        done += len(batch)
        progress(len(batch))
    if done:
        storage.refresh_vector_index(model=embedder.model_name, save=True)
    return done


@dataclass(frozen=True, slots=True)
class ReindexReport:
    """What a reindex did: vectors dropped (other models, or all with --full) and made."""

    dropped: dict[str, int]
    embedded: int


def reindex(
    *,
    storage: Storage,
    embedder: DocumentEmbedder,
    full: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] = lambda count: None,
) -> ReindexReport:
    """Drop other models' vectors (and with `full` this model's too), then embed what is missing."""
    dropped = {}
    for model in storage.count_embeddings():
        if model != embedder.model_name or full:
            with storage.transaction():
                dropped[model] = storage.delete_embeddings(model=model)
    embedded = embed_missing(
        storage=storage, embedder=embedder, batch_size=batch_size, progress=progress
    )
    storage.refresh_vector_index(model=embedder.model_name, save=True)
    return ReindexReport(dropped, embedded)
