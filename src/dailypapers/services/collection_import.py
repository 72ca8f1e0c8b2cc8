"""Fill a collection from a BibTeX or RIS file: match arXiv papers, fetch those not stored.

Entries whose arXiv id is known are added at once; ids this site has not stored are asked of
the arXiv API (one request per 50, politely spaced by the fetcher) before any write, so no
write lock waits on arXiv; entries without an arXiv id are reported back, by title, and so
are the ids arXiv did not know or could not be asked for (the rest is imported all the same).
A paper added brings its entry's note (BibTeX annote, RIS N1), so an export imports whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dailypapers.domain.collections import MAX_NOTE_LENGTH
from dailypapers.domain.papers import Paper, PaperRecord
from dailypapers.services.citation_formats import UnreadableFile, read_citations
from dailypapers.services.collections import (
    find_default_collection,
    owned_collection,
    save_stored_papers,
)
from dailypapers.services.errors import InvalidInput
from dailypapers.sources import arxiv_api
from dailypapers.sources.arxiv_api import ArxivApiError
from dailypapers.sources.http import FetchError, PoliteFetcher
from dailypapers.storage.base import Storage

MAX_ENTRIES = 1000
IDS_PER_REQUEST = 50
MAX_FILE_BYTES = 5_000_000


@dataclass(slots=True)
class ImportReport:
    """What an import did: papers added (of them fetched from arXiv), and what it could not use."""

    added: list[str] = field(default_factory=list)  # new to the collection
    already_there: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    without_arxiv_id: list[str] = field(default_factory=list)  # entry titles
    not_on_arxiv: list[str] = field(default_factory=list)  # ids arXiv did not know
    not_fetched: list[str] = field(default_factory=list)  # ids arXiv could not be asked for
    arxiv_error: str = ""  # why they could not be

    def summary(self) -> str:
        """Return one sentence for the member."""
        parts = [f"{len(self.added)} paper(s) added ({len(self.fetched)} fetched from arXiv)"]
        if self.already_there:
            parts.append(f"{len(self.already_there)} already in the collection")
        if self.without_arxiv_id:
            parts.append(f"{len(self.without_arxiv_id)} entr(ies) without an arXiv id")
        if self.not_on_arxiv:
            parts.append(f"{len(self.not_on_arxiv)} id(s) arXiv does not know")
        if self.not_fetched:
            parts.append(f"{len(self.not_fetched)} id(s) not fetched: arXiv could not be asked")
        return "; ".join(parts)


def decode_upload(content: bytes) -> str:
    """Return an uploaded file's text; refuse one too large or not text."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is not text")  # pragma: no cover - latin-1 decodes anything


def fetch_unknown(
    *, fetcher: PoliteFetcher, api_url: str, paper_ids: list[str]
) -> tuple[dict[str, Paper], list[str], str]:
    """Ask arXiv for these papers; return those it knows by id, the ids it could not be
    asked for (a request failed: the batches before it still count), and why."""
    found: dict[str, Paper] = {}
    for start in range(0, len(paper_ids), IDS_PER_REQUEST):
        batch = paper_ids[start : start + IDS_PER_REQUEST]
        params = arxiv_api.search_params(ids=batch, size=len(batch))
        try:
            page = arxiv_api.fetch_page(fetcher, api_url, params)
        except (FetchError, ArxivApiError) as error:
            return found, paper_ids[start:], str(error)
        for record in page.records:
            if isinstance(record, PaperRecord) and record.paper.id in batch:
                found[record.paper.id] = record.paper
    return found, [], ""


def import_citations(
    *,
    storage: Storage,
    user_id: int,
    collection_id: int | None,
    text: str,
    filename: str,
    fetcher: PoliteFetcher | None,
    api_url: str,
    now: datetime,
) -> ImportReport:
    """Add the arXiv papers a BibTeX or RIS file cites to the member's collection."""
    target = (
        owned_collection(storage=storage, collection_id=collection_id, user_id=user_id)
        if collection_id is not None
        else find_default_collection(storage=storage, user_id=user_id)  # None: empty
    )
    try:
        entries = read_citations(text, filename=filename)
    except UnreadableFile as error:
        raise InvalidInput(f"{filename or 'the file'}: {error}") from None
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput(f"import at most {MAX_ENTRIES} entries at a time")
    report = ImportReport()
    wanted = list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))
    report.without_arxiv_id = [e.label for e in entries if not e.arxiv_id]
    stored = storage.get_papers(wanted)
    missing = [paper_id for paper_id in wanted if paper_id not in stored]
    fetched: dict[str, Paper] = {}
    if missing and fetcher is None:
        report.not_fetched, report.arxiv_error = missing, "this site does not ask arXiv"
    elif missing and fetcher is not None:  # what the site has counts even if arXiv is down
        fetched, report.not_fetched, report.arxiv_error = fetch_unknown(
            fetcher=fetcher, api_url=api_url, paper_ids=missing
        )
    asked = [paper_id for paper_id in missing if paper_id not in report.not_fetched]
    report.not_on_arxiv = [paper_id for paper_id in asked if paper_id not in fetched]
    found = [paper_id for paper_id in wanted if paper_id in stored or paper_id in fetched]
    held = {item.paper_id for item in storage.collection_items(target.id)} if target else set()
    report.already_there = [paper_id for paper_id in found if paper_id in held]
    report.added = [paper_id for paper_id in found if paper_id not in held]
    with storage.transaction():
        if fetched:
            storage.save_papers(list(fetched.values()))
        if report.added:  # the collection is looked up, and the model marked, once
            collection = save_stored_papers(
                storage=storage,
                user_id=user_id,
                collection_id=collection_id,
                paper_ids=report.added,
                now=now,
            )
            notes = {e.arxiv_id: e.note.strip() for e in entries if e.arxiv_id and e.note.strip()}
            for paper_id in report.added:  # the papers added bring their notes along
                if notes.get(paper_id):
                    storage.add_to_collection(
                        collection_id=collection.id,
                        paper_id=paper_id,
                        note=notes[paper_id][:MAX_NOTE_LENGTH],
                        now=now,
                    )
    report.fetched = [paper_id for paper_id in wanted if paper_id in fetched]
    return report
