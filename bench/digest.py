"""Measure composing and delivering one daily digest to 100,000 readers through a local SMTP sink.

Builds (once, then reuses) a SQLite database of the 84k real papers (the Hugging Face archive
and the arXiv listings), copies it, adds 100,000 confirmed subscribers whose topics are drawn
from the papers (categories, authors, organizations, saved searches), and starts an aiosmtpd
sink in a process of its own. Then it composes the busiest day's digests into the outbox and
sends them with sender processes that share the outbox through row leases, as workers do.
It prints the time and memory of each stage, and checks that every reader got one message.

    .venv/bin/python bench/digest.py [--subscribers 100000] [--senders 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dailypapers.domain.periods import PeriodKind, period_containing
from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Subscriber,
    SubscriberStatus,
    Topics,
)
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.digests import compose_digests
from dailypapers.services.outbox import deliver_outbox, worker_name
from dailypapers.services.subscriptions import links_for
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import open_storage

REPO = Path(__file__).resolve().parent.parent
ARCHIVES = (
    REPO.parent / "shared/data/hf_daily_papers/hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz",
    REPO.parent / "shared/data/arxiv_daily/arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz",
)
TARGET_SECONDS = 300.0
SEARCHES = (
    "diffusion models", "large language models", "reinforcement learning", "benchmark",
    "vision transformer", "retrieval augmented generation", "reasoning", "agents",
    "graph neural networks", "speech recognition", "3D gaussian splatting", "robot",
    "medical imaging", "code generation", "mixture of experts", "quantization",
)  # fmt: skip
SECRET = "bench-secret-key-that-is-long-enough-to-be-accepted"


def rss_mb() -> float:
    """Return this process's resident memory now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# -- the database -------------------------------------------------------------------------


def papers_database(work: Path) -> Path:
    """Import the archives once into work/papers.db; return its path."""
    path = work / "papers.db"
    if path.exists():
        return path
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "dailypapers", "import", *map(str, ARCHIVES)],
        env={**os.environ, "DAILYPAPERS_DATABASE_URL": f"sqlite:///{path}"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"papers database built in {time.monotonic() - started:.0f} s")
    return path


def busiest_day(path: Path) -> tuple[date, int, int]:
    """Return the weekday with the most featured papers, how many, and how many papers in all."""
    with sqlite3.connect(path) as connection:
        day, count = connection.execute(
            "SELECT day, COUNT(*) FROM daily_entries WHERE strftime('%w', day) NOT IN ('0', '6')"
            " GROUP BY day ORDER BY COUNT(*) DESC, day DESC LIMIT 1"
        ).fetchone()
        total = connection.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    return date.fromisoformat(day), count, total


def topic_pools(url: str, day: date) -> dict[str, list[str]]:
    """Return names to draw topics from: the day's own (so some match) and others."""
    storage = open_storage(url)
    try:
        period = period_containing(PeriodKind.DAY, day)
        ids = [item.paper_id for item in storage.rankables(start=period.start, end=period.end)]
        papers = storage.featured_papers(ids)
        week = period_containing(PeriodKind.WEEK, day - timedelta(days=30))
        others = storage.featured_papers(
            [item.paper_id for item in storage.rankables(start=week.start, end=week.end)]
        )
    finally:
        storage.close()
    categories = Counter(c for item in papers + others for c in item.paper.categories)
    return {
        "categories": [name for name, _ in categories.most_common(40)] + ["cs", "eess", "stat"],
        "authors": sorted({name for item in papers + others for name in item.paper.authors[:3]}),
        "organizations": sorted(
            {
                item.entry.organization
                for item in papers + others
                if item.entry and item.entry.organization
            }
        ),
    }


def add_subscribers(url: str, count: int, pools: dict[str, list[str]], now: datetime) -> None:
    """Add `count` confirmed daily readers with varied, seeded choices."""
    rng = random.Random(6)
    storage = open_storage(url)

    def some(pool: list[str], chance: float, most: int) -> tuple[str, ...]:
        """Return a few of the pool, or none, by chance."""
        if not pool or rng.random() >= chance:
            return ()
        return tuple(rng.sample(pool, rng.randint(1, min(most, len(pool)))))

    try:
        with storage.transaction():
            for n in range(count):
                topics = Topics(
                    categories=some(pools["categories"], 0.6, 3),
                    authors=some(pools["authors"], 0.3, 3),
                    organizations=some(pools["organizations"], 0.2, 2),
                    queries=some(list(SEARCHES), 0.25, 2),
                )
                preferences = Preferences(Frequency.DAILY, rng.randint(1, 15), topics)
                storage.save_subscriber(
                    Subscriber(
                        None,
                        f"reader{n:06d}+digest@example.org",
                        SubscriberStatus.CONFIRMED,
                        preferences,
                        now,
                        now,
                    )
                )
    finally:
        storage.close()


# -- the SMTP sink, in a process of its own ---------------------------------------------------


def run_sink(port: int, ready: Any, stop: Any, results: Any) -> None:
    """Accept mail on the port and count it, until told to stop; then report."""
    from aiosmtpd.smtp import SMTP

    received: Counter[str] = Counter()
    message_ids: set[bytes] = set()
    size = [0]

    class Sink:
        """Count what arrives; keep nothing else."""

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            """Count the message, its recipient and its Message-ID."""
            content: bytes = envelope.content
            start = content.find(b"\r\nMessage-ID: ")
            message_ids.add(content[start : content.find(b"\r\n", start + 2)])
            for recipient in envelope.rcpt_tos:
                received[recipient] += 1
            size[0] += len(content)
            return "250 OK"

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(Sink(), hostname="sink.test"), "127.0.0.1", port)
    )

    def wait_for_stop() -> None:
        """Stop the loop when the parent says so."""
        stop.wait()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=wait_for_stop, daemon=True).start()
    ready.set()
    loop.run_forever()
    server.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(
        {
            "messages": sum(received.values()),
            "readers": len(received),
            "repeated": sum(1 for count in received.values() if count > 1),
            "message_ids": len(message_ids),
            "bytes": size[0],
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1000,
        }
    )


