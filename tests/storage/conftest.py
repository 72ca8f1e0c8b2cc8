"""Run every storage test on each backend: the storage contract holds for SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dailypapers.storage import Storage


@pytest.fixture
def storage(backend_storage: Storage) -> Storage:
    """Return an empty, migrated storage on each backend (overrides the SQLite-only one)."""
    return backend_storage
