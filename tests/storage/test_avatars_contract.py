"""The avatars part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dailypapers.domain.avatars import Avatar
from dailypapers.domain.papers import Organization
from dailypapers.storage import Storage, open_storage

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # every byte value survives the round trip


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """Return an empty, migrated storage on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    store = open_storage(url)
    yield store
    store.close()


def test_an_avatar_is_stored_once_and_organizations_say_they_have_one(storage: Storage) -> None:
    with storage.transaction():
        storage.save_organizations(
            [
                Organization("lab", "The Lab", "https://cdn.example/lab.png"),
                Organization("plain", "No Picture"),
                Organization("other", "Other", "https://cdn.example/other.png"),
            ]
        )
    assert [o.name for o in storage.organizations_without_avatar(["lab", "plain", "other"])] == [
        "lab",
        "other",
    ]
    with storage.transaction():
        storage.save_avatar(Avatar("lab", "image/png", PNG, "https://cdn.example/lab.png", NOW))
        storage.save_avatar(Avatar("lab", "image/png", PNG, "https://cdn.example/lab.png", NOW))

    assert storage.get_avatar("lab") == Avatar(
        "lab", "image/png", PNG, "https://cdn.example/lab.png", NOW
    )
    assert storage.get_avatar("other") is None
    assert [o.name for o in storage.organizations_without_avatar(["lab", "other"])] == ["other"]
    lab = storage.get_organization("lab")
    assert lab is not None and lab.has_avatar
    assert not storage.get_organization("other").has_avatar  # type: ignore[union-attr]
