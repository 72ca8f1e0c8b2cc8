"""Account queries both backends share: members, sessions, tokens, mailed links, rate limits."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from dailypapers.domain.accounts import AccessToken, Role, User
from dailypapers.domain.rate_limits import MAX_WINDOW_SECONDS
from dailypapers.storage.sql_values import (
    Row,
    SqlAccess,
    iso,
    to_datetime,
    to_optional_datetime,
)

_USER_COLUMNS = "u.id, u.username, u.fullname, u.email, u.role, u.created_at, u.banned_at"
TOKEN_USE_GRANULARITY = timedelta(hours=1)  # how stale last_used_at may be: spares a write a call
SWEEP_CHANCE = 0.01  # of a new window also clearing every key's old windows


def user_from_row(row: Row) -> User:
    """Build a member from the columns of _USER_COLUMNS."""
    return User(
        id=int(row[0]),
        username=row[1],
        fullname=row[2],
        email=row[3],
        role=Role(row[4]),
        created_at=to_datetime(row[5]),
        banned_at=to_optional_datetime(row[6]),
    )


class AccountsSql(SqlAccess):
    """The accounts half of SqlStorage."""

    # -- members -----------------------------------------------------------------------

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
        # No conflict target: either unique index (lower(username), email) makes it a no-op.
        rows = self._execute(
            "INSERT INTO users (username, fullname, email, password_hash, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (username, fullname, email, password_hash, role.value, iso(now)),
        )
        return self.get_user(int(rows[0][0])) if rows else None

    def _users_where(self, condition: str, params: tuple[object, ...]) -> list[User]:
        rows = self._execute(f"SELECT {_USER_COLUMNS} FROM users u WHERE {condition}", params)
        return [user_from_row(row) for row in rows]

    def get_user(self, user_id: int) -> User | None:
        """Return the member with this id, if any."""
        return next(iter(self._users_where("u.id = ?", (user_id,))), None)

    def find_user(self, username: str) -> User | None:
        """Return the member with this username, ignoring case."""
        return next(iter(self._users_where("lower(u.username) = lower(?)", (username,))), None)

    def find_user_by_email(self, email: str) -> User | None:
        """Return the member with this (lowercased) email address."""
        return next(iter(self._users_where("u.email = ?", (email,))), None)

    def list_users(self, *, limit: int, offset: int = 0) -> list[User]:
        """Return members, newest first."""
        rows = self._execute(
            f"SELECT {_USER_COLUMNS} FROM users u ORDER BY u.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [user_from_row(row) for row in rows]

    def get_password_hash(self, user_id: int) -> str | None:
        """Return the member's stored password hash."""
        rows = self._execute("SELECT password_hash FROM users WHERE id = ?", (user_id,))
        return str(rows[0][0]) if rows else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the member's password hash."""
        self._execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    def set_user_role(self, user_id: int, role: Role) -> None:
        """Change what the member may do."""
        self._execute("UPDATE users SET role = ? WHERE id = ?", (role.value, user_id))

    def set_user_banned(self, user_id: int, banned_at: datetime | None) -> None:
        """Ban the member from this moment, or lift the ban with None."""
        self._execute("UPDATE users SET banned_at = ? WHERE id = ?", (iso(banned_at), user_id))

    # -- sessions ----------------------------------------------------------------------

    def save_session(
        self, *, token_hash: str, user_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        """Keep a new session under the digest of its token."""
        self._execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, user_id, iso(created_at), iso(expires_at)),
        )

    def user_for_session(self, token_hash: str, *, now: datetime) -> User | None:
        """Return the member a live session belongs to, unless it expired or they are banned."""
        rows = self._execute(
            f"SELECT {_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND u.banned_at IS NULL",
            (token_hash, iso(now)),
        )
        return user_from_row(rows[0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        """End one session."""
        self._execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def delete_user_sessions(self, user_id: int) -> int:
        """End every session of the member; return how many there were."""
        rows = self._execute("DELETE FROM sessions WHERE user_id = ? RETURNING 1", (user_id,))
        return len(rows)

    # -- personal access tokens --------------------------------------------------------

    def save_access_token(
        self, *, user_id: int, name: str, token_hash: str, now: datetime
    ) -> AccessToken:
        """Keep a new personal access token under the digest of its secret."""
        rows = self._execute(
            "INSERT INTO access_tokens (user_id, name, token_hash, created_at)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (user_id, name, token_hash, iso(now)),
        )
        return AccessToken(int(rows[0][0]), name, now)

    def user_for_access_token(self, token_hash: str, *, now: datetime) -> User | None:
        """Return the member a token belongs to (unless banned), noting when it was used."""
        rows = self._execute(
            f"SELECT {_USER_COLUMNS}, t.id, t.last_used_at FROM access_tokens t"
            " JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.banned_at IS NULL",
            (token_hash,),
        )
        if not rows:
            return None
        token_id, last_used = rows[0][-2], to_optional_datetime(rows[0][-1])
        if last_used is None or now - last_used > TOKEN_USE_GRANULARITY:
            self._execute(
                "UPDATE access_tokens SET last_used_at = ? WHERE id = ?", (iso(now), token_id)
            )
        return user_from_row(rows[0][:-2])

    def list_access_tokens(self, user_id: int) -> list[AccessToken]:
        """Return the member's tokens, newest first."""
        rows = self._execute(
            "SELECT id, name, created_at, last_used_at FROM access_tokens WHERE user_id = ?"
            " ORDER BY id DESC",
            (user_id,),
        )
        return [
            AccessToken(int(row[0]), row[1], to_datetime(row[2]), to_optional_datetime(row[3]))
            for row in rows
        ]

    def delete_access_token(self, *, user_id: int, token_id: int) -> bool:
        """Revoke one of the member's tokens; return whether it existed."""
        rows = self._execute(
            "DELETE FROM access_tokens WHERE id = ? AND user_id = ? RETURNING 1",
            (token_id, user_id),
        )
        return bool(rows)

    # -- links sent by mail --------------------------------------------------------------

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
        self._execute(
            "INSERT INTO mailed_links (token_hash, purpose, user_id, payload, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, purpose, user_id, payload, iso(created_at), iso(expires_at)),
        )

    def peek_mailed_link(
        self, token_hash: str, *, purpose: str, now: datetime
    ) -> tuple[int | None, str] | None:
        """Return the live link's member id and payload without using it up."""
        rows = self._execute(
            "SELECT user_id, payload FROM mailed_links"
            " WHERE token_hash = ? AND purpose = ? AND expires_at > ?",
            (token_hash, purpose, iso(now)),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def take_mailed_link(
        self, token_hash: str, *, purpose: str, now: datetime
    ) -> tuple[int | None, str] | None:
        """Use up a live link: delete it and return its member id and payload."""
        # One statement: two requests racing with the same link cannot both get it.
        rows = self._execute(
            "DELETE FROM mailed_links WHERE token_hash = ? AND purpose = ? AND expires_at > ?"
            " RETURNING user_id, payload",
            (token_hash, purpose, iso(now)),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def delete_mailed_links(self, *, user_id: int, purpose: str) -> None:
        """Forget every link of this purpose sent to the member."""
        self._execute(
            "DELETE FROM mailed_links WHERE user_id = ? AND purpose = ?", (user_id, purpose)
        )

    # -- rate limits -----------------------------------------------------------------------

    def hit_rate_limit(self, key: str, *, window_start: int, seconds: int) -> tuple[int, int]:
        """Count one hit against a key; return the previous and current windows' counts."""
        rows = self._execute(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES (?, ?, 1)"
            " ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1"
            " RETURNING hits",
            (key, window_start),
        )
        current = int(rows[0][0])
        if current == 1:  # a new window: the one before last is no longer needed
            self._execute(
                "DELETE FROM rate_limits WHERE key = ? AND window_start < ?",
                (key, window_start - seconds),
            )
            if random.random() < SWEEP_CHANCE:  # keys that never came back (addresses, say)
                self._execute(
                    "DELETE FROM rate_limits WHERE window_start < ?",
                    (window_start - 2 * MAX_WINDOW_SECONDS,),
                )
        previous = self._execute(
            "SELECT hits FROM rate_limits WHERE key = ? AND window_start = ?",
            (key, window_start - seconds),
        )
        return (int(previous[0][0]) if previous else 0), current
