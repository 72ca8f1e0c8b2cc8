"""Run `dailypapers serve` as a real process on a loopback port, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from support.live_server import free_port

SECRET = "a-test-secret-key-of-more-than-32-characters"


@contextmanager
def serve_process(
    database_url: str,
    log_path: Path,
    *arguments: str,
    environment: dict[str, str] | None = None,
    **settings: str,
) -> Iterator[str]:
    """Start `dailypapers serve` with these arguments and DAILYPAPERS_* settings; yield its URL.

    `environment`: more variables for the process (PYTHONPATH, say).
    """
    port = free_port()
    command = [sys.executable, "-m", "dailypapers", "serve", "--host", "127.0.0.1"]
    variables = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": database_url,
        "DAILYPAPERS_SECRET_KEY": SECRET,
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",  # no embedding model loaded in the test
        **{f"DAILYPAPERS_{name.upper()}": value for name, value in settings.items()},
        **(environment or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), *arguments],
            env=variables,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"serve did not start: {log_path.read_text(errors='replace')}")
