"""Job-run leases both backends share: one row per job, the slot it last ran for."""

from __future__ import annotations

from datetime import datetime

from dailypapers.storage.digests_sql import moment
from dailypapers.storage.sql_values import SqlAccess, to_datetime


class JobRunsSql(SqlAccess):
    """Claim, renew and finish runs of scheduled jobs, each a single atomic statement."""

    def claim_job_run(
        self, *, job: str, slot: datetime, owner: str, now: datetime, lease_until: datetime
    ) -> datetime | None:
        """Lease the job's run for this slot; see JobRunStore.claim_job_run for the answer."""
        # Taken when the job never ran; or its last slot is earlier and that run finished
        # or its worker's lease lapsed; or this very slot's run was abandoned (lease lapsed).
        claimed = self._execute(
            "INSERT INTO job_runs (job, slot, owner, started_at, lease_until)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (job) DO UPDATE SET slot = excluded.slot,"
            " owner = excluded.owner, started_at = excluded.started_at,"
            " lease_until = excluded.lease_until, finished_at = NULL"
            " WHERE (job_runs.slot < excluded.slot"
            " AND (job_runs.finished_at IS NOT NULL OR job_runs.lease_until < excluded.started_at))"
            " OR (job_runs.slot = excluded.slot AND job_runs.finished_at IS NULL"
            " AND job_runs.lease_until < excluded.started_at)"
            " RETURNING owner",
            (job, moment(slot), owner, moment(now), moment(lease_until)),
        )
        if claimed:
            return None
        rows = self._execute(
            "SELECT slot, finished_at, lease_until FROM job_runs WHERE job = ?", (job,)
        )
        if not rows:  # deleted meanwhile: ask again at once
            return now
        held_slot, finished, held_until = rows[0]
        if finished is None and held_until is not None and to_datetime(held_slot) <= slot:
            return to_datetime(held_until)  # running elsewhere: look again when it lapses
        return slot  # done, or a later slot is claimed: nothing to do for this one

    def renew_job_run(self, *, job: str, slot: datetime, owner: str, lease_until: datetime) -> bool:
        """Extend our lease on the job's run; False if it was lost."""
        rows = self._execute(
            "UPDATE job_runs SET lease_until = ? WHERE job = ? AND slot = ? AND owner = ?"
            " AND finished_at IS NULL RETURNING job",
            (moment(lease_until), job, moment(slot), owner),
        )
        return bool(rows)

    def finish_job_run(self, *, job: str, slot: datetime, owner: str, now: datetime) -> None:
        """Record that our run of this slot is done, freeing the job for the next."""
        self._execute(
            "UPDATE job_runs SET finished_at = ?, lease_until = NULL"
            " WHERE job = ? AND slot = ? AND owner = ?",
            (moment(now), job, moment(slot), owner),
        )

    def unfinished_job_run(self, *, job: str, lapsed_by: datetime | None = None) -> datetime | None:
        """Return the slot of the job's last run if it started and never finished.

        With `lapsed_by`, only if its lease had lapsed by then (its worker stopped).
        """
        rows = self._execute(
            "SELECT slot, lease_until FROM job_runs WHERE job = ? AND finished_at IS NULL", (job,)
        )
        if not rows:
            return None
        slot, lease_until = rows[0]
        if lapsed_by is not None and to_datetime(lease_until) >= lapsed_by:
            return None
        return to_datetime(slot)
