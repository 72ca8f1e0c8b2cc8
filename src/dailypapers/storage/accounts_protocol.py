"""The storage interface of accounts: members, sessions, tokens, mailed links, rate limits."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from dailypapers.domain.accounts import AccessToken, Role, User


class AccountStore(Protocol):
    """What the account services read and write."""

    def create_user(
        self,
        *,
        username: str,
        fullname: str,
        email: str,
        password_hash: str,
        role: Role,
        now: datetime,
    ) -> User | None:
        """Insert a member; return None when the username or email is taken."""
        ...

    def get_user(self, user_id: int) -> User | None:
        """Return the member with this id, if any."""
        ...

    def find_user(self, username: str) -> User | None:
        """Return the member with this username, ignoring case."""
        ...

    def find_user_by_email(self, email: str) -> User | None:
        """Return the member with this (lowercased) email address."""
        ...

    def list_users(self, *, limit: int, offset: int = 0) -> list[User]:
        """Return members, newest first."""
        ...

    def get_password_hash(self, user_id: int) -> str | None:
        """Return the member's stored password hash."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the member's password hash."""
        ...

    def set_user_role(self, user_id: int, role: Role) -> None:
        """Change what the member may do."""
        ...

    def set_user_banned(self, user_id: int, banned_at: datetime | None) -> None:
        """Ban the member from this moment, or lift the ban with None."""
        ...

    def save_session(
        self, *, token_hash: str, user_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        """Keep a new session under the digest of its token."""
        ...

    def user_for_session(self, token_hash: str, *, now: datetime) -> User | None:
        """Return the member a live session belongs to, unless it expired or they are banned."""
        ...

    def delete_session(self, token_hash: str) -> None:
        """End one session."""
        ...

    def delete_user_sessions(self, user_id: int) -> int:
        """End every session of the member; return how many there were."""
        ...

    def save_access_token(
        self, *, user_id: int, name: str, token_hash: str, now: datetime
    ) -> AccessToken:
        """Keep a new personal access token under the digest of its secret."""
        ...

    def user_for_access_token(self, token_hash: str, *, now: datetime) -> User | None:
        """Return the member a token belongs to (unless banned), noting when it was used."""
        ...

    def list_access_tokens(self, user_id: int) -> list[AccessToken]:
        """Return the member's tokens, newest first."""
        ...

    def delete_access_token(self, *, user_id: int, token_id: int) -> bool:
        """Revoke one of the member's tokens; return whether it existed."""
        ...

    def save_mailed_link(
        self,
        *,
        token_hash: str,
        purpose: str,
        user_id: int | None,
        payload: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Keep a link sent by mail (a reset or a sign-up) under the digest of its token."""
        ...

    def peek_mailed_link(
        self, token_hash: str, *, purpose: str, now: datetime
    ) -> tuple[int | None, str] | None:
        """Return the live link's member id and payload without using it up."""
        ...

    def take_mailed_link(
        self, token_hash: str, *, purpose: str, now: datetime
    ) -> tuple[int | None, str] | None:
        """Use up a live link: delete it and return its member id and payload."""
        ...

    def delete_mailed_links(self, *, user_id: int, purpose: str) -> None:
        """Forget every link of this purpose sent to the member."""
        ...

    def hit_rate_limit(self, key: str, *, window_start: int, seconds: int) -> tuple[int, int]:
        """Count one hit against a key; return the previous and current windows' counts.

        Runs on its own, outside any transaction, and does not change the generation:
        counting requests must not empty the page cache.
        """
        ...
