"""Hash and check passwords with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A hash of nothing in particular, checked when no member matches a sign-in, so that a
# wrong username takes as long to refuse as a wrong password.
_DECOY_PASSWORD = "decoy password: no member has this one"


def make_hasher() -> PasswordHasher:
    """Return argon2-cffi's hasher: argon2id with RFC 9106's low-memory parameters."""
    return PasswordHasher()


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """Return the PHC string of the password's argon2id hash."""
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """Tell whether the password matches the hash; with no hash, spend the same time and fail."""
    try:
        return hasher.verify(password_hash or _decoy_hash(hasher), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    """Tell whether the hash was made with other parameters than the hasher's."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_decoys: dict[tuple[int, int, int], str] = {}


def _decoy_hash(hasher: PasswordHasher) -> str:
    """Return a hash made with this hasher's parameters, made once per parameter set."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _decoys:
        _decoys[key] = hasher.hash(_DECOY_PASSWORD)
    return _decoys[key]
