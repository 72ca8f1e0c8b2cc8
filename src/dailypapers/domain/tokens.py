"""Signed tokens for links in mail: confirm, manage and unsubscribe, unforgeable and opaque.

A token names a subscriber by number and carries an HMAC over that number, the
purpose, the expiry, the address and the moment the subscription began. Neither the
address nor that moment is in the token (a link reveals nobody's address), but binding
them means a token cannot act on another subscriber who later got the same number, nor
on a later subscription of the same address: a link from before an unsubscribe stops
working once the reader subscribes again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

_MAC_BYTES = 18  # 144 bits: far beyond guessing, and a multiple of 3 for base64


class TokenPurpose(StrEnum):
    """What a link does; a token for one purpose is refused for another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """What a token says before it is checked against the subscriber it names."""

    subscriber_id: int
    expires: int | None  # Unix seconds, or None for a link that never expires
    mac: bytes


def sign_token(
    key: bytes,
    purpose: TokenPurpose,
    *,
    subscriber_id: int,
    email: str,
    subscribed_at: datetime,
    expires: int | None,
) -> str:
    """Return a token for this purpose and subscription, valid until `expires` (if given)."""
    body = str(subscriber_id) if expires is None else f"{subscriber_id}-{expires}"
    mac = _mac(key, purpose, body, email, subscribed_at)
    return f"{body}.{base64.urlsafe_b64encode(mac).decode()}"


def read_token(token: str) -> TokenClaim | None:
    """Return what a token claims, or None when it is not shaped like one of ours."""
    body, dot, encoded = token.partition(".")
    number, dash, expires = body.partition("-")
    if not dot or not number.isdigit() or len(number) > 18 or (dash and not expires.isdigit()):
        return None
    try:
        mac = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (ValueError, UnicodeError):
        return None
    if len(mac) != _MAC_BYTES or len(expires) > 12:
        return None
    return TokenClaim(int(number), int(expires) if dash else None, mac)


def token_is_valid(
    key: bytes,
    purpose: TokenPurpose,
    claim: TokenClaim,
    *,
    email: str,
    subscribed_at: datetime,
    now: int,
) -> bool:
    """Return whether we signed the claim for this purpose and subscription, and it is current."""
    if claim.expires is not None and now >= claim.expires:
        return False
    body = (
        str(claim.subscriber_id)
        if claim.expires is None
        else f"{claim.subscriber_id}-{claim.expires}"
    )
    return hmac.compare_digest(_mac(key, purpose, body, email, subscribed_at), claim.mac)


def _mac(
    key: bytes, purpose: TokenPurpose, body: str, email: str, subscribed_at: datetime
) -> bytes:
    """Return the token's HMAC over purpose, body, address and the subscription's start."""
    started = subscribed_at.astimezone(UTC).isoformat(timespec="microseconds")
    message = f"dailypapers subscription {purpose}:{body}:{email.lower()}:{started}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]
