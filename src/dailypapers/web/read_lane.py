"""The read lane: the busiest pages, whose work is bounded, run one at a time.

Python's sqlite3 gives the GIL up around each row it reads and takes it back after. With
several threads reading at once, every row hands the GIL to another thread and back: on a
signed-in `/api/daily_papers`, four threads made 215 context switches a request and spent
3.7 ms of CPU on it, one thread 7 and 1.4 ms (docs/performance.md). So listings of a period
or an organization, For you, paper pages and the paper API run here, one at a time.
Everything that may take long or wait on something else (the network, a password hash, a
search's model, a walk of the vector index, a ranking of every paper ever featured) stays
in the thread pool, so it never holds the lane.

On SQLite the lane is the event loop itself: its reads are CPU work in this process, about a
millisecond a page whose ranking is kept, and handing them to a thread and back cost a third
of that again. On PostgreSQL each read waits on a socket, so the lane is one thread and the
loop goes on. What the loop then waits for, as the lane's thread did before: a ranking made
afresh or read to a deep page (a month's: 60 ms at 7,500 papers, after any write or once a
minute), the first For you of a new window (its papers' vectors and words, about half a
second, at a start and once a day), and pages of the database file the system has not cached.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

from dailypapers.storage import Storage

P = ParamSpec("P")
T = TypeVar("T")

_LANE: RunVar[anyio.CapacityLimiter] = RunVar("read_lane")


def _lane() -> anyio.CapacityLimiter:
    """Return this event loop's lane thread (a limiter belongs to the loop that made it)."""
    try:
        return _LANE.get()
    except LookupError:
        lane = anyio.CapacityLimiter(1)
        _LANE.set(lane)
        return lane


def reads_on_the_loop(storage: Storage) -> bool:
    """Tell whether this storage's short reads run on the event loop itself (SQLite's)."""
    return storage.dialect == "sqlite"


async def in_read_lane(storage: Storage, work: Callable[[], T]) -> T:
    """Run this bounded work of `storage` in the read lane, after the work queued before it."""
    if reads_on_the_loop(storage):
        return work()  # on the loop, which runs one thing at a time
    return await anyio.to_thread.run_sync(work, limiter=_lane())


def read_lane(route: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Make a sync route that takes `storage` run in the read lane instead of the thread pool.

    FastAPI reads the route's parameters through `functools.wraps`, passes them by name, and
    awaits the result on the event loop as it does for any `async def` route.
    """
    if "storage" not in inspect.signature(route).parameters:
        raise TypeError(f"{route.__name__} takes no storage: the lane would not know its kind")

    @functools.wraps(route)
    async def run_in_lane(*args: P.args, **kwargs: P.kwargs) -> T:
        storage: Storage = kwargs["storage"]  # type: ignore[assignment]
        return await in_read_lane(storage, functools.partial(route, *args, **kwargs))

    return run_in_lane
