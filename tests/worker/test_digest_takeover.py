"""A worker killed while composing a digest: the next worker finishes it, each reader once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from dailypapers.storage import Storage

from support.digests import DAY, add_reader, worker, worker_environment
from support.sites import load_recorded_days
from support.smtp_server import smtp_server

TESTS = Path(__file__).resolve().parents[1]
# The daily digest's run on Monday at 07:00 composes the digest of Friday, the recorded DAY.
SLOT = datetime(2025, 10, 20, 7, 0, tzinfo=UTC)
READERS = [f"reader{n:02d}@example.org" for n in range(10)]
# The dead worker's lease on composing the period outlives its lease on the job's run.
LEASES = {"job_lease_s": "1", "mail_lease_s": "6"}


def wait_until(condition: object, seconds: float, what: str, log: Path) -> None:
    """Wait for the condition, failing with the worker's log if it never holds."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.05)


def test_a_digest_left_half_composed_by_a_killed_worker_reaches_every_reader_once(
    backend_storage: Storage, shared_data: Path, tmp_path: Path
) -> None:
    storage = backend_storage
    load_recorded_days(storage, shared_data)
    for address in READERS:
        add_reader(storage, address)
    log = tmp_path / "worker.log"
    with smtp_server() as server:
        environment = {
            **worker_environment(storage.url, server, **LEASES),
            "PYTHONPATH": str(TESTS),
        }
        doomed = subprocess.run(
            [sys.executable, "-m", "support.digest_process", SLOT.isoformat()],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert doomed.returncode == -signal.SIGKILL, doomed.stderr
        assert storage.outbox_counts() == {"pending": 4}  # its first batch, nothing more
        run = storage.get_digest_run(DAY)
        assert run is not None and run.finished_at is None

        with worker(storage, server, log, **LEASES):
            server.wait_for(len(READERS), timeout=60)
            wait_until(
                lambda: storage.outbox_counts() == {"sent": len(READERS)},
                30,
                "every digest to be marked sent",
                log,
            )
            time.sleep(1.0)  # past the polls that would send a digest twice, if any did

    assert Counter(item.recipients[0] for item in server.received) == Counter(READERS)
    assert {item.message["Subject"] for item in server.received} == {
        server.received[0].message["Subject"]
    }  # all of them Friday's digest
    run = storage.get_digest_run(DAY)
    assert run is not None and run.finished_at is not None
    assert "being composed by another worker" in log.read_text()  # it waited for the lease
