"""The storage interface of organization avatars."""

from __future__ import annotations

from typing import Protocol

from dailypapers.domain.avatars import Avatar
from dailypapers.domain.papers import Organization


class AvatarStore(Protocol):
    """What the avatar service and the avatar route read and write."""

    def save_avatar(self, avatar: Avatar) -> None:
        """Insert or replace an organization's avatar."""
        ...

    def get_avatar(self, organization: str) -> Avatar | None:
        """Return the organization's stored avatar, if any."""
        ...

    def organizations_without_avatar(self, names: list[str]) -> list[Organization]:
        """Return those of these organizations that name an avatar address but store none."""
        ...
