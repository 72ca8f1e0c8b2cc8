"""Members of the site: who they are, what they may do, and what their names may be."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Like Hugging Face's: letters, digits, '-' and '_', starting with a letter or digit. Names
# show up in URLs and mentions, so nothing else is allowed; free text goes in `fullname`.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,38}")
_EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work per request
MAX_FULLNAME_LENGTH = 100
# Names that would read as the site speaking, or clash with its paths.
RESERVED_NAMES = frozenset(
    {"admin", "administrator", "api", "moderator", "new", "root", "settings", "signin", "signup"}
)


class Role(StrEnum):
    """What a member may do beyond reading, voting, submitting and commenting."""

    MEMBER = "member"
    MODERATOR = "moderator"  # also hides comments and submissions, bans members
    ADMIN = "admin"  # also approves authorship claims and sets roles


class SubmitPolicy(StrEnum):
    """Who may submit papers to the site."""

    SIGNED_IN = "signed_in"
    MEMBERS = "members"  # of at least one organization
    ADMINS = "admins"


@dataclass(frozen=True, slots=True)
class User:
    """A member of the site."""

    id: int
    username: str
    fullname: str
    email: str
    role: Role
    created_at: datetime
    banned_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        """Tell whether the member administers the site."""
        return self.role is Role.ADMIN

    @property
    def can_moderate(self) -> bool:
        """Tell whether the member may hide content and ban members."""
        return self.role in (Role.ADMIN, Role.MODERATOR)

    @property
    def banned(self) -> bool:
        """Tell whether a moderator has banned the member."""
        return self.banned_at is not None

    @property
    def shown_name(self) -> str:
        """Return the name to show: the full name, else the username."""
        return self.fullname or self.username


def validate_name(name: str, *, what: str = "username") -> str:
    """Return the name if it is a valid username or organization name; else raise ValueError."""
    if not USERNAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"a {what} has 2 to 39 letters, digits, '-' or '_', and starts with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved; choose another {what}")
    return name


def normalize_email(email: str) -> str:
    """Return the address trimmed and lowercased; raise ValueError if it is no address."""
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL_PATTERN.fullmatch(address):
        raise ValueError("enter an email address such as ada@example.org")
    return address


def validate_password(password: str) -> str:
    """Return the password if it is long enough to keep; else raise ValueError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def clean_fullname(fullname: str) -> str:
    """Return a display name squeezed to one line; raise ValueError if it is too long."""
    name = " ".join(fullname.split())
    if len(name) > MAX_FULLNAME_LENGTH:
        raise ValueError(f"a name has at most {MAX_FULLNAME_LENGTH} characters")
    return name


def may_submit(user: User, policy: SubmitPolicy, *, organization_count: int) -> bool:
    """Tell whether the member may submit papers under the site's policy."""
    if user.banned:
        return False
    if policy is SubmitPolicy.ADMINS:
        return user.is_admin
    if policy is SubmitPolicy.MEMBERS:
        return user.is_admin or organization_count > 0
    return True


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A personal access token as listed to its owner (the secret itself is never kept)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
