"""Measure how many papers per second an OAI-PMH harvest parses and stores into SQLite.

Serves the real arXiv records of the shared archive, plus perturbed copies under new ids,
as ListRecords pages of 1,000 records (arXiv's page size) from a separate server process on
a loopback port; pages are rendered on demand, one ahead. Then runs the real harvest
(`services.arxiv.harvest_oai`, no delay between requests, no embeddings) into a fresh SQLite
file and prints papers/s overall and per slice of the stream, the harvester's resident memory
per slice, and how its time splits between fetching, parsing and storing.

    .venv/bin/python bench/ingest.py [--records 200000] [--slice 20000] [--without-fts]

To see where the time goes: py-spy record -o ingest.svg -- .venv/bin/python bench/ingest.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import httpx

from dailypapers.domain.harvests import HarvestState
from dailypapers.services.arxiv import harvest_oai
from dailypapers.services.importing import ImportReport
from dailypapers.sources.arxiv_oai import parse_list_records
from dailypapers.sources.http import PoliteFetcher, user_agent
from dailypapers.storage import open_storage
from dailypapers.storage.base import Storage

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = (
    REPO.parent / "shared/data/arxiv_daily/arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz"
)
PAGE_SIZE = 1000  # what export.arxiv.org/oai2 returns per ListRecords page
TARGET_PAPERS_PER_S = 2000
ARCHIVE_YEARS = (25, 26)  # all but 41 of the archive's ids are 25xx.xxxxx or 26xx.xxxxx
# Year shifts for the copies: the archive spans 25xx-26xx ids, so steps of two years never
# collide; going back stops at 15xx (five-digit numbers began in 1501), then goes forward.
YEAR_SHIFTS = (0, -2, -4, -6, -8, -10, *range(2, 74, 2))
OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
    '"http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
    "<responseDate>2026-07-02T00:00:00Z</responseDate>\n"
    '<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://127.0.0.1/oai2</request>\n'
    "<ListRecords>\n"
)
ARXIV_OPEN = (
    '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">\n'
)
LICENSE = "<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>"


# -- the OAI-PMH server (a separate process: it must not share the harvester's GIL) -------


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One archive record, its text already escaped for XML."""

    year: int  # the id's parts: 2503.11731 is year 25, month 03, number 11731
    month: str
    number: int
    created: date
    authors: tuple[tuple[str, str], ...]  # (keyname, forenames), escaped
    title: str
    categories: str
    comments: str | None
    abstract: str


def load_archive(path: Path) -> list[SourceRecord]:
    """Read the archive's JSON lines into records ready to render."""
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            paper_id: str = item["id"]
            authors = []
            for name in item["authors"]:
                forenames, _, keyname = name.strip().rpartition(" ")
                authors.append((escape(keyname), escape(forenames)))
            records.append(
                SourceRecord(
                    year=int(paper_id[:2]),
                    month=paper_id[2:4],
                    number=int(paper_id[5:]),
                    # Submitted the day before it was listed, as most papers are.
                    created=date.fromisoformat(item["listing_date"]) - timedelta(days=1),
                    authors=tuple(authors),
                    title=escape(item["title"]),
                    categories=escape(" ".join(item["categories"])),
                    comments=escape(item["comment"]) if item.get("comment") else None,
                    abstract=escape(item["summary"]),
                )
            )
    return records


