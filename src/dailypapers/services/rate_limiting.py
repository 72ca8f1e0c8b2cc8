"""Refuse an action taken too often, per account and per address."""

from __future__ import annotations

from collections.abc import Mapping

from dailypapers.domain.rate_limits import (
    Action,
    RateLimit,
    Scope,
    estimate,
    retry_after,
    window_start,
)
from dailypapers.storage.accounts_protocol import AccountStore


class RateLimited(Exception):
    """The action was taken too often; try again after `retry_after` seconds."""

    def __init__(self, action: Action, retry_after: int) -> None:
        super().__init__(f"too many {action.value} attempts: try again in {retry_after} s")
        self.action = action
        self.retry_after = retry_after


def check_rate_limits(
    *,
    storage: AccountStore,
    limits: Mapping[tuple[Action, Scope], RateLimit],
    action: Action,
    subjects: Mapping[Scope, str | None],
    now_s: float,
) -> None:
    """Count the action against each subject; raise RateLimited if any is over its limit.

    Every attempt counts, refused ones too, so that hammering keeps a client out.
    Runs outside any transaction (see Storage.hit_rate_limit).
    """
    waits = []
    for scope, subject in subjects.items():
        limit = limits.get((action, scope))
        if limit is None or limit.count == 0 or not subject:
            continue
        start = window_start(now_s, limit.seconds)
        previous, current = storage.hit_rate_limit(
            f"{action.value}:{scope.value}:{subject.lower()}",
            window_start=start,
            seconds=limit.seconds,
        )
        elapsed = now_s - start
        if estimate(previous=previous, current=current, elapsed=elapsed, seconds=limit.seconds) > (
            limit.count
        ):
            waits.append(
                retry_after(limit=limit, previous=previous, current=current, elapsed=elapsed)
            )
    if waits:
        raise RateLimited(action, max(waits))
