"""`dailypapers worker` reports how its jobs end to Prometheus."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dailypapers.storage import open_storage

from support.live_server import free_port


def _job_runs(text: str, job: str, outcome: str) -> float:
    found = re.search(
        rf'^dailypapers_jobs_total\{{job="{job}",outcome="{outcome}"\}} (\S+)$', text, re.MULTILINE
    )
    return float(found.group(1)) if found else 0.0


def _scrape_until(url: str, done: object, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited"
        try:
            text = httpx.get(url, timeout=2).text
            if done(text):  # type: ignore[operator]
                return text
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the metrics never showed what was awaited")


def test_the_worker_counts_jobs_done_and_failed(tmp_path: Path) -> None:
    database = tmp_path / "site.db"
    open_storage(f"sqlite:///{database}").close()
    port = free_port()
    environment = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": f"sqlite:///{database}",
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",
        "DAILYPAPERS_MAIL_POLL_S": "0.2",
        "DAILYPAPERS_WORKER_METRICS_PORT": str(port),
        "DAILYPAPERS_SMTP_PORT": str(free_port()),  # nothing is sent: the outbox is empty
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        healthy = _scrape_until(url, lambda text: _job_runs(text, "outbox", "done") >= 1, process)
        assert _job_runs(healthy, "outbox", "failed") == 0
        with sqlite3.connect(database) as connection:  # the job's table goes: its runs fail
            connection.execute("DROP TABLE digests")
            connection.execute("DROP TABLE outbox")
        _scrape_until(url, lambda text: _job_runs(text, "outbox", "failed") >= 1, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
