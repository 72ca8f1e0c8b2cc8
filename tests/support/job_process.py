"""A worker process for the tests: one slow job, run under the real leases and runner.

    python -m support.job_process DATABASE_URL LOG_FILE

Each run appends `start SLOT PID` and, two seconds later, `end SLOT PID` to the log, so
a test sees which process ran which slot, and whether any slot ran twice.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dailypapers.storage import open_storage
from dailypapers.worker.leases import JobLeases
from dailypapers.worker.runner import Job, every, run_jobs

INTERVAL_S = 3.0
WORK_S = 2.0
LEASE_S = 2.0


class LoggedLeases(JobLeases):
    """The real leases, writing down which slot each run was for."""

    def __init__(self, log: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.log = log

    def run(
        self, name: str, slot: datetime, work: Callable[[datetime], datetime | None]
    ) -> datetime | None:
        def logged(slot: datetime) -> datetime | None:
            self._write(f"start {slot.isoformat()} {os.getpid()}")
            later = work(slot)
            self._write(f"end {slot.isoformat()} {os.getpid()}")
            return later

        return super().run(name, slot, logged)

    def _write(self, line: str) -> None:
        with self.log.open("a") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())


def main() -> None:
    """Run the slow job until killed."""
    url, log = sys.argv[1], Path(sys.argv[2])
    storage = open_storage(url)
    leases = LoggedLeases(
        log,
        storage=storage,
        owner=f"test:{os.getpid()}",
        lease_s=LEASE_S,
        clock=lambda: datetime.now(UTC),
    )
    job = Job("slow job", every(INTERVAL_S), lambda slot: time.sleep(WORK_S) or "slept")
    run_jobs([job], clock=lambda: datetime.now(UTC), stop=threading.Event(), leases=leases)


if __name__ == "__main__":
    main()
