"""The storage interface of scheduled jobs shared by several worker processes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class JobRunStore(Protocol):
    """Leases on each job's runs, so that one worker runs each slot once."""

    def claim_job_run(
        self, *, job: str, slot: datetime, owner: str, now: datetime, lease_until: datetime
    ) -> datetime | None:
        """Lease the job's run for this slot; None if taken, else when to ask again.

        Returns None when the run is now ours; a moment in the past (the slot) when the slot
        was already run or a later one was claimed; the other owner's lease expiry when
        another worker holds a live lease on this or an earlier slot.
        """
        ...

    def renew_job_run(self, *, job: str, slot: datetime, owner: str, lease_until: datetime) -> bool:
        """Extend our lease on the job's run; False if it was lost."""
        ...

    def finish_job_run(self, *, job: str, slot: datetime, owner: str, now: datetime) -> None:
        """Record that our run of this slot is done, freeing the job for the next."""
        ...

    def unfinished_job_run(self, *, job: str, lapsed_by: datetime | None = None) -> datetime | None:
        """Return the slot of the job's last run if it started and never finished.

        With `lapsed_by`, only if its lease had lapsed by then (its worker stopped).
        """
        ...
