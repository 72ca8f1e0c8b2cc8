"""Fixtures shared by the whole suite: real data, storages, servers and the web app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from dailypapers.storage import Storage, open_storage

from support.live_server import serving
from support.postgres_server import BACKENDS, fresh_database, running_postgres
from support.sites import load_recorded_days, make_app, make_client

SHARED_DATA = Path(
    os.environ.get(
        "DAILYPAPERS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return the folder of real data the tests read (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"the shared data folder {SHARED_DATA} is missing (set DAILYPAPERS_SHARED_DATA)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def word_indexes_kept_in_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the word indexes of PostgreSQL test databases (the site's settings, `serve` and
    CLI subprocesses) out of the user's cache folder: one is left there per database."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAILYPAPERS_WORD_INDEX_FOLDER", str(tmp_path_factory.mktemp("word-indexes")))
        yield


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start one throwaway PostgreSQL server for the whole session; yield its URL."""
    with running_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """Yield the URL of an empty database of this test's own on the PostgreSQL server."""
    # Far from UTC and not a whole hour, so results that leak the session's zone show.
    with fresh_database(postgres_server, time_zone="Pacific/Chatham") as url:
        yield url


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    """Return an empty SQLite storage in a file of its own."""
    store = open_storage(f"sqlite:///{tmp_path / 'test.db'}")
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty, unmigrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def backend_storage(backend_url: str) -> Iterator[Storage]:
    """Return an empty, migrated storage on each backend."""
    store = open_storage(backend_url)
    yield store
    store.close()


@pytest.fixture
def loaded_storage(storage: Storage, shared_data: Path) -> Storage:
    """Return a storage holding the recorded Hugging Face days (five files, four days)."""
    load_recorded_days(storage, shared_data)
    return storage


@pytest.fixture
def client(loaded_storage: Storage) -> TestClient:
    """Return an in-process client of the site over the recorded days."""
    return make_client(loaded_storage)


@pytest.fixture
def live_url(loaded_storage: Storage) -> Iterator[str]:
    """Serve the site over the recorded days on a real loopback port; yield its URL."""
    with serving(make_app(loaded_storage)) as url:
        yield url


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the command line at a fresh SQLite file; return its URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", url)
    return url


CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium reaches for the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch one headless Debian chromium for a module's browser tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(f"browser tests need Debian's chromium: {reason}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
