"""Fixtures shared by the whole suite: real data paths, storages and the web app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.services.importing import import_file
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage
from dailypapers.web.app import create_app

SHARED_DATA = Path(
    os.environ.get(
        "DAILYPAPERS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
HF_FIXTURES = SHARED_DATA / "fixtures" / "hf_daily_papers"
# The fixtures' newest day is 2026-08-21; pages are viewed from the evening after.
NOW = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return the folder of real data the tests read (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"the shared data folder {SHARED_DATA} is missing (set DAILYPAPERS_SHARED_DATA)"
        )
    return SHARED_DATA


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    """Return an empty SQLite storage in a file of its own."""
    store = open_storage(f"sqlite:///{tmp_path / 'test.db'}")
    yield store
    store.close()


def load_files(storage: Storage, *paths: Path) -> None:
    """Import files the way `dailypapers import` does, each in its own transaction."""
    for path in paths:
        with storage.transaction():
            import_file(storage=storage, path=path)


@pytest.fixture
def loaded_storage(storage: Storage, shared_data: Path) -> Storage:
    """Return a storage holding the recorded Hugging Face days (five files, four days)."""
    load_files(storage, *sorted((shared_data / "fixtures" / "hf_daily_papers").glob("*.json")))
    return storage


def make_client(storage: Storage, **settings: object) -> TestClient:
    """Return an in-process client of the site over this storage, with a fixed clock."""
    app = create_app(
        Settings(database_url=storage.url, **settings),  # type: ignore[arg-type]
        storage=storage,
        clock=lambda: NOW,
    )
    return TestClient(app)


@pytest.fixture
def client(loaded_storage: Storage) -> TestClient:
    """Return an in-process client of the site over the recorded days."""
    return make_client(loaded_storage)


@pytest.fixture
def live_url(loaded_storage: Storage) -> Iterator[str]:
    """Serve the site over the recorded days on a real loopback port; yield its URL."""
    from support.live_server import serving

    app = create_app(
        Settings(database_url=loaded_storage.url), storage=loaded_storage, clock=lambda: NOW
    )
    with serving(app) as url:
        yield url
