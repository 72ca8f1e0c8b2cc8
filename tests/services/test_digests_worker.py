"""Kill the real worker with SIGKILL in the middle of a batch: nothing lost, nothing twice."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dailypapers.domain.periods import parse_day
from dailypapers.services.digests import compose_digests
from dailypapers.storage import Storage

from support.digests import DAY, add_reader, links, mail_settings, worker
from support.sites import load_recorded_days
from support.smtp_server import SmtpServer, smtp_server

READERS = 60
ADDRESSES = [f"reader{n:03d}@example.org" for n in range(READERS)]


@pytest.fixture
def outbox(backend_storage: Storage, shared_data: Path) -> Storage:
    """Return a storage on each backend holding the recorded days and READERS composed digests."""
    storage = backend_storage
    load_recorded_days(storage, shared_data)
    for address in ADDRESSES:
        add_reader(storage, address)
    settings = mail_settings()
    report = compose_digests(
        storage=storage,
        settings=settings,
        links=links(settings),
        period=parse_day(DAY),
        now=datetime.now(UTC),  # the worker's clock is real: a message from NOW is stale
        owner="composer",
    )
    assert report.composed == READERS
    return storage


def received_once_each(server: SmtpServer) -> None:
    """Check every reader got exactly one message, each its own."""
    assert Counter(item.recipients[0] for item in server.received) == Counter(ADDRESSES)
    assert len({item.message["Message-ID"] for item in server.received}) == READERS


def wait_until(condition: object, timeout: float, what: str, log: Path) -> None:
    """Wait for the condition, failing with the worker's log if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_once(
    outbox: Storage, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with smtp_server() as server:
        # The 26th message is the 6th of the second batch of 20: stall its MAIL command, so
        # the worker is killed while it holds the lease on a batch it has half sent.
        server.hold_after(25)
        with worker(outbox, server, log) as first:
            wait_until(server.held.is_set, 60, "the worker to reach message 26", log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        server.release()
        assert len(server.received) == 25
        assert outbox.outbox_counts() == {"sent": 25, "pending": READERS - 25}

        with worker(outbox, server, log):
            server.wait_for(READERS, timeout=60)
            wait_until(
                lambda: outbox.outbox_counts() == {"sent": READERS},
                30,
                "every message to be marked sent",
                log,
            )
            time.sleep(1.0)  # past the polls that would send a message twice, if any did

    assert first.returncode == -signal.SIGKILL
    received_once_each(server)


def test_a_server_down_when_the_worker_starts_gets_every_message_once_it_is_back(
    outbox: Storage, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with smtp_server() as server:
        server.stop()
        with worker(outbox, server, log, mail_retry_s="0.5"):
            wait_until(lambda: "cannot connect" in log.read_text(), 60, "a failed attempt", log)
            server.start()
            server.wait_for(READERS, timeout=60)
            wait_until(
                lambda: outbox.outbox_counts() == {"sent": READERS},
                30,
                "every message to be marked sent",
                log,
            )
            time.sleep(1.0)

    received_once_each(server)


def sent_by(log: Path) -> int:
    """Add up the messages a worker's outbox runs report sent in its log."""
    return sum(int(count) for count in re.findall(r" outbox: (\d+) sent", log.read_text()))


def leased(storage: Storage) -> int:
    """Count the messages some worker holds a lease on."""
    rows = storage._execute("SELECT COUNT(*) FROM outbox WHERE lease_owner IS NOT NULL")  # type: ignore[attr-defined]
    return int(rows[0][0])


def test_two_workers_share_the_outbox_and_never_send_a_message_twice(
    outbox: Storage, tmp_path: Path
) -> None:
    log_a, log_b = tmp_path / "worker-a.log", tmp_path / "worker-b.log"
    # Leases long enough to outlast the stall below: no message changes hands by lapsing.
    options = {"mail_batch_size": "5", "mail_lease_s": "30"}
    with smtp_server() as server:
        # Stall the first worker on its second batch until the second worker holds a batch
        # of its own, so that both take part whichever starts faster.
        server.hold_after(5)
        with worker(outbox, server, log_a, **options):
            wait_until(server.held.is_set, 60, "the first worker to reach message 6", log_a)
            with worker(outbox, server, log_b, **options):
                wait_until(lambda: leased(outbox) == 10, 60, "a batch for each worker", log_b)
                server.release()
                server.wait_for(READERS, timeout=60)
                wait_until(
                    lambda: outbox.outbox_counts() == {"sent": READERS},
                    30,
                    "every message to be marked sent",
                    log_a,
                )
                time.sleep(1.0)

    received_once_each(server)
    assert sent_by(log_a) >= 10 and sent_by(log_b) >= 5  # its first batches, at least
    assert sent_by(log_a) + sent_by(log_b) == READERS
    assert "lease lapsed" not in log_a.read_text() + log_b.read_text()