class ArchiveStream:
    """The records to serve: the archive as it is, then copies of it under new ids."""

    def __init__(self, records: list[SourceRecord]) -> None:
        self.records = records
        self.capacity = len(records) * len(YEAR_SHIFTS)
        self.old_ids = frozenset(
            f"{r.year:02d}{r.month}.{r.number:05d}" for r in records if r.year not in ARCHIVE_YEARS
        )

    def record(self, index: int) -> str:
        """Render stream record `index`: archive record index % n, copy index // n.

        A copy moves the id and the dates by whole years, reverses the author list and marks
        the title, so every copy is a distinct paper with realistic text.
        """
        copy, base = divmod(index, len(self.records))
        record, shift = self.records[base], YEAR_SHIFTS[copy]
        paper_id = f"{record.year + shift:02d}{record.month}.{record.number:05d}"
        if copy and (record.year not in ARCHIVE_YEARS or paper_id in self.old_ids):
            # The 41 older cross-listed ids share years with the copies: move what could meet
            # them to numbers above any real one (the archive's highest is 32040).
            paper_id = f"{record.year + shift:02d}{record.month}.{record.number + 50_000}"
        return _render_record(record, paper_id, index, copy)

    def page(self, number: int, total: int) -> bytes:
        """Render ListRecords page `number` of a stream of `total` records."""
        start = number * PAGE_SIZE
        end = min(start + PAGE_SIZE, total)
        token = (
            f'<resumptionToken cursor="{start}" completeListSize="{total}">page-{number + 1}'
            "</resumptionToken>"
            if end < total
            else f'<resumptionToken cursor="{start}" completeListSize="{total}"/>'
        )
        body = "".join(self.record(index) for index in range(start, end))
        return f"{OAI_HEAD}{body}{token}\n</ListRecords>\n</OAI-PMH>\n".encode()


