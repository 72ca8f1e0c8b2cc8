"""Kill the real worker with SIGKILL in the middle of a batch: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dailypapers.domain.periods import parse_day
from dailypapers.services.digests import compose_digests
from dailypapers.storage import Storage

from support.digests import DAY, NOW, SECRET, add_reader, links, mail_settings
from support.smtp_server import SmtpServer, smtp_server

READERS = 60
NEVER = "0 0 1 1 *"  # the compose jobs stay out of the way: the test composes itself


@contextmanager
def worker(storage: Storage, server: SmtpServer, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `dailypapers worker` as a separate process sending through the server."""
    environment = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": storage.url,
        "DAILYPAPERS_SECRET_KEY": SECRET,
        "DAILYPAPERS_PUBLIC_URL": "https://papers.example.org",
        "DAILYPAPERS_MAIL_FROM": "papers@example.org",
        "DAILYPAPERS_SMTP_HOST": server.host,
        "DAILYPAPERS_SMTP_PORT": str(server.port),
        "DAILYPAPERS_MAIL_BATCH_SIZE": "20",
        "DAILYPAPERS_MAIL_LEASE_S": "2",
        "DAILYPAPERS_MAIL_POLL_S": "0.2",
        "DAILYPAPERS_DIGEST_DAILY_SCHEDULE": NEVER,
        "DAILYPAPERS_DIGEST_WEEKLY_SCHEDULE": NEVER,
        "DAILYPAPERS_ARXIV_CATEGORIES": "",
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "worker"],
            env=environment,
            stdout=output,
            stderr=output,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: object, timeout: float, what: str, log: Path) -> None:
    """Wait for the condition, failing with the worker's log if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_once(
    loaded_storage: Storage, tmp_path: Path
) -> None:
    settings = mail_settings()
    addresses = [f"reader{n:03d}@example.org" for n in range(READERS)]
    for address in addresses:
        add_reader(loaded_storage, address)
    compose_digests(
        storage=loaded_storage,
        settings=settings,
        links=links(settings),
        period=parse_day(DAY),
        now=NOW,
        owner="composer",
    )
    log = tmp_path / "worker.log"

    with smtp_server() as server:
        # The 26th message is the 6th of the second batch of 20: stall its MAIL command, so
        # the worker is killed while it holds the lease on a batch it has half sent.
        server.hold_after(25)
        with worker(loaded_storage, server, log) as first:
            wait_until(server.held.is_set, 60, "the worker to reach message 26", log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        server.release()
        assert len(server.received) == 25
        assert loaded_storage.outbox_counts() == {"sent": 25, "pending": READERS - 25}

        with worker(loaded_storage, server, log):
            server.wait_for(READERS, timeout=60)
            wait_until(
                lambda: loaded_storage.outbox_counts() == {"sent": READERS},
                30,
                "every message to be marked sent",
                log,
            )
            time.sleep(1.0)  # past the polls that would send a message twice, if any did

    assert first.returncode == -signal.SIGKILL
    assert Counter(item.recipients[0] for item in server.received) == Counter(addresses)
    message_ids = [item.message["Message-ID"] for item in server.received]
    assert len(set(message_ids)) == READERS
