"""The read lane: the busiest bounded pages run one at a time; nothing long ever holds them up.

On SQLite the lane is the event loop itself; on PostgreSQL it is one thread beside it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from dailypapers.search.hybrid import HybridSearcher
from dailypapers.services.semantic_index import embed_missing
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage
from dailypapers.web.app import create_app
from dailypapers.web.read_lane import in_read_lane

from support.accounts import PAPER, add_member, csrf, make_site, member_client
from support.embedders import HashingEmbedder
from support.sites import NOW, load_recorded_days, make_app

WAIT_S = 10  # far longer than any of these requests takes

LANE_PAGES = [
    "/",
    "/papers/date/2025-10-17",
    "/papers/week/2024-W50?sort=upvotes",
    "/organizations/RUC",
    "/api/papers/2510.14545",
    "/api/daily_papers?date=2025-10-17",
    "/api/daily_papers?month=2025-01&sort=trending",
    "/api/daily_papers?p=3&limit=100",
    "/papers/2510.14545",  # but a walk of the vector index runs in the pool: see below
]
# Ranking every paper ever featured (or every paper of an author), deep pages of all of
# them, and pages that may wait on something else (a search's model) run in the thread pool.
POOL_PAGES = [
    "/api/daily_papers?sort=trending",
    "/api/daily_papers?submitter=dongguanting&sort=trending",
    "/api/daily_papers?p=20&limit=50",
]


def _pages(storage: Storage) -> tuple[list[str], list[str]]:
    """Return the pages of the lane and of the pool, with an author's pages of each kind."""
    author = "/authors/" + quote(storage.get_papers(["2510.14545"])["2510.14545"].authors[0])
    return [*LANE_PAGES, author], [*POOL_PAGES, f"{author}?sort=trending"]


def _one_at_a_time(storage: Storage) -> tuple[int, set[int], int]:
    """Run six pieces of work in the lane at once; return the most running together, their
    threads and the event loop's thread."""
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
        await asyncio.gather(*(in_read_lane(storage, work) for _ in range(6)))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    return most, threads, loop_thread


def test_sqlite_reads_in_the_lane_run_on_the_event_loop(storage: Storage) -> None:
    most, threads, loop_thread = _one_at_a_time(storage)
    assert most == 1
    assert threads == {loop_thread}


def test_postgresql_reads_in_the_lane_run_one_at_a_time_off_the_event_loop(
    postgres_url: str,
) -> None:
    storage = open_storage(postgres_url)
    try:
        most, threads, loop_thread = _one_at_a_time(storage)
    finally:
        storage.close()
    assert most == 1
    assert loop_thread not in threads


class ThreadsOfCalls:
    """The storage, noting which method each call was and the thread that made it."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.calls: list[tuple[str, int]] = []

    @property
    def threads(self) -> set[int]:
        """Return the threads that called the storage."""
        return {thread for _, thread in self.calls}

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.storage, name)
        if not callable(found):
            return found

        def noted(*args: object, **options: object) -> object:
            self.calls.append((name, threading.get_ident()))
            return found(*args, **options)

        return noted


def _threads_of_each_page(
    storage: ThreadsOfCalls, paths: list[str]
) -> tuple[dict[str, set[int]], int]:
    """Request each path in turn; return the threads that read the storage for each and the
    event loop's thread."""

    async def main() -> tuple[dict[str, set[int]], int]:
        app = make_app(storage, cache_seconds=0)  # type: ignore[arg-type]  # a storage by proxy
        transport = httpx.ASGITransport(app)
        threads: dict[str, set[int]] = {}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in paths:
                storage.calls = []
                response = await client.get(path)
                assert response.status_code == 200, path
                threads[path] = storage.threads
        return threads, threading.get_ident()

    return asyncio.run(main())


def test_sqlite_listings_and_the_paper_api_read_on_the_event_loop_and_nothing_else_does(
    loaded_storage: Storage,
) -> None:
    lane, pool = _pages(loaded_storage)
    storage = ThreadsOfCalls(loaded_storage)
    threads, loop_thread = _threads_of_each_page(storage, lane + pool)
    assert all(threads.values())  # every page read something
    on_the_loop = {path for path, used in threads.items() if used == {loop_thread}}
    off_the_loop = {path for path, used in threads.items() if loop_thread not in used}
    assert on_the_loop == set(lane)
    assert off_the_loop == set(pool)


