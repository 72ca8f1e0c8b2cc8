"""Pull papers from live sources into storage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

from dailypapers.domain.papers import PaperRecord
from dailypapers.services.avatars import fetch_avatars
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
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ImportReport:
    """Fetch and import each day's Hugging Face daily papers, one transaction a day."""
    total = ImportReport()
    for day in days:
        report = ImportReport()
        bodies = list(fetch_daily_papers(fetcher, base_url, day))  # no lock held while fetching
        records = [record for body in bodies for record in parse_daily_papers(body, day=day)]
        with storage.transaction():
            report.add(import_records(storage=storage, records=records, on_invalid=on_invalid))
        _store_new_avatars(storage, fetcher, records, base_url, now())
        on_day(day, report)
        total.add(report)
    return total


def _store_new_avatars(
    storage: Storage,
    fetcher: PoliteFetcher,
    records: Sequence[PaperRecord | InvalidRecord],
    base_url: str,
    now: datetime,
) -> None:
    """Fetch the avatars of the records' organizations that have none stored yet.

    Pages show avatars from this site only, so each is fetched once, here, with no
    lock held while fetching.
    """
    names = sorted(
        {r.organization.name for r in records if isinstance(r, PaperRecord) and r.organization}
    )
    missing = storage.organizations_without_avatar(names)
    avatars = fetch_avatars(fetcher=fetcher, organizations=missing, base_url=base_url, now=now)
    if avatars:
        with storage.transaction():
            for avatar in avatars:
                storage.save_avatar(avatar)
