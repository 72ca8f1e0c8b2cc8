"""Fill the site from arXiv: daily pulls, bulk harvests and single submissions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.papers import PaperRecord
from dailypapers.services.importing import ImportReport, import_records
from dailypapers.sources import arxiv_api, arxiv_oai
from dailypapers.sources.http import PoliteFetcher
from dailypapers.sources.records import InvalidRecord
from dailypapers.storage.base import Storage

OnInvalid = Callable[[InvalidRecord], None]
FIRST_PULL_DAYS = 7


class PaperNotFound(Exception):
    """arXiv has no paper with the id asked for."""


def pull_arxiv_listing(
    *,
    storage: Storage,
    fetcher: PoliteFetcher,
    api_url: str,
    categories: Sequence[str],
    since: date,
    stop_at_known: bool,
    page_size: int,
    on_invalid: OnInvalid,
    on_page: Callable[[ImportReport], None] = lambda report: None,
) -> ImportReport:
    """Pull the categories' newest and updated papers, page by page, newest first.

    Sorted by last update, so new versions come back too. Stops at the `since` day
    and, with `stop_at_known`, at the first page that brings nothing new. Each page
    is stored in its own transaction: a failure keeps the pages already pulled.
    """
    query = " OR ".join(f"cat:{category}" for category in categories)
    total, start = ImportReport(), 0
    while True:
        params = arxiv_api.search_params(
            query=query, start=start, size=page_size, sort_by="lastUpdatedDate"
        )
        page = arxiv_api.fetch_page(fetcher, api_url, params)
        records = [item for item in page.records if isinstance(item, PaperRecord)]
        recent = [record for record in records if _updated_day(record) >= since]
        invalid = [item for item in page.records if isinstance(item, InvalidRecord)]
        with storage.transaction():
            report = import_records(
                storage=storage, records=[*recent, *invalid], on_invalid=on_invalid
            )
        on_page(report)
        total.add(report)
        start += len(page.records)
        reached_since = len(recent) < len(records)
        nothing_new = stop_at_known and report.added + report.updated == 0
        if not page.records or reached_since or nothing_new or start >= page.total:
            return total


def pull_categories(
    *,
    storage: Storage,
    fetcher: PoliteFetcher,
    api_url: str,
    categories: Sequence[str],
    since: date | None,
    page_size: int,
    now: Callable[[], datetime],
    on_invalid: OnInvalid,
    on_page: Callable[[ImportReport], None] = lambda report: None,
) -> ImportReport:
    """Pull the categories back to the day asked for, or else until papers already stored.

    Without a day the pull also stops a day before the last pull of these categories
    (a first pull: FIRST_PULL_DAYS back), so it never walks through all of arXiv.
    """
    name = f"arxiv-api {' '.join(sorted(categories))}"
    state = storage.get_harvest_state(name)
    bound = since
    if bound is None:
        last = state.updated_at.date() if state else now().date() - timedelta(FIRST_PULL_DAYS)
        bound = last - timedelta(days=1)  # a day of overlap: updates land late
    started = now()
    report = pull_arxiv_listing(
        storage=storage,
        fetcher=fetcher,
        api_url=api_url,
        categories=categories,
        since=bound,
        stop_at_known=since is None,
        page_size=page_size,
        on_invalid=on_invalid,
        on_page=on_page,
    )
    records = report.added + report.updated + report.unchanged + len(report.skipped)
    with storage.transaction():
        storage.save_harvest_state(
            HarvestState(
                name,
                None,
                (state.pages if state else 0) + 1,
                (state.records if state else 0) + records,
                state.started_at if state else started,
                now(),
                now(),
            )
        )
    return report


def _updated_day(record: PaperRecord) -> date:
    moment = record.paper.updated_at or record.paper.published_at
    return moment.date() if moment else date.max


def harvest_name(
    *, metadata_prefix: str, set_spec: str | None, from_day: date | None, until_day: date | None
) -> str:
    """Name a harvest by what it asks for, so the same command resumes the same harvest."""
    return (
        f"oai-pmh {metadata_prefix} set={set_spec or '*'}"
        f" from={from_day or '*'} until={until_day or '*'}"
    )


@dataclass(frozen=True, slots=True)
class HarvestOutcome:
    """What a harvest run did: its state at the end and the records it stored."""

    state: HarvestState
    report: ImportReport
    resumed: bool
    withdrawn: int


def harvest_oai(
    *,
    storage: Storage,
    fetcher: PoliteFetcher,
    oai_url: str,
    metadata_prefix: str,
    set_spec: str | None,
    from_day: date | None,
    until_day: date | None,
    now: Callable[[], datetime],
    on_invalid: OnInvalid,
    on_page: Callable[[HarvestState, ImportReport], None] = lambda state, report: None,
) -> HarvestOutcome:
    """Harvest ListRecords page by page, resuming an unfinished harvest of the same name.

    Each page's papers and the cursor to the next page are written in one
    transaction, so a harvest killed at any moment resumes without gaps or repeats.
    """
    name = harvest_name(
        metadata_prefix=metadata_prefix, set_spec=set_spec, from_day=from_day, until_day=until_day
    )
    state = storage.get_harvest_state(name)
    resumed = state is not None and not state.finished and state.cursor is not None
    if state is None or not resumed:
        state = HarvestState(name, None, 0, 0, now(), now())
    total, withdrawn = ImportReport(), 0
    while True:
        params = arxiv_oai.list_records_params(
            token=state.cursor,
            metadata_prefix=metadata_prefix,
            set_spec=set_spec,
            from_day=from_day,
            until_day=until_day,
        )
        page = arxiv_oai.fetch_list_records(fetcher, oai_url, params)
        with storage.transaction():
            report = import_records(
                storage=storage,
                records=[item for item in page.items if not isinstance(item, arxiv_oai.Deletion)],
                on_invalid=on_invalid,
            )
            withdrawn += mark_withdrawn(
                storage,
                [item.paper_id for item in page.items if isinstance(item, arxiv_oai.Deletion)],
            )
            state = replace(
                state,
                cursor=page.resumption_token,
                pages=state.pages + 1,
                records=state.records + len(page.items),
                updated_at=now(),
                finished_at=None if page.resumption_token else now(),
            )
            storage.save_harvest_state(state)
        on_page(state, report)
        total.add(report)
        if state.finished:
            return HarvestOutcome(state, total, resumed, withdrawn)


def mark_withdrawn(storage: Storage, paper_ids: Sequence[str]) -> int:
    """Mark the stored papers among these ids as withdrawn; return how many changed."""
    papers = storage.get_papers(paper_ids)
    changed = [replace(paper, withdrawn=True) for paper in papers.values() if not paper.withdrawn]
    storage.save_papers(changed)
    return len(changed)
