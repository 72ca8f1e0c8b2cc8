"""Pull papers from live sources into storage."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from dailypapers.services.importing import ImportReport, import_records
from dailypapers.sources.hf_daily import fetch_daily_papers, parse_daily_papers
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage.base import Storage


def ingest_hf_days(
    *,
    storage: Storage,
    fetcher: PoliteFetcher,
    base_url: str,
    days: Iterable[date],
    on_invalid: Callable[[InvalidRecord], None],
    on_day: Callable[[date, ImportReport], None] = lambda day, report: None,
) -> ImportReport:
    """Fetch and import each day's Hugging Face daily papers, one transaction a day."""
    total = ImportReport()
    for day in days:
        report = ImportReport()
        bodies = list(fetch_daily_papers(fetcher, base_url, day))  # no lock held while fetching
        with storage.transaction():
            for body in bodies:
                report.add(
                    import_records(
                        storage=storage,
                        records=parse_daily_papers(body, day=day),
                        on_invalid=on_invalid,
                    )
                )
        on_day(day, report)
        total.add(report)
    return total
