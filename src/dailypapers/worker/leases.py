"""Share scheduled jobs among worker processes: each slot of a job runs once, somewhere.

A slot is the moment a job fell due (a cron time, or a multiple of its interval since
1970, so every worker computes the same ones). Before running a slot a worker leases it in
the database; while the job works a thread renews the lease. A worker killed mid-run
stops renewing, its lease lapses, and the next worker to look takes the same slot over,
before any later slot of that job (a worker that came up while the dead one was starting
waits for the next slot, not the dead one's).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from dailypapers.storage import Storage

log = logging.getLogger("dailypapers.worker")


class JobLeases:
    """Run jobs under leases held in the database, in the name of this worker."""

    def __init__(
        self,
        *,
        storage: Storage,
        owner: str,
        lease_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.storage = storage
        self.owner = owner
        self.lease = timedelta(seconds=lease_s)
        self.clock = clock

    def run(
        self, name: str, slot: datetime, work: Callable[[datetime], datetime | None]
    ) -> datetime | None:
        """Do the work for this slot unless another worker has; return when to look again.

        The work is given the slot it does. A run of an earlier slot whose worker stopped
        mid-run (its lease lapsed) comes first: then this slot is still to run, and the
        answer is a moment even when that run is settled.
        None: the slot is settled (run here, or already run elsewhere). A moment: another
        worker holds the slot under a live lease, or the work asked to be tried again then
        (it returned that moment); look again then, to take over if the other died.
        """
        abandoned = self.storage.unfinished_job_run(job=name, lapsed_by=self.clock())
        if abandoned is not None and abandoned < slot:
            log.info("%s: taking up the run due at %s first", name, abandoned.isoformat())
            later = self._run_slot(name, abandoned, work)
            return self.clock() if later is None else later
        return self._run_slot(name, slot, work)

    def _run_slot(
        self, name: str, slot: datetime, work: Callable[[datetime], datetime | None]
    ) -> datetime | None:
        """Lease this slot and do its work, unless another worker has: as `run` answers."""
        now = self.clock()
        answer = self.storage.claim_job_run(
            job=name, slot=slot, owner=self.owner, now=now, lease_until=now + self.lease
        )
        if answer is not None:
            if answer > now:
                log.debug("%s: running in another worker until %s", name, answer.isoformat())
                return answer
            log.debug("%s: the run due at %s was done elsewhere", name, slot.isoformat())
            return None
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(name, slot, stop), name=f"lease:{name}", daemon=True
        )
        renewer.start()
        later = None
        try:
            later = work(slot)
        finally:
            stop.set()
            renewer.join()
            if later is None:
                self.storage.finish_job_run(job=name, slot=slot, owner=self.owner, now=self.clock())
            else:  # not done: the lease lapses now, so the slot stays open to every worker
                self.storage.renew_job_run(
                    job=name, slot=slot, owner=self.owner, lease_until=self.clock()
                )
        return later

    def unfinished_slot(self, name: str) -> datetime | None:
        """Return the slot of the job's last run if it never finished (its worker stopped)."""
        return self.storage.unfinished_job_run(job=name)

    def _renew(self, name: str, slot: datetime, stop: threading.Event) -> None:
        """Extend the lease a few times per lease period until the work is done."""
        try:
            while not stop.wait(self.lease.total_seconds() / 3):
                if not self.storage.renew_job_run(
                    job=name, slot=slot, owner=self.owner, lease_until=self.clock() + self.lease
                ):
                    log.warning("%s: lost the lease on the run due at %s", name, slot.isoformat())
                    return
        finally:
            self.storage.close()  # this thread's connection
