"""Avatar queries both backends share."""

from __future__ import annotations

from dailypapers.domain.avatars import Avatar
from dailypapers.domain.papers import Organization
from dailypapers.storage.sql_values import SqlAccess, batches, iso, to_datetime


class AvatarsSql(SqlAccess):
    """Organization avatars in the organization_avatars table."""

    def save_avatar(self, avatar: Avatar) -> None:
        """Insert or replace an organization's avatar."""
        self._execute(
            "INSERT INTO organization_avatars (name, content_type, data, source_url, fetched_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " content_type = excluded.content_type, data = excluded.data,"
            " source_url = excluded.source_url, fetched_at = excluded.fetched_at",
            (
                avatar.organization,
                avatar.content_type,
                avatar.data,
                avatar.source_url,
                iso(avatar.fetched_at),
            ),
        )

    def get_avatar(self, organization: str) -> Avatar | None:
        """Return the organization's stored avatar, if any."""
        rows = self._execute(
            "SELECT name, content_type, data, source_url, fetched_at FROM organization_avatars"
            " WHERE name = ?",
            (organization,),
        )
        if not rows:
            return None
        name, content_type, data, source_url, fetched_at = rows[0]
        return Avatar(name, content_type, bytes(data), source_url, to_datetime(fetched_at))

    def organizations_without_avatar(self, names: list[str]) -> list[Organization]:
        """Return those of these organizations that name an avatar address but store none."""
        found = []
        for batch in batches(names):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                "SELECT o.name, o.fullname, o.avatar_url FROM organizations o"
                f" WHERE o.name IN ({marks}) AND o.avatar_url IS NOT NULL AND NOT EXISTS"
                " (SELECT 1 FROM organization_avatars a WHERE a.name = o.name) ORDER BY o.name",
                batch,
            )
            found += [Organization(*row) for row in rows]
        return found
