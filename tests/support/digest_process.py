"""A worker process that is killed while it composes a digest, for the tests.

    python -m support.digest_process SLOT

With the settings in the environment, as `dailypapers worker` reads them, it leases the
daily digest job's run due at SLOT under the real leases and runs the real job, composing
BATCH readers at a time; as it is about to write its second batch it kills itself with
SIGKILL, holding the job's lease and the lease on composing the period.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from dailypapers.services import digests
from dailypapers.settings import Settings
from dailypapers.storage import open_storage
from dailypapers.worker.digest_jobs import digest_jobs
from dailypapers.worker.leases import JobLeases

BATCH = 4


def main() -> None:
    """Run the daily digest job for the slot until the second batch, then die."""
    slot = datetime.fromisoformat(sys.argv[1])
    settings = Settings.from_env()
    storage = open_storage(settings.database_url)
    assert digests.compose_digests.__kwdefaults__ is not None
    digests.compose_digests.__kwdefaults__["batch_size"] = BATCH
    save_digests = storage.save_digests
    batches = []

    def save_then_die(*args: Any, **kwargs: Any) -> None:
        batches.append(1)
        if len(batches) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        save_digests(*args, **kwargs)

    storage.save_digests = save_then_die  # type: ignore[method-assign]
    now = lambda: datetime.now(UTC)  # noqa: E731
    [job] = [
        job
        for job in digest_jobs(settings=settings, storage=storage, clock=now)
        if job.name == "daily digest"
    ]
    leases = JobLeases(
        storage=storage, owner=f"doomed:{os.getpid()}", lease_s=settings.job_lease_s, clock=now
    )
    leases.run(job.name, slot, lambda slot: job.run(slot) and None)


if __name__ == "__main__":
    main()
