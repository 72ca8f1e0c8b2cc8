"""Several web processes on one database: what one writes, the others show and count."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from dailypapers.storage import Storage, open_storage

from support.accounts import PAPER, SECRET_KEY, add_member, api_token
from support.serve_process import serve_process
from support.sites import load_recorded_days


@pytest.fixture
def site_url(backend_url: str, shared_data: Path) -> str:
    """Return the URL of a database on each backend holding the recorded days."""
    storage = open_storage(backend_url)
    load_recorded_days(storage, shared_data)
    storage.close()
    return backend_url


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Return the settings of every server process: a shared key, caching on, a vote limit."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return {
        "secret_key": SECRET_KEY,
        "cache_seconds": "60",  # on: a write must still show at once everywhere
        "rate_limits": "vote.account=3/600",
    }


def upvotes(base: str) -> int:
    """Return the paper's upvotes as an anonymous reader of this server sees them."""
    response = httpx.get(f"{base}/api/papers/{PAPER}", timeout=30)
    assert response.status_code == 200
    return int(response.json()["upvotes"])


def test_a_vote_through_one_process_is_seen_and_rate_limited_through_another(
    site_url: str, settings: dict[str, str], tmp_path: Path
) -> None:
    """Count a vote cast through one server at once on the other, and its rate limit too."""
    storage: Storage = open_storage(site_url)
    token = api_token(storage, add_member(storage, "ada"))
    storage.close()
    with (
        serve_process(site_url, tmp_path / "first.log", **settings) as first,
        serve_process(site_url, tmp_path / "second.log", **settings) as second,
    ):
        before = upvotes(second)
        assert upvotes(second) == before  # now in the second server's page cache
        auth = {"Authorization": f"Bearer {token}"}
        vote = f"/api/papers/{PAPER}/upvote"
        assert httpx.post(first + vote, headers=auth).status_code == 200
        assert upvotes(second) == before + 1
        assert httpx.delete(second + vote, headers=auth).status_code == 200
        assert upvotes(first) == before
        assert httpx.post(first + vote, headers=auth).status_code == 200
        # The fourth vote within the window, counted across both processes, is refused.
        refused = httpx.delete(second + vote, headers=auth)
        assert refused.status_code == 429
        assert "error" in refused.json()
        assert upvotes(first) == upvotes(second) == before + 1


def test_serve_with_workers_runs_several_processes_that_share_the_port(
    site_url: str, settings: dict[str, str], tmp_path: Path
) -> None:
    """Answer through `serve --workers 2`: two processes serve, each seeing every vote."""
    storage = open_storage(site_url)
    token = api_token(storage, add_member(storage, "ada"))
    storage.close()
    log_path = tmp_path / "serve.log"
    with serve_process(site_url, log_path, "--workers", "2", log_format="json", **settings) as base:
        before = upvotes(base)
        response = httpx.post(
            f"{base}/api/papers/{PAPER}/upvote", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        # New connections land on either process, at the kernel's choice: ask concurrently
        # until the access log shows both processes answered, and every answer saw the vote.
        seen: set[int] = set()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(20):
                counts = set(pool.map(lambda _: upvotes(base), range(16)))
                assert counts == {before + 1}
                seen = processes_that_answered(log_path, f"/api/papers/{PAPER}")
                if len(seen) >= 2:
                    break
        assert len(seen) == 2, seen


def processes_that_answered(log_path: Path, path: str) -> set[int]:
    """Return the ids of the processes whose JSON access lines show a request for `path`."""
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    return {line["process"] for line in lines if line.get("path") == path}
