"""The avatars part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from dailypapers.domain.avatars import Avatar
from dailypapers.domain.papers import Organization
from dailypapers.storage import Storage

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # every byte value survives the round trip


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