# -- senders, as worker processes ---------------------------------------------------------------


def run_sender(url: str, settings: Settings, composed: Any, results: Any) -> None:
    """Send from the outbox while digests are composed, until all are composed and sent."""
    storage = open_storage(url)
    first_rss: list[float] = []
    sent = 0

    def note(count: int) -> None:
        """Note the memory at the first message sent."""
        if not first_rss:
            first_rss.append(rss_mb())

    with SmtpSender(settings) as sender:
        while True:
            done = composed.is_set()  # read before sending: a later batch may land meanwhile
            report = deliver_outbox(
                storage=storage,
                sender=sender,
                settings=settings,
                owner=worker_name(),
                clock=lambda: datetime.now(UTC),
                on_sent=note,
            )
            sent += report.sent
            if report.server_error:
                raise SystemExit(report.server_error)
            if done and report.sent == 0:
                break
            if report.sent == 0:
                time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(
        {
            "sent": sent,
            "rss_first_mb": first_rss[0] if first_rss else 0.0,
            "rss_last_mb": rss_mb(),
            "peak_rss_mb": usage.ru_maxrss / 1000,
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    )
    storage.close()


def free_port() -> int:
    """Return a loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=2, help="sender processes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dailypapers-bench-digest"))
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")

    papers = papers_database(options.work)
    day, featured, total = busiest_day(papers)
    database = options.work / "digest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(papers, database)
    url = f"sqlite:///{database}"
    now = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    print(
        f"{platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} cores; {total:,} papers; digest of {day} ({featured} papers)"
    )

    started = time.monotonic()
    add_subscribers(url, options.subscribers, topic_pools(url, day), now)
    print(f"subscribers: {options.subscribers:,} added in {time.monotonic() - started:.1f} s")

    port = free_port()
    ready, stop, sink_results = context.Event(), context.Event(), context.Queue()
    sink = context.Process(target=run_sink, args=(port, ready, stop, sink_results))
    sink.start()
    ready.wait(30)
    settings = Settings(
        database_url=url,
        secret_key=SECRET,
        public_url="https://papers.example.org",
        mail_from="Daily Papers <papers@example.org>",
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_batch_size=200,
    )

    # Senders start with the composer, as worker processes do: they send each batch of
    # digests as soon as it is committed to the outbox.
    composed, sender_results = context.Event(), context.Queue()
    senders = [
        context.Process(target=run_sender, args=(url, settings, composed, sender_results))
        for _ in range(options.senders)
    ]
    began, cpu = time.monotonic(), time.process_time()
    for process in senders:
        process.start()
    storage = open_storage(url)
    rss_by_batch: list[float] = []
    report = compose_digests(
        storage=storage,
        settings=settings,
        links=links_for(settings, load_secret_key(settings)),
        period=period_containing(PeriodKind.DAY, day),
        now=now,
        owner=worker_name(),
        on_batch=lambda readers: rss_by_batch.append(rss_mb()),
    )
    composed_s, compose_cpu = time.monotonic() - began, time.process_time() - cpu
    composed.set()
    storage.close()
    print(
        f"compose: {report.summary()} in {composed_s:.1f} s (CPU {compose_cpu:.0f} s);"
        f" memory {rss_by_batch[0]:.0f} MB after the first batch,"
        f" {max(rss_by_batch):.0f} MB at most, {rss_by_batch[-1]:.0f} MB at the end"
    )
    reports = [sender_results.get() for _ in senders]
    for process in senders:
        process.join()
    whole = time.monotonic() - began
    stop.set()
    sink_report = sink_results.get(timeout=60)
    sink.join()

    sent = sum(item["sent"] for item in reports)
    print(
        f"deliver: {sent:,} sent by {options.senders} sender processes, the last"
        f" {whole - composed_s:.1f} s after composing ended"
    )
    for n, item in enumerate(reports):
        print(
            f"  sender {n}: {item['sent']:,} sent; CPU {item['cpu_s']:.0f} s; memory"
            f" {item['rss_first_mb']:.0f} MB at its first message,"
            f" {item['rss_last_mb']:.0f} MB at its last, peak {item['peak_rss_mb']:.0f} MB"
        )
    print(
        f"  sink: {sink_report['messages']:,} messages ({sink_report['bytes'] / 1e6:,.0f} MB)"
        f" for {sink_report['readers']:,} readers, {sink_report['repeated']} readers twice,"
        f" {sink_report['message_ids']:,} distinct Message-IDs; CPU {sink_report['cpu_s']:.0f} s"
    )
    verdict = "meets" if whole <= TARGET_SECONDS else "misses"
    print(
        f"total: {whole:.1f} s to compose and deliver {sent:,} digests"
        f" ({sent / whole:,.0f} a second)"
        f" ({verdict} the {TARGET_SECONDS:.0f} s target)"
    )
    everyone = (
        sink_report["messages"] == sink_report["readers"] == report.composed == sent
        and sink_report["repeated"] == 0
    )
    print("check: every reader got exactly one message" if everyone else "check: FAILED")
    if not everyone:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
