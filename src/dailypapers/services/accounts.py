"""Sign up, sign in and out, reset a password, and issue personal access tokens.

Secrets (session tokens, access tokens, mailed links) are random 256-bit strings
handed out once; only their SHA-256 digests are stored. The caller owns the
transaction of every function that writes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from dailypapers.domain.accounts import (
    AccessToken,
    Role,
    User,
    clean_fullname,
    normalize_email,
    validate_name,
    validate_password,
)
from dailypapers.services.errors import Conflict, InvalidInput, NotAllowed
from dailypapers.services.passwords import hash_password, needs_rehash, verify_password
from dailypapers.storage.accounts_protocol import AccountStore
from dailypapers.storage.base import Storage

ACCESS_TOKEN_PREFIX = "dp_"  # lets secret scanners and people tell what a leaked string is
RESET_LINK_LIFETIME = timedelta(hours=1)
SIGNUP_LINK_LIFETIME = timedelta(days=2)


def new_secret() -> str:
    """Return a fresh random secret, URL-safe, 256 bits."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Return the SHA-256 digest under which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(
    *,
    storage: AccountStore,
    hasher: PasswordHasher,
    username: str,
    email: str,
    password: str,
    now: datetime,
    fullname: str = "",
    role: Role = Role.MEMBER,
) -> User:
    """Create a member with this password; raise InvalidInput or Conflict."""
    name, address, shown = _checked_signup(username, email, password, fullname)
    user = storage.create_user(
        username=name,
        fullname=shown,
        email=address,
        password_hash=hash_password(hasher, password),
        role=role,
        now=now,
    )
    if user is None:
        raise Conflict("that username or email address is already taken")
    return user


class AccountBanned(NotAllowed):
    """The member signed in with the right password but is banned."""


def authenticate(
    *, storage: AccountStore, hasher: PasswordHasher, login: str, password: str
) -> User | None:
    """Return the member whose username or email and password these are, else None.

    A missing member costs the same hash check as a wrong password. A banned member
    with the right password gets AccountBanned. An old hash is upgraded in place.
    """
    user = _member_named(storage, login)
    stored = storage.get_password_hash(user.id) if user else None
    if not verify_password(hasher, stored, password) or user is None or stored is None:
        return None
    if user.banned:
        raise AccountBanned("this account is banned")
    if needs_rehash(hasher, stored):
        storage.set_password_hash(user.id, hash_password(hasher, password))
    return user


def sign_in_subject(*, storage: Storage, login: str) -> str:
    """Return whom a sign-in attempt counts against: the member its login names, by number.

    Typing the username or the address of one member is one account to the rate limits,
    so switching between them buys a guesser no more tries. A login that names nobody
    counts as itself.
    """
    user = _member_named(storage, login)
    return f"member {user.id}" if user else login.strip().lower()


def _member_named(storage: AccountStore, login: str) -> User | None:
    """Return the member whose username, or address if it has an @, this login is."""
    login = login.strip()
    return storage.find_user_by_email(login.lower()) if "@" in login else storage.find_user(login)


def session_lifetime(days: int) -> timedelta:
    """Return how long a sign-in lasts, from the site's setting in days."""
    return timedelta(days=days)


def start_session(*, storage: AccountStore, user: User, now: datetime, lifetime: timedelta) -> str:
    """Open a session for the member; return the token for the cookie."""
    token = new_secret()
    storage.save_session(
        token_hash=digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime
    )
    return token


def session_user(*, storage: AccountStore, token: str, now: datetime) -> User | None:
    """Return the member a session token belongs to, if it is live."""
    return storage.user_for_session(digest(token), now=now)


def end_session(*, storage: AccountStore, token: str) -> None:
    """End the session this token opened."""
    storage.delete_session(digest(token))


def change_password(
    *,
    storage: AccountStore,
    hasher: PasswordHasher,
    user: User,
    current: str,
    new: str,
) -> None:
    """Replace the member's password after checking the current one; end their sessions."""
    if not verify_password(hasher, storage.get_password_hash(user.id), current):
        raise NotAllowed("the current password is wrong")
    _set_password(storage=storage, hasher=hasher, user_id=user.id, password=new)


def _set_password(
    *, storage: AccountStore, hasher: PasswordHasher, user_id: int, password: str
) -> None:
    try:
        validate_password(password)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    storage.set_password_hash(user_id, hash_password(hasher, password))
    # Whoever knew the old password may hold a session or a reset link: end them all.
    storage.delete_user_sessions(user_id)
    storage.delete_mailed_links(user_id=user_id, purpose="reset")


