"""The read lane: the busiest bounded pages run one at a time; nothing long ever holds them up."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from dailypapers.storage import Storage
from dailypapers.web.read_lane import in_read_lane

from support.sites import make_app

WAIT_S = 10  # far longer than any of these requests takes


def test_work_in_the_lane_runs_one_at_a_time_off_the_event_loop() -> None:
    running: list[int] = []
    threads: set[int] = set()
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal most
        with lock:
            running.append(1)
            most = max(most, len(running))
        threads.add(threading.get_ident())
        time.sleep(0.02)
        with lock:
            running.pop()

    async def main() -> int:
        await asyncio.gather(*(in_read_lane(work) for _ in range(6)))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert most == 1
    assert loop_thread not in threads


LANE_PAGES = [
    "/",
    "/papers/date/2025-10-17",
    "/papers/week/2024-W50?sort=upvotes",
    "/organizations/RUC",
    "/api/papers/2510.14545",
    "/api/daily_papers?date=2025-10-17",
    "/api/daily_papers?month=2025-01&sort=trending",
    "/api/daily_papers?p=3&limit=100",
]
# Ranking every paper ever featured, deep pages of all of them, and pages that may wait on
# something else (a similar-papers walk, a search's model) run in the thread pool.
POOL_PAGES = [
    "/api/daily_papers?sort=trending",
    "/api/daily_papers?submitter=dongguanting&sort=trending",
    "/api/daily_papers?p=20&limit=50",
    "/papers/2510.14545",
]


async def _while_the_lane_is_held(storage: Storage, paths: list[str]) -> dict[str, bool]:
    """Hold the lane, request each path, tell which answered before it was let go."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(WAIT_S)

    transport = httpx.ASGITransport(make_app(storage, cache_seconds=0))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        holder = asyncio.create_task(in_read_lane(hold))
        await asyncio.to_thread(started.wait, WAIT_S)
        requests = {path: asyncio.create_task(client.get(path)) for path in paths}
        await asyncio.wait(requests.values(), timeout=1.0)
        answered = {path: request.done() for path, request in requests.items()}
        release.set()
        await holder
        responses = {path: await request for path, request in requests.items()}
    assert {path: response.status_code for path, response in responses.items()} == dict.fromkeys(
        paths, 200
    )
    return answered


def test_listings_of_a_period_and_the_paper_api_wait_their_turn_in_the_lane(
    loaded_storage: Storage,
) -> None:
    answered = asyncio.run(_while_the_lane_is_held(loaded_storage, LANE_PAGES))
    assert answered == dict.fromkeys(LANE_PAGES, False)


@pytest.mark.parametrize("path", POOL_PAGES)
def test_long_or_waiting_work_never_waits_for_the_lane(loaded_storage: Storage, path: str) -> None:
    assert asyncio.run(_while_the_lane_is_held(loaded_storage, [path])) == {path: True}
