"""The storage interface of a member's own data: what they did, read out or wiped."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class MemberDataStore(Protocol):
    """What exporting and deleting an account read and write."""

    def member_activity(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Return the member's votes, comments, dismissals and seeds as plain records."""
        ...

    def erase_member(self, user_id: int, *, remove_comments: bool, now: datetime) -> None:
        """Delete everything of the member's but, if kept, their comments (as a deleted member)."""
        ...