# -- personal access tokens --------------------------------------------------------------


def create_access_token(
    *, storage: AccountStore, user: User, name: str, now: datetime
) -> tuple[AccessToken, str]:
    """Issue a token for the member; return it and its secret, which is shown only now."""
    label = " ".join(name.split())[:100] or "token"
    secret = ACCESS_TOKEN_PREFIX + new_secret()
    token = storage.save_access_token(
        user_id=user.id, name=label, token_hash=digest(secret), now=now
    )
    return token, secret


def access_token_user(*, storage: AccountStore, secret: str, now: datetime) -> User | None:
    """Return the member a token secret belongs to, or None for an unknown or revoked one."""
    if not secret.startswith(ACCESS_TOKEN_PREFIX):
        return None
    return storage.user_for_access_token(digest(secret), now=now)


# -- sign-up and password reset by mailed link ---------------------------------------------


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """What a sign-up form asked for: a link to mail, or word that the address has a member."""

    email: str
    link_token: str | None  # None: the address already belongs to `existing`
    existing: User | None = None


def request_signup(
    *,
    storage: AccountStore,
    hasher: PasswordHasher,
    username: str,
    email: str,
    password: str,
    fullname: str,
    now: datetime,
) -> SignupRequest:
    """Check a sign-up and keep it until the address confirms it by the mailed link.

    Whether the address is registered is not for the person asking to learn: the
    caller answers both cases alike and mails the address either the link or a note.
    The password is hashed in both cases so that the two take as long.
    """
    name, address, shown = _checked_signup(username, email, password, fullname)
    password_hash = hash_password(hasher, password)
    if storage.find_user(name) is not None:
        raise Conflict(f"the username {name!r} is taken")  # usernames are public anyway
    existing = storage.find_user_by_email(address)
    if existing is not None:
        return SignupRequest(address, None, existing)
    token = new_secret()
    payload = {"username": name, "email": address, "fullname": shown, "hash": password_hash}
    storage.save_mailed_link(
        token_hash=digest(token),
        purpose="signup",
        user_id=None,
        payload=json.dumps(payload),
        created_at=now,
        expires_at=now + SIGNUP_LINK_LIFETIME,
    )
    return SignupRequest(address, token)


def confirm_signup(*, storage: AccountStore, token: str, now: datetime) -> User:
    """Create the member a mailed sign-up link stands for; the link works once."""
    found = storage.take_mailed_link(digest(token), purpose="signup", now=now)
    if found is None:
        raise InvalidInput("this sign-up link is unknown, used or expired: sign up again")
    details = json.loads(found[1])
    user = storage.create_user(
        username=details["username"],
        fullname=details["fullname"],
        email=details["email"],
        password_hash=details["hash"],
        role=Role.MEMBER,
        now=now,
    )
    if user is None:
        raise Conflict("that username or address was taken meanwhile: sign up again")
    return user


def request_password_reset(
    *, storage: AccountStore, email: str, now: datetime
) -> tuple[User, str] | None:
    """Return the member and a reset token for the address, or None if it has no member."""
    try:
        address = normalize_email(email)
    except ValueError:
        return None
    user = storage.find_user_by_email(address)
    if user is None or user.banned:
        return None
    token = new_secret()
    storage.save_mailed_link(
        token_hash=digest(token),
        purpose="reset",
        user_id=user.id,
        payload="{}",
        created_at=now,
        expires_at=now + RESET_LINK_LIFETIME,
    )
    return user, token


def mailed_link_is_live(*, storage: AccountStore, token: str, purpose: str, now: datetime) -> bool:
    """Tell whether a mailed link (reset or signup) can still be used, without using it."""
    return storage.peek_mailed_link(digest(token), purpose=purpose, now=now) is not None


def reset_password(
    *, storage: AccountStore, hasher: PasswordHasher, token: str, password: str, now: datetime
) -> User:
    """Set a new password through a mailed reset link; the link works once."""
    try:
        validate_password(password)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    found = storage.take_mailed_link(digest(token), purpose="reset", now=now)
    user = storage.get_user(found[0]) if found and found[0] is not None else None
    if user is None:
        raise InvalidInput("this reset link is unknown, used or expired: ask for a new one")
    _set_password(storage=storage, hasher=hasher, user_id=user.id, password=password)
    return user


def _checked_signup(
    username: str, email: str, password: str, fullname: str
) -> tuple[str, str, str]:
    """Return the username, address and shown name a sign-up gives; raise InvalidInput."""
    try:
        name = validate_name(username)
        address = normalize_email(email)
        validate_password(password)
        return name, address, clean_fullname(fullname)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
