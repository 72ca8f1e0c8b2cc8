"""Prometheus metrics read from the database at each scrape, the same in every process."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from dailypapers.services.health import read_site
from dailypapers.storage import Storage

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
OUTBOX_STATES = ("pending", "sent", "failed", "cancelled")


class DatabaseCollector(Collector):
    """Gauges of papers, index lag and the outbox, read when Prometheus scrapes."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def collect(self) -> Iterator[Metric]:
        """Read the figures; yield nothing when the database does not answer."""
        try:
            readings = read_site(storage=self.storage)
        except Exception:  # a scrape must not fail: /readyz says what is wrong
            return
        yield GaugeMetricFamily("dailypapers_papers", "Papers stored.", value=readings.papers)
        vectors = GaugeMetricFamily(
            "dailypapers_vectors", "Papers with a vector, per model.", labels=["model"]
        )
        for model, count in sorted(readings.vectors.items()):
            vectors.add_metric([model], count)
        yield vectors
        yield GaugeMetricFamily(
            "dailypapers_vector_lag",
            "Papers without a vector of the model that has the most.",
            value=readings.vector_lag,
        )
        yield GaugeMetricFamily(
            "dailypapers_word_index_lag",
            "Papers changed since the word index beside the database took them.",
            value=readings.word_index_lag,
        )
        outbox = GaugeMetricFamily(
            "dailypapers_outbox_messages", "Messages in the outbox, per state.", labels=["state"]
        )
        # The usual states always, at 0 when empty, then any other the outbox holds.
        counts = dict.fromkeys(OUTBOX_STATES, 0) | dict(sorted(readings.outbox.items()))
        for state, count in counts.items():
            outbox.add_metric([state], count)
        yield outbox
        yield GaugeMetricFamily(
            "dailypapers_pending_migrations",
            "Schema migrations this code has and the database lacks.",
            value=len(readings.pending_migrations),
        )


def multiprocess() -> bool:
    """Tell whether metrics are shared between processes through files (several workers)."""
    return bool(os.environ.get(MULTIPROCESS_VARIABLE))


def scrape_registry(storage: Storage, own: CollectorRegistry) -> CollectorRegistry:
    """Return the registry a scrape reads: this process's metrics or every process's."""
    if not multiprocess():
        return own
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector(storage))
    return registry


def process_registry(storage: Storage) -> CollectorRegistry:
    """Return a registry for this process's metrics, with the database's gauges in it."""
    registry = CollectorRegistry()
    if not multiprocess():  # else the scrape registry adds them, once for all processes
        registry.register(DatabaseCollector(storage))
    return registry