async def _while_the_lane_is_held(storage: Storage, paths: list[str]) -> dict[str, bool]:
    """Hold the lane thread, request each path, tell which answered before it was let go."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(WAIT_S)

    transport = httpx.ASGITransport(make_app(storage, cache_seconds=0))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        holder = asyncio.create_task(in_read_lane(storage, hold))
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


def test_postgresql_listings_and_the_paper_api_wait_their_turn_and_nothing_else_does(
    postgres_url: str, shared_data: Path
) -> None:
    storage = open_storage(postgres_url)
    try:
        load_recorded_days(storage, shared_data)
        lane, pool = _pages(storage)
        answered = asyncio.run(_while_the_lane_is_held(storage, lane + pool))
    finally:
        storage.close()
    assert answered == {**dict.fromkeys(lane, False), **dict.fromkeys(pool, True)}


def test_sqlite_sessions_are_looked_up_on_the_event_loop_as_the_lanes_reads_are(
    loaded_storage: Storage,
) -> None:
    """A vote (the pool's work) checks the voter's session first: on SQLite on the loop, not
    with a round trip to a thread, which waits for the busy loop again to come back."""
    add_member(loaded_storage, "ada")
    storage = ThreadsOfCalls(loaded_storage)
    signed_in = member_client(make_site(storage), "ada")  # type: ignore[arg-type]
    with signed_in as client:  # one event loop for the requests below
        storage.calls = []
        assert client.get(f"/api/papers/{PAPER}").status_code == 200  # in the lane
        (loop_thread,) = {thread for _, thread in storage.calls}
        token = csrf(client)
        storage.calls = []
        response = client.post(
            f"/papers/{PAPER}/upvote", data={"csrf_token": token}, follow_redirects=False
        )
    assert response.status_code == 303
    lookups = {thread for name, thread in storage.calls if name == "user_for_session"}
    assert lookups == {loop_thread}


def test_a_paper_pages_walk_of_the_vector_index_never_holds_up_the_lane(
    loaded_storage: Storage,
) -> None:
    """A walk for similar papers waits while the index takes in new vectors (here: held for
    writing by another thread); it runs in the pool, and the lane's pages answer meanwhile."""
    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    walking = threading.Event()

    class NotingWalks(HybridSearcher):
        def walk_similar(self, storage: Storage, paper_id: str, *, limit: int) -> Any:
            walking.set()
            return super().walk_similar(storage, paper_id, limit=limit)

    searcher = NotingWalks(load_embedder=lambda: embedder, model_name=embedder.model_name)
    vector = embedder.embed_query("agents")
    assert loaded_storage.nearest_papers(model=embedder.model_name, vector=vector, limit=1)
    index = loaded_storage._vector_files[embedder.model_name]  # type: ignore[attr-defined]  # the index loaded above
    held, release = threading.Event(), threading.Event()

    def hold_for_writing() -> None:
        with index.lock.writing():
            held.set()
            release.wait(WAIT_S)

    app = create_app(
        Settings(database_url=loaded_storage.url, cache_seconds=0),
        storage=loaded_storage,
        clock=lambda: NOW,
        searcher=searcher,
    )

    async def main() -> tuple[bool, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            paper = asyncio.create_task(client.get(f"/papers/{PAPER}"))
            await asyncio.to_thread(walking.wait, WAIT_S)  # the page is walking the index
            listing = await client.get("/papers/date/2025-10-17")
            waiting = not paper.done()
            release.set()
            return waiting, listing, await paper

    holder = threading.Thread(target=hold_for_writing)
    holder.start()
    held.wait(WAIT_S)
    try:
        waiting, listing, paper = asyncio.run(main())
    finally:
        release.set()
        holder.join()
    assert listing.status_code == 200 and waiting  # the listing answered during the walk
    assert paper.status_code == 200 and "Similar papers" in paper.text
