"""Build the site over a storage the way the tests need it: fixed clock, loaded files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dailypapers.services.importing import import_file
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.web.app import create_app

# The recorded days end on 2026-08-21; pages are viewed from the evening after.
NOW = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)


def load_files(storage: Storage, *paths: Path) -> None:
    """Import files the way `dailypapers import` does, each in its own transaction."""
    for path in paths:
        with storage.transaction():
            import_file(storage=storage, path=path)


def load_recorded_days(storage: Storage, shared_data: Path) -> None:
    """Import the recorded Hugging Face days (five files, four days) in date order."""
    load_files(storage, *sorted((shared_data / "fixtures" / "hf_daily_papers").glob("*.json")))


def make_app(storage: Storage, **settings: object) -> FastAPI:
    """Return the site over this storage with a fixed clock."""
    return create_app(
        Settings(database_url=storage.url, **settings),  # type: ignore[arg-type]
        storage=storage,
        clock=lambda: NOW,
    )


def make_client(storage: Storage, **settings: object) -> TestClient:
    """Return an in-process client of the site over this storage."""
    return TestClient(make_app(storage, **settings))
