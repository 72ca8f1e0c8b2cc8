"""Two worker processes share scheduled jobs: each slot runs once, a killed run is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dailypapers.storage import Storage, open_storage
from dailypapers.worker.leases import JobLeases

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def database_url(backend_url: str) -> str:
    """Return a migrated database on each backend."""
    open_storage(backend_url).close()
    return backend_url


def read_log(log: Path) -> list[tuple[str, str, int]]:
    """Return the (event, slot, pid) lines the workers wrote."""
    if not log.exists():
        return []
    return [
        (event, slot, int(pid))
        for event, slot, pid in (line.split() for line in log.read_text().splitlines() if line)
    ]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Wait until the condition holds, or fail saying what did not happen."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.05)


def test_two_workers_run_each_slot_once_and_take_over_a_killed_run(
    database_url: str, tmp_path: Path
) -> None:
    """SIGKILL the worker running a slot: the other runs that slot after the lease lapses."""
    log = tmp_path / "runs.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "support.job_process", database_url, str(log)], env=env
        )
        for _ in range(2)
    ]
    try:
        wait_for(lambda: any(e == "start" for e, _, _ in read_log(log)), "a first run")
        _, killed_slot, victim = next(line for line in read_log(log) if line[0] == "start")
        os.kill(victim, signal.SIGKILL)
        survivor = next(worker for worker in workers if worker.pid != victim)
        wait_for(
            lambda: ("end", killed_slot, survivor.pid) in read_log(log),
            "the survivor to run the killed worker's slot",
        )
        # Let the survivor run a few more slots on its own.
        wait_for(lambda: sum(e == "end" for e, _, _ in read_log(log)) >= 3, "three finished runs")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            worker.wait(timeout=30)
    lines = read_log(log)
    ends: defaultdict[str, list[int]] = defaultdict(list)
    starts: defaultdict[str, list[int]] = defaultdict(list)
    for event, slot, pid in lines:
        (ends if event == "end" else starts)[slot].append(pid)
    assert all(len(pids) == 1 for pids in ends.values()), ends  # no slot finished twice
    assert starts[killed_slot] == [victim, survivor.pid]  # started twice only when taken over
    assert all(len(pids) == 1 for slot, pids in starts.items() if slot != killed_slot), starts
    assert victim not in {pid for pids in ends.values() for pid in pids}


def test_a_run_left_unfinished_is_taken_up_before_a_later_slot(backend_storage: Storage) -> None:
    """A worker that came up while another was starting slot S waits for the next slot, T;
    the other dies: when T falls due, S runs first (it is not overwritten by T's claim),
    then T."""
    storage = backend_storage
    slot, later_slot = datetime(2026, 12, 3, 7, tzinfo=UTC), datetime(2026, 12, 3, 8, tzinfo=UTC)
    assert (
        storage.claim_job_run(
            job="digest",
            slot=slot,
            owner="dead",
            now=slot,
            lease_until=slot + timedelta(seconds=60),
        )
        is None
    )
    ran: list[datetime] = []

    def work(slot: datetime) -> None:
        ran.append(slot)

    before_lapse = JobLeases(
        storage=storage, owner="early", lease_s=60, clock=lambda: slot + timedelta(seconds=30)
    )
    assert before_lapse.run("digest", later_slot, work) == slot + timedelta(seconds=60)
    assert ran == []  # S is still leased to its worker: wait until its lease lapses

    survivor = JobLeases(storage=storage, owner="survivor", lease_s=60, clock=lambda: later_slot)
    assert survivor.run("digest", later_slot, work) == later_slot  # T: look again at once
    assert ran == [slot]
    assert storage.unfinished_job_run(job="digest") is None  # S is done, by the survivor
    assert survivor.run("digest", later_slot, work) is None
    assert ran == [slot, later_slot]
