"""Import papers from files and sources into storage, idempotently."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from dailypapers.domain.papers import PaperRecord, merge_entry, merge_paper
from dailypapers.sources.arxiv_jsonl import parse_jsonl
from dailypapers.sources.hf_daily import parse_daily_papers
from dailypapers.sources.records import GZIP_ERRORS, InvalidRecord
from dailypapers.storage.base import Storage

_BATCH = 1000
_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
IMPORTABLE_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz")


class InvalidFile(Exception):
    """A file holds a record that cannot be imported; nothing of it was written."""

    def __init__(self, path: Path, problem: InvalidRecord) -> None:
        super().__init__(f"{path}: {problem.describe()}")
        self.path = path
        self.problem = problem


@dataclass
class ImportReport:
    """What an import did: papers added, updated and unchanged, records skipped."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[InvalidRecord] = field(default_factory=list)
    not_here: int = 0  # records of papers the site lacks, left out by an update-only import

    def add(self, other: ImportReport) -> None:
        """Fold another report into this one."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped.extend(other.skipped)
        self.not_here += other.not_here

    def summary(self) -> str:
        """Return the counts in one line."""
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged,"
            f" {len(self.skipped)} skipped"
        )
        return text + (f", {self.not_here} not on this site" if self.not_here else "")


def import_records(
    *,
    storage: Storage,
    records: Iterable[PaperRecord | InvalidRecord],
    on_invalid: Callable[[InvalidRecord], None],
    progress: Callable[[int], None] = lambda count: None,
    only_known: bool = False,
) -> ImportReport:
    """Merge records into storage in batches; hand each invalid one to `on_invalid`.

    With `only_known`, only papers already stored are updated (an arXiv file fills in the
    categories of papers first met on Hugging Face): nothing is added, no day is featured.
    """
    report = ImportReport()
    iterator = iter(records)
    while batch := list(islice(iterator, _BATCH)):
        valid = []
        for item in batch:
            if isinstance(item, InvalidRecord):
                on_invalid(item)
                report.skipped.append(item)
            else:
                valid.append(item)
        _store_batch(storage, _latest_per_paper(valid), report, only_known=only_known)
        progress(len(batch))
    return report


def import_file(
    *,
    storage: Storage,
    path: Path,
    skip_invalid: bool = False,
    progress: Callable[[int], None] = lambda count: None,
    read: Callable[[int], None] = lambda size: None,
    only_known: bool = False,
) -> ImportReport:
    """Import one file; raise InvalidFile on the first bad record unless skipping.

    `progress` hears of each batch of records stored, `read` of each run of the file's
    bytes read (on disk, so compressed for .gz), which a progress bar can measure.
    The caller wraps this in a transaction, so a raised error leaves nothing written.
    """

    def refuse(problem: InvalidRecord) -> None:
        if not skip_invalid or problem.location == "file":
            raise InvalidFile(path, problem)

    return import_records(
        storage=storage,
        records=read_records(path, read=read),
        on_invalid=refuse,
        progress=progress,
        only_known=only_known,
    )


class _CountingReader(io.RawIOBase):
    """A file that tells how many bytes each read took from the disk."""

    def __init__(self, raw: io.RawIOBase, on_read: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_read = on_read

    def readable(self) -> bool:
        """Say that this file can be read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into the buffer from the file below, and report how much."""
        count = self._raw.readinto(buffer)
        self._on_read(count or 0)
        return count or 0


def read_records(
    path: Path, *, read: Callable[[int], None] = lambda size: None
) -> Iterator[PaperRecord | InvalidRecord]:
    """Parse a file by its kind: a daily_papers JSON document or JSON Lines."""
    name = path.name.lower()
    match = _DAY_IN_NAME.search(name)
    day = date.fromisoformat(match[1]) if match and _is_date(match[1]) else None
    if name.endswith((".jsonl", ".jsonl.gz")):
        lines_read = 0
        try:
            with open(path, "rb", buffering=0) as raw:
                counted = io.BufferedReader(_CountingReader(raw, read))
                lines = gzip.GzipFile(fileobj=counted) if name.endswith(".gz") else counted
                for item in parse_jsonl(lines, day=day):
                    lines_read += 1
                    yield item
        except GZIP_ERRORS as error:
            # A damaged stream is the whole file's fault, even when --skip-invalid is given.
            yield InvalidRecord(
                "file", None, f"not a readable gzip file after {lines_read:,} records: {error}"
            )
    else:
        data = path.read_bytes()
        read(len(data))
        yield from parse_daily_papers(data, day=day)


def find_importable_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the importable files they hold; refuse unknown kinds."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.name.lower().endswith(IMPORTABLE_SUFFIXES))
            )
        elif not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        elif not path.name.lower().endswith(IMPORTABLE_SUFFIXES):
            raise ValueError(f"{path}: expected {', '.join(IMPORTABLE_SUFFIXES)}")
        else:
            found.append(path)
    return found


def _latest_per_paper(records: list[PaperRecord]) -> list[PaperRecord]:
    """Fold duplicates within a batch so each paper is written once."""
    by_id: dict[str, PaperRecord] = {}
    for record in records:
        previous = by_id.get(record.paper.id)
        if previous is None:
            by_id[record.paper.id] = record
            continue
        entry = previous.entry
        if record.entry is not None:
            entry = merge_entry(previous.entry, record.entry)
        by_id[record.paper.id] = PaperRecord(
            merge_paper(previous.paper, record.paper),
            entry,
            record.organization or previous.organization,
        )
    return list(by_id.values())


def _store_batch(
    storage: Storage, records: list[PaperRecord], report: ImportReport, *, only_known: bool
) -> None:
    ids = [record.paper.id for record in records]
    stored_papers = storage.get_papers(ids)
    if only_known:
        known = [record for record in records if record.paper.id in stored_papers]
        report.not_here += len(records) - len(known)
        # Only the papers' metadata: their featured days and organizations stay as they are.
        records = [PaperRecord(record.paper) for record in known]
        ids = [record.paper.id for record in records]
    stored_entries = storage.get_entries(ids)
    papers, entries, organizations = [], [], {}
    for record in records:
        stored = stored_papers.get(record.paper.id)
        merged = merge_paper(stored, record.paper)
        entry = stored_entries.get(record.paper.id)
        new_entry = merge_entry(entry, record.entry) if record.entry else entry
        if stored is None:
            report.added += 1
        elif merged != stored or new_entry != entry:
            report.updated += 1
        else:
            report.unchanged += 1
        if merged != stored:
            papers.append(merged)
        if new_entry is not None and new_entry != entry:
            entries.append(new_entry)
        if record.organization:
            organizations[record.organization.name] = record.organization
    storage.save_organizations(list(organizations.values()))
    storage.save_papers(papers)
    storage.save_entries(entries)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
