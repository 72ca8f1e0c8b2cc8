"""A member's own data in SQL both backends share: read it all out, or erase it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dailypapers.storage.sql_values import SqlAccess, iso, to_datetime, to_optional_datetime

DELETED_NAME = "deleted member"


def _moment(value: Any) -> str | None:
    moment = to_optional_datetime(value)
    return moment.isoformat() if moment else None


class MemberDataSql(SqlAccess):
    """The member-data part of SqlStorage."""

    def member_activity(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Return the member's votes, comments, dismissals and seeds as plain records."""
        votes = self._execute(
            "SELECT paper_id, created_at FROM votes WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        comments = self._execute(
            "SELECT id, paper_id, parent_id, body, created_at, edited_at, deleted_at"
            " FROM comments WHERE user_id = ? ORDER BY created_at, id",
            (user_id,),
        )
        dismissals = self._execute(
            "SELECT paper_id, created_at FROM dismissals WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        seeds = self._execute(
            "SELECT paper_id, created_at FROM interest_seeds WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        follows = self._execute(
            "SELECT kind, key, label, created_at FROM follows WHERE user_id = ?"
            " ORDER BY created_at, kind, key",
            (user_id,),
        )
        return {
            "votes": [{"paper": p, "at": to_datetime(at).isoformat()} for p, at in votes],
            "follows": [
                {"kind": kind, "key": key, "label": label, "at": to_datetime(at).isoformat()}
                for kind, key, label, at in follows
            ],
            "comments": [
                {
                    "id": int(row[0]),
                    "paper": row[1],
                    "parent": int(row[2]) if row[2] is not None else None,
                    "body": row[3],
                    "createdAt": _moment(row[4]),
                    "editedAt": _moment(row[5]),
                    "deletedAt": _moment(row[6]),
                }
                for row in comments
            ],
            "notInterested": [
                {"paper": p, "at": to_datetime(at).isoformat()} for p, at in dismissals
            ],
            "startedFrom": [{"paper": p, "at": to_datetime(at).isoformat()} for p, at in seeds],
        }

    def erase_member(self, user_id: int, *, remove_comments: bool, now: datetime) -> None:
        """Delete everything of the member's but, if kept, their comments (as a deleted member).

        The member row stays, renamed and unable to sign in, because kept comments, moderation
        records and submissions point at it.
        """
        with self._transaction():
            # Live counts drop with the votes, as when a vote is taken back.
            self._execute(
                "UPDATE papers SET local_upvotes = local_upvotes - 1"
                " WHERE id IN (SELECT paper_id FROM votes WHERE user_id = ?)",
                (user_id,),
            )
            if remove_comments:
                self._execute(
                    "UPDATE papers SET local_comments = local_comments - ("
                    " SELECT COUNT(*) FROM comments c WHERE c.paper_id = papers.id"
                    " AND c.user_id = ? AND c.deleted_at IS NULL AND c.hidden_at IS NULL)"
                    " WHERE id IN (SELECT paper_id FROM comments WHERE user_id = ?"
                    " AND deleted_at IS NULL AND hidden_at IS NULL)",
                    (user_id, user_id),
                )
                self._execute(
                    "UPDATE comments SET body = '', deleted_at = ?"
                    " WHERE user_id = ? AND deleted_at IS NULL",
                    (iso(now), user_id),
                )
            for statement in (
                "DELETE FROM votes WHERE user_id = ?",
                "DELETE FROM collection_papers WHERE collection_id IN"
                " (SELECT id FROM collections WHERE user_id = ?)",
                "DELETE FROM collections WHERE user_id = ?",
                "DELETE FROM dismissals WHERE user_id = ?",
                "DELETE FROM interest_seeds WHERE user_id = ?",
                "DELETE FROM member_models WHERE user_id = ?",
                "DELETE FROM digest_for_you WHERE user_id = ?",
                "DELETE FROM follows WHERE user_id = ?",
                "DELETE FROM follow_settings WHERE user_id = ?",
                "DELETE FROM public_upvotes WHERE user_id = ?",
                "DELETE FROM sessions WHERE user_id = ?",
                "DELETE FROM access_tokens WHERE user_id = ?",
                "DELETE FROM mailed_links WHERE user_id = ?",
                "DELETE FROM organization_members WHERE user_id = ?",
                "DELETE FROM authorship_claims WHERE user_id = ?",
            ):
                self._execute(statement, (user_id,))
            # '!' is no argon2 hash: no password ever matches it.
            self._execute(
                "UPDATE users SET username = ?, fullname = ?, email = ?, password_hash = '!'"
                " WHERE id = ?",
                (f"deleted-{user_id}", DELETED_NAME, f"deleted-{user_id}@deleted.invalid", user_id),
            )
