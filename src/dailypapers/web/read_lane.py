"""The read lane: the busiest pages, whose work is bounded, run one at a time on one thread.

Python's sqlite3 gives the GIL up around each row it reads and takes it back after. With
several threads reading at once, every row hands the GIL to another thread and back: on a
signed-in `/api/daily_papers`, four threads made 215 context switches a request and spent
3.7 ms of CPU on it, one thread 7 and 1.4 ms (docs/performance.md). So listings of a period
or an organization, For you and the paper API run here, one at a time. Everything that may
take long or wait on something else (the network, a password hash, a search's model, a
ranking of every paper ever featured) stays in the thread pool, so it never holds the lane.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

P = ParamSpec("P")
T = TypeVar("T")

_LANE: RunVar[anyio.CapacityLimiter] = RunVar("read_lane")


def _lane() -> anyio.CapacityLimiter:
    """Return this event loop's lane (a limiter belongs to the loop that made it)."""
    try:
        return _LANE.get()
    except LookupError:
        lane = anyio.CapacityLimiter(1)
        _LANE.set(lane)
        return lane


async def in_read_lane(work: Callable[[], T]) -> T:
    """Run this bounded work in the read lane, after the work queued before it."""
    return await anyio.to_thread.run_sync(work, limiter=_lane())


def read_lane(route: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Make a sync route run in the read lane instead of the thread pool.

    FastAPI reads the route's parameters through `functools.wraps`, and awaits the result
    on the event loop as it does for any `async def` route.
    """

    @functools.wraps(route)
    async def run_in_lane(*args: P.args, **kwargs: P.kwargs) -> T:
        return await in_read_lane(functools.partial(route, *args, **kwargs))

    return run_in_lane
