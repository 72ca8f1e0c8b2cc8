"""The site's Prometheus metrics: request latency by route, and the database's gauges."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest

from dailypapers.services.site_metrics import multiprocess, process_registry, scrape_registry
from dailypapers.storage import Storage

# Pages answer in milliseconds from the cache and in tenths of a second when searching.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class SiteMetrics:
    """This process's request metrics, and how a scrape reads them."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.registry = process_registry(storage)
        self.request_seconds = Histogram(
            "dailypapers_request_duration_seconds",
            "Time to answer a request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            # With several processes the values go to files that a scrape adds up.
            registry=None if multiprocess() else self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.request_seconds.labels(method, route, str(status)).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """Return the text a Prometheus scrape reads, and its content type."""
        registry = scrape_registry(self.storage, self.registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
