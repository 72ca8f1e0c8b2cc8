"""How often each action may be taken, per account and per address, and when to try again.

Counts are kept per fixed window and read as a sliding window: the previous window's
count weighs as much as the part of it that still overlaps the last `seconds`
(Cloudflare's approximation). It needs two counters per key, never bursts to twice
the limit at a window's edge, and tells exactly how long to wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

MAX_WINDOW_SECONDS = 86_400


class Action(StrEnum):
    """The actions that are limited."""

    SIGNIN = "signin"
    SIGNUP = "signup"
    RESET = "reset"
    SUBMIT = "submit"
    COMMENT = "comment"
    VOTE = "vote"


class Scope(StrEnum):
    """Whom a limit counts against."""

    ACCOUNT = "account"  # the member, or the username or address an anonymous form names
    IP = "ip"
    ACCOUNT_IP = "account_ip"  # one account from one address: a guesser slows only itself


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` actions in any `seconds`; a count of 0 means no limit."""

    count: int
    seconds: int


DEFAULT_LIMITS: dict[tuple[Action, Scope], RateLimit] = {
    # Guessing one member's password is counted per account and address together (OWASP), so
    # that a guesser locks out only itself, never the owner signing in from elsewhere. The
    # account's own limit is a backstop against guessing from many addresses: one address
    # alone cannot reach it.
    (Action.SIGNIN, Scope.ACCOUNT_IP): RateLimit(10, 900),
    (Action.SIGNIN, Scope.ACCOUNT): RateLimit(100, 900),
    (Action.SIGNIN, Scope.IP): RateLimit(30, 300),  # trying many members' passwords
    (Action.SIGNUP, Scope.ACCOUNT): RateLimit(3, 3600),  # mail to one address
    (Action.SIGNUP, Scope.IP): RateLimit(10, 3600),
    (Action.RESET, Scope.ACCOUNT): RateLimit(3, 3600),
    (Action.RESET, Scope.IP): RateLimit(10, 3600),
    (Action.SUBMIT, Scope.ACCOUNT): RateLimit(20, 3600),
    (Action.SUBMIT, Scope.IP): RateLimit(60, 3600),
    (Action.COMMENT, Scope.ACCOUNT): RateLimit(20, 600),
    (Action.COMMENT, Scope.IP): RateLimit(100, 600),
    (Action.VOTE, Scope.ACCOUNT): RateLimit(60, 60),
    (Action.VOTE, Scope.IP): RateLimit(600, 60),
}


def parse_rate_limits(text: str) -> dict[tuple[Action, Scope], RateLimit]:
    """Return the default limits with overrides such as 'signin.ip=20/900, vote.account=0'."""
    limits = dict(DEFAULT_LIMITS)
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        name, _, value = part.partition("=")
        action, _, scope = name.strip().partition(".")
        count, _, seconds = value.strip().partition("/")
        try:
            key = (Action(action), Scope(scope))
            default = DEFAULT_LIMITS[key]
            limit = RateLimit(int(count), int(seconds) if seconds else default.seconds)
        except (ValueError, KeyError):
            raise ValueError(
                f"bad rate limit {part!r}: write ACTION.SCOPE=COUNT/SECONDS with ACTION one of"
                f" {', '.join(Action)} and SCOPE account or ip (or, for signin, account_ip)"
            ) from None
        if limit.count < 0 or not 1 <= limit.seconds <= MAX_WINDOW_SECONDS:
            raise ValueError(
                f"bad rate limit {part!r}: COUNT >= 0 and 1 <= SECONDS <= {MAX_WINDOW_SECONDS}"
            )
        limits[key] = limit
    return limits


def window_start(now_s: float, seconds: int) -> int:
    """Return the start of the fixed window that holds this moment (Unix seconds)."""
    return int(now_s // seconds) * seconds


def estimate(*, previous: int, current: int, elapsed: float, seconds: int) -> float:
    """Return the sliding-window count: this window plus the overlapping share of the last."""
    return previous * max(0.0, 1 - elapsed / seconds) + current


def retry_after(*, limit: RateLimit, previous: int, current: int, elapsed: float) -> int:
    """Return the whole seconds to wait until one more action fits, if no other comes."""
    room = limit.count - 1  # what the estimate must fall to for the next action to fit
    window = limit.seconds
    if current <= room and previous > 0:
        # Still in this window, once enough of the previous one has slid out.
        wait = window * (1 - (room - current) / previous) - elapsed
        if elapsed + wait < window:
            return max(1, math.ceil(wait))
    # In the next window, once enough of this one has slid out.
    share = window * (1 - room / current) if current > room else 0.0
    return max(1, math.ceil(window - elapsed + share))