def _render_record(record: SourceRecord, paper_id: str, index: int, copy: int) -> str:
    created = _shift_years(record.created, YEAR_SHIFTS[copy])
    authors = record.authors[::-1] if copy % 2 else record.authors
    title = f"{record.title} (variant {copy})" if copy else record.title
    # A third of the papers have a later version, as in a real harvest.
    updated = created + timedelta(days=1 + index % 90) if index % 3 == 0 else None
    stamp = (updated or created).isoformat()
    parts = [
        f"<record>\n<header>\n <identifier>oai:arXiv.org:{paper_id}</identifier>\n"
        f" <datestamp>{stamp}</datestamp>\n <setSpec>cs</setSpec>\n</header>\n<metadata>\n",
        ARXIV_OPEN,
        f"<id>{paper_id}</id><created>{created.isoformat()}</created>",
        f"<updated>{updated.isoformat()}</updated>" if updated else "",
        "<authors>",
        *(
            f"<author><keyname>{keyname}</keyname><forenames>{forenames}</forenames></author>"
            if forenames
            else f"<author><keyname>{keyname}</keyname></author>"
            for keyname, forenames in authors
        ),
        f"</authors><title>{title}</title><categories>{record.categories}</categories>",
        f"<comments>{record.comments}</comments>" if record.comments else "",
        f"{LICENSE}<abstract>  {record.abstract}\n</abstract></arXiv>\n</metadata>\n</record>\n",
    ]
    return "".join(parts)


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def serve(archive: Path, total: int) -> None:
    """Serve the stream on a loopback port until killed; print the port once ready."""
    stream = ArchiveStream(load_archive(archive))
    if total > stream.capacity:
        raise SystemExit(f"error: the archive makes at most {stream.capacity:,} records")
    ahead = ThreadPoolExecutor(max_workers=1)
    pending: dict[int, Future[bytes]] = {}
    lock = threading.Lock()

    def page(number: int) -> bytes:
        with lock:
            future = pending.pop(number, None) or ahead.submit(stream.page, number, total)
            if (number + 1) * PAGE_SIZE < total:  # render the next page while this one travels
                pending.clear()
                pending[number + 1] = ahead.submit(stream.page, number + 1, total)
        return future.result()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a harvest over one client gets

        def do_GET(self) -> None:
            query = {key: values[-1] for key, values in parse_qs(urlsplit(self.path).query).items()}
            token = query.get("resumptionToken")
            if query.get("verb") != "ListRecords" or not (token or query.get("metadataPrefix")):
                return self.send_error(400, "only ListRecords is served")
            number = int(token.removeprefix("page-")) if token else 0
            body = page(number)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def oai_server(archive: Path, total: int) -> Iterator[str]:
    """Run the server process until the block ends; yield its ListRecords URL."""
    command = [sys.executable, __file__, "--serve", "--archive", str(archive)]
    server = subprocess.Popen(
        [*command, "--records", str(total)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()  # blocks until the archive is loaded
        if not port.isdigit():
            raise SystemExit(f"error: the OAI-PMH server did not start (exit {server.poll()})")
        yield f"http://127.0.0.1:{port}/oai2"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- the harvest, instrumented from outside ------------------------------------------------


class TimedFetcher(PoliteFetcher):
    """A fetcher that adds up the seconds spent waiting for pages."""

    seconds = 0.0  # an instance attribute from the first get() on

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET as usual, timing the wait."""
        started = time.perf_counter()
        try:
            return super().get(url, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


class TimedStorage:
    """Storage that adds up the seconds spent inside transactions: the storing."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.seconds = 0.0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Open the wrapped storage's transaction, timing it with its commit."""
        started = time.perf_counter()
        try:
            with self.storage.transaction():
                yield
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the harvest stood at a slice boundary: totals from its start."""

    records: int
    seconds: float
    cpu_s: float
    fetch_s: float
    store_s: float
    rss_mb: float

    def __sub__(self, other: Mark) -> Mark:
        return Mark(
            self.records - other.records,
            self.seconds - other.seconds,
            self.cpu_s - other.cpu_s,
            self.fetch_s - other.fetch_s,
            self.store_s - other.store_s,
            self.rss_mb,
        )


@dataclass
class Run:
    """What one harvest measured: a mark per slice (the first at the start), peak memory."""

    marks: list[Mark] = field(default_factory=list)
    rss_peak_mb: float = 0.0
    report: ImportReport = field(default_factory=ImportReport)

    @property
    def total(self) -> Mark:
        """Return the whole harvest as one slice."""
        return self.marks[-1] - self.marks[0]

    @property
    def slices(self) -> list[Mark]:
        """Return each slice's own figures."""
        return [later - earlier for earlier, later in pairwise(self.marks)]


def memory_mb(key: str) -> float:
    """Return a line of /proc/self/status in MB (VmRSS now, VmHWM peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def harvest(url: str, database: Path, slice_size: int, *, fts: bool) -> Run:
    """Harvest the whole stream into a new SQLite file, marking every slice."""
    storage = open_storage(f"sqlite:///{database}")
    if not fts:
        drop_search_triggers(database)
    timed = TimedStorage(storage)
    client = httpx.Client(timeout=60, headers={"User-Agent": user_agent()})
    fetcher = TimedFetcher(client, delay_s=0.0)
    run = Run()

    def mark(records: int) -> None:
        now, cpu, rss = time.perf_counter(), time.process_time(), memory_mb("VmRSS")
        run.marks.append(Mark(records, now, cpu, fetcher.seconds, timed.seconds, rss))

    def on_page(state: HarvestState, report: ImportReport) -> None:
        if state.records - run.marks[-1].records < slice_size and not state.finished:
            return
        mark(state.records)
        last = run.marks[-1] - run.marks[-2]
        progress = f"{last.records / last.seconds:,.0f} papers/s, RSS {last.rss_mb:.0f} MB"
        print(f"  {state.records:>9,} records: {progress}", file=sys.stderr, flush=True)

    mark(0)
    with client:
        outcome = harvest_oai(
            storage=timed,  # a proxy: __getattr__ hands on all but transaction()
            fetcher=fetcher,
            oai_url=url,
            metadata_prefix="arXiv",
            set_spec="cs",
            from_day=None,
            until_day=None,
            now=lambda: datetime.now(UTC),
            on_invalid=lambda problem: None,
            on_page=on_page,
        )
    run.rss_peak_mb, run.report = memory_mb("VmHWM"), outcome.report
    stored = storage.count_papers()
    storage.close()
    if stored != outcome.state.records or outcome.report.added != stored:
        raise SystemExit(f"error: {outcome.state.records} records harvested, {stored} stored")
    return run


def drop_search_triggers(database: Path) -> None:
    """Drop the full-text index triggers, to show what keeping the index costs."""
    with sqlite3.connect(database) as connection:
        names = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers'"
        ).fetchall()
        for (name,) in names:
            connection.execute(f"DROP TRIGGER {name}")


def parse_only(url: str, pages: int) -> tuple[int, float]:
    """Fetch some pages, then time parsing them alone; return records and CPU seconds."""
    bodies = []
    with httpx.Client(timeout=60) as client:
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "arXiv"}
        for _ in range(pages):
            bodies.append(client.get(url, params=params).content)
            params = {"verb": "ListRecords", "resumptionToken": f"page-{len(bodies)}"}
    started = time.process_time()
    records = sum(len(parse_list_records(body).items) for body in bodies)
    return records, time.process_time() - started


# -- the report -------------------------------------------------------------------------


def print_report(run: Run, database: Path, parsed: tuple[int, float]) -> None:
    """Print the figures as Markdown tables."""
    total, target = run.total, TARGET_PAPERS_PER_S
    rate = total.records / total.seconds
    print(
        f"\n{total.records:,} records in {total.seconds:.1f} s: **{rate:,.0f} papers/s**"
        f" (target {target:,}: {'met' if rate >= target else 'MISSED'})"
    )
    print(f"{run.report.summary()}; database {database.stat().st_size / 2**20:,.0f} MB")
    print(
        f"harvester CPU {total.cpu_s:.1f} s, {total.cpu_s / total.seconds:.0%} of wall time:"
        f" {total.records / total.cpu_s:,.0f} papers per CPU second (what a free core would give)"
    )
    print("\n| records | papers/s | papers/CPU s | RSS MB | fetch s | parse s | store s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for start, part in zip(run.marks[:-1], run.slices, strict=True):
        parse = part.seconds - part.fetch_s - part.store_s
        print(
            f"| {start.records + 1:,}-{start.records + part.records:,}"
            f" | {part.records / part.seconds:,.0f} | {part.records / part.cpu_s:,.0f}"
            f" | {part.rss_mb:.0f} | {part.fetch_s:.1f} | {parse:.1f} | {part.store_s:.1f} |"
        )
    rates = [part.records / part.seconds for part in run.slices]
    cpu_rates = [part.records / part.cpu_s for part in run.slices]
    rss = [part.rss_mb for part in run.slices]
    print(
        f"\nslices: papers/s {min(rates):,.0f}-{max(rates):,.0f}, per CPU second"
        f" {min(cpu_rates):,.0f}-{max(cpu_rates):,.0f} (second half / first half of the"
        f" stream: {_halves(run.slices):.2f});"
        f" RSS {run.marks[0].rss_mb:.0f} MB before, {min(rss):.0f}-{max(rss):.0f} MB per slice,"
        f" peak {run.rss_peak_mb:.0f} MB"
    )
    parse_s = total.seconds - total.fetch_s - total.store_s
    print("\n| part | seconds | share | papers/s alone |")
    print("| --- | ---: | ---: | ---: |")
    parts = {"fetch (HTTP, loopback)": total.fetch_s, "parse (XML to records)": parse_s}
    for name, seconds in {**parts, "store (merge, SQL, commit)": total.store_s}.items():
        share = f"{seconds / total.seconds:.0%}"
        print(f"| {name} | {seconds:.1f} | {share} | {total.records / seconds:,.0f} |")
    records, seconds = parsed
    if records:
        print(f"\nparse only, {records:,} records again: {records / seconds:,.0f} papers/CPU s")


def _halves(slices: list[Mark]) -> float:
    """Return papers per CPU second over the stream's second half relative to its first."""
    middle = len(slices) // 2
    first, second = slices[:middle] or slices, slices[middle:]
    rate = [sum(s.records for s in part) / sum(s.cpu_s for s in part) for part in (first, second)]
    return rate[1] / rate[0]


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    """Serve the stream, harvest it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="stream length")
    parser.add_argument("--slice", type=int, default=20_000, help="records per reported slice")
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--parse-pages", type=int, default=20, help="pages for the parse-only pass")
    parser.add_argument(
        "--without-fts", action="store_true", help="drop the full-text triggers (diagnosis only)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.archive, args.records)
        return
    if not args.archive.exists():
        raise SystemExit(f"error: no archive at {args.archive}")
    if args.records < PAGE_SIZE:
        raise SystemExit(f"error: --records must be at least {PAGE_SIZE:,}")
    print(
        f"{platform.python_implementation()} {platform.python_version()}, SQLite"
        f" {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load {_load()}\n{args.records:,}"
        f" records in pages of {PAGE_SIZE:,} from {args.archive.name}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder, oai_server(args.archive, args.records) as url:
        database = Path(folder) / "ingest.db"
        run = harvest(url, database, args.slice, fts=not args.without_fts)
        parsed = parse_only(url, min(args.parse_pages, args.records // PAGE_SIZE))
        print_report(run, database, parsed)
    print(f"\nload at the end {_load()}")


if __name__ == "__main__":
    main()
