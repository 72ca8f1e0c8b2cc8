"""`dailypapers serve` as a real process: whom it believes, how it treats slow clients, its logs."""

from __future__ import annotations

import gc
import json
import logging
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from dailypapers.settings import Settings
from dailypapers.storage import open_storage
from dailypapers.web.app import create_app

from support.accounts import csrf_from
from support.serve_process import serve_process

# Three failed sign-ins from one address, then it waits; accounts never reach their limit.
SIGN_IN_LIMIT = "signin.ip=3/600,signin.account=100/600"
PASSWORD = "correct-horse-battery-staple"


def _sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    open_storage(url).close()  # migrated before serve starts, as `make demo` leaves it
    return url


def _failed_sign_in(client: httpx.Client, attempt: int, forwarded_for: str) -> int:
    """Try a wrong password for a fresh login, claiming to come from another address."""
    token = csrf_from(client.get("/signin").text)
    response = client.post(
        "/signin",
        data={"login": f"nobody{attempt}", "password": "wrong", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    with (
        serve_process(url, tmp_path / "serve.log", rate_limits=SIGN_IN_LIMIT) as base,
        httpx.Client(base_url=base) as client,
    ):
        statuses = [_failed_sign_in(client, n, f"198.51.100.{n}") for n in range(5)]
    # Each request named another address; the limit still counted the real one (loopback).
    assert statuses == [400, 400, 400, 429, 429]


def test_a_trusted_proxy_is_believed(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    proxy = {"rate_limits": SIGN_IN_LIMIT, "forwarded_allow_ips": "127.0.0.1"}
    with (
        serve_process(url, tmp_path / "serve.log", **proxy) as base,
        httpx.Client(base_url=base) as client,
    ):
        statuses = [_failed_sign_in(client, n, f"198.51.100.{n}") for n in range(5)]
        same_client = [_failed_sign_in(client, 9 + n, "198.51.100.77") for n in range(4)]
    assert statuses == [400] * 5  # five clients behind the proxy, one try each
    assert same_client == [400, 400, 400, 429]


def test_a_client_that_trickles_its_headers_is_cut_off(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n"
    with serve_process(url, tmp_path / "serve.log", header_timeout_s="3") as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            sent, answer = 0, b""
            for byte in request:  # one byte every 2 s: the whole head would take 96 s
                try:
                    slow.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += 1
                readable, _, _ = select.select([slow], [], [], 2.0)
                if readable:
                    answer = slow.recv(4096)
                    break
        # A client that sends its request at once is served by the same process.
        assert httpx.get(f"{base}/healthz").status_code == 200
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert sent < 5  # cut off after seconds, not after the whole head (52 bytes)


def test_a_connection_that_sends_nothing_is_closed(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    with serve_process(url, tmp_path / "serve.log", header_timeout_s="2") as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
            answer = idle.recv(4096)  # blocks until the server writes or closes
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_json_logs_carry_the_request_id_sent_back(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    log_path = tmp_path / "serve.log"
    with serve_process(url, log_path, log_format="json") as base:
        response = httpx.get(f"{base}/papers/date/2026-08-21")
    request_id = response.headers["x-request-id"]
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == request_id]
    assert len(access) == 1, lines
    assert access[0]["path"] == "/papers/date/2026-08-21"
    assert access[0]["route"] == "/papers/{kind:period}/{key}"  # the template, not the path
    assert access[0]["status"] == response.status_code
    assert access[0]["logger"] == "dailypapers.access" and "time" in access[0]
    assert isinstance(access[0]["process"], int)


def test_serve_refuses_a_proxy_list_it_cannot_read(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": _sqlite_url(tmp_path),
        "DAILYPAPERS_FORWARDED_ALLOW_IPS": "127.0.0.1,the-proxy",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "dailypapers", "serve"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "DAILYPAPERS_FORWARDED_ALLOW_IPS: 'the-proxy' is not an address or network" in (
        refused.stderr
    )


def test_connections_past_the_limit_are_answered_503(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    limits = {"max_connections": "2", "header_timeout_s": "60"}
    with serve_process(url, tmp_path / "serve.log", **limits) as base:
        port = int(base.rsplit(":", 1)[1])
        with (
            socket.create_connection(("127.0.0.1", port)),
            socket.create_connection(("127.0.0.1", port)),
        ):
            time.sleep(0.5)  # both accepted before the third asks
            crowded = httpx.get(f"{base}/healthz")
        relieved = [httpx.get(f"{base}/healthz").status_code for _ in range(3)]
    assert crowded.status_code == 503
    assert 200 in relieved  # the closed connections gave their places back


@pytest.mark.postgres
def test_serve_never_prints_the_database_password(tmp_path: Path, postgres_url: str) -> None:
    # The test server trusts local connections, so any password lets the site in.
    parts = urlsplit(postgres_url)
    user = parts.username or "postgres"
    with_password = urlunsplit(
        parts._replace(netloc=f"{user}:{PASSWORD}@{parts.hostname}:{parts.port}")
    )
    open_storage(with_password).close()
    log = tmp_path / "serve.log"
    with serve_process(with_password, log) as base:
        assert httpx.get(f"{base}/readyz").status_code == 200
    printed = log.read_text()
    assert f"Serving postgresql://{user}:***@{parts.hostname}:{parts.port}" in printed
    assert PASSWORD not in printed


def test_a_web_process_runs_its_database_work_on_the_threads_it_is_given(tmp_path: Path) -> None:
    async def threads() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    settings = Settings(database_url=_sqlite_url(tmp_path), web_threads=3)
    with TestClient(create_app(settings)) as client:
        assert client.portal is not None
        assert client.portal.call(threads) == 3
        assert client.get("/").status_code == 200  # and the pages are served on them
    with pytest.raises(ValueError, match="WEB_THREADS"):
        Settings.from_env({"DAILYPAPERS_WEB_THREADS": "0"})


def test_a_web_process_leaves_what_it_made_at_startup_out_of_garbage_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _sqlite_url(tmp_path)
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", url)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level  # a process of its own sets up its logs
    gc.unfreeze()
    try:
        create_app(Settings(database_url=url))  # given settings (tests, serve): caller decides
        assert gc.get_freeze_count() == 0
        create_app()  # a web process started from the import string
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
        root.handlers[:] = handlers
        root.setLevel(level)
