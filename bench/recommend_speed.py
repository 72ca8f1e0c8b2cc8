"""For you speed: a member of 200 likes over a site of N featured papers.

    .venv/bin/python bench/recommend_speed.py [--papers 1000000] [--days 1460] [--cache DIR]

A SQLite site of N papers, each featured on one of `days` days (so a week's window holds
N·7/days papers), each with a 384-dimension unit vector: the real vectors of the Hugging
Face papers (bench/recommend_data.py) with Gaussian noise, renormalised, so neighbourhoods
look like real ones. Papers go in through `save_papers`, entries through `save_entries` and
vectors through `save_embeddings`, as the importers and the indexer write them; each paper
has the title, abstract and authors of the real paper its vector comes from. One member
upvotes 200 papers. Then it times, in process:

- the refit job's first run in the process: `refit_stale_models` reads the background
  papers (the vectors and words every refit contrasts likes with; kept after, and read
  ahead by every run of the job), then refits the member;
- a member's refit: `refit_stale_models` for that member again (signals read, vectors
  fetched, ridge fit, model saved), 5 times;
- the service call `recommend_for_member` over the past 7 days (the /for-you default),
  200 times after 5 warm-ups, the window's vectors kept between calls as the site keeps them
  for a minute and the member's signals, model and picks kept as the site keeps them until
  the member likes or dislikes something: p50 and p95; then 50 times reading the signals and
  the model afresh each time and picking again (as after a refit), and 20 times reading the
  window afresh too (the first request of a minute after a refit);
- the page: GET /for-you?days=7 through the ASGI app in process (cache off), 100 times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dailypapers.domain.accounts import Role
from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.services.member_models import MemberModels
from dailypapers.services.recommendations import (
    Recommendations,
    WindowPapers,
    recommend_for_member,
    refit_stale_models,
    window_ending,
)
from dailypapers.storage import open_storage
from recommend_data import CACHE_DIR, load_papers, load_vectors

MODEL = "all-MiniLM-L6-v2/onnx-int8/256"
BATCH = 5000
NOW = datetime(2026, 8, 22, 12, tzinfo=UTC)


def build(path: Path, size: int, days: int) -> None:
    """Create the site's database, unless a finished one of this size is there."""
    done = path.with_suffix(".done")
    if done.exists() and done.read_text() == f"{size} {days} real texts":
        return
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()
    papers = load_papers()
    real = load_vectors(papers)
    noise = np.random.default_rng(size)
    storage = open_storage(f"sqlite:///{path}")
    started = time.monotonic()
    for start in range(0, size, BATCH):
        rows = range(start, min(start + BATCH, size))
        ids = [f"{7000 + n // 100_000:04d}.{n % 100_000:05d}" for n in rows]
        vectors = real[[n % len(real) for n in rows]] + noise.normal(0, 0.035, (len(ids), 384))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        entries = []
        for n, paper_id in zip(rows, ids, strict=True):
            age = n % days
            entries.append(
                DailyEntry(paper_id, NOW.date() - timedelta(days=age), NOW - timedelta(days=age))
            )
        with storage.transaction():
            storage.save_papers(
                [
                    Paper(
                        paper_id,
                        papers[n % len(papers)].title,
                        papers[n % len(papers)].abstract,
                        papers[n % len(papers)].authors,
                        upvotes=n % 97,
                    )
                    for n, paper_id in zip(rows, ids, strict=True)
                ]
            )
            storage.save_entries(entries)
            storage.save_embeddings(model=MODEL, paper_ids=ids, vectors=vectors.astype(np.float32))
        if (start // BATCH) % 20 == 0:
            print(
                f"  {start + len(ids)} papers in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
    storage.close()
    done.write_text(f"{size} {days} real texts")


def percentile(values: list[float], share: float) -> float:
    """Return the value below which this share of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1460)
    parser.add_argument("--likes", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR)
    arguments = parser.parse_args()
    path = arguments.cache / f"for_you_{arguments.papers}.db"
    arguments.cache.mkdir(parents=True, exist_ok=True)
    build(path, arguments.papers, arguments.days)
    storage = open_storage(f"sqlite:///{path}")
    user = storage.find_user("bench") or storage.create_user(
        username="bench",
        fullname="",
        email="bench@example.org",
        password_hash="!",
        role=Role.MEMBER,
        now=NOW,
    )
    assert user is not None
    rng = np.random.default_rng(1)
    liked = rng.choice(arguments.papers, size=arguments.likes, replace=False)
    with storage.transaction():
        for n in liked:
            storage.add_vote(
                user_id=user.id, paper_id=f"{7000 + n // 100_000:04d}.{n % 100_000:05d}", now=NOW
            )
    # The job's first run: the background papers read, then the member's model fitted.
    with storage.transaction():
        storage.mark_signals_changed(user.id)
    began, began_cpu = time.perf_counter(), time.process_time()
    assert refit_stale_models(storage=storage, model_name=MODEL, now=NOW) == 1
    ready, ready_cpu = time.perf_counter() - began, time.process_time() - began_cpu
    refits, refit_cpu = [], []
    for _ in range(5):
        with storage.transaction():
            storage.mark_signals_changed(user.id)
        began, began_cpu = time.perf_counter(), time.process_time()
        refit_stale_models(storage=storage, model_name=MODEL, now=NOW)
        refits.append(time.perf_counter() - began)
        refit_cpu.append(time.process_time() - began_cpu)
    model = storage.get_member_model(user.id)
    assert model is not None and model.positives == arguments.likes
    start, end = window_ending(storage, days=7, today=NOW.date())
    members = MemberModels()

    def recommend(**kept: Any) -> Recommendations:
        return recommend_for_member(
            storage=storage, user_id=user.id, start=start, end=end, limit=30, now=NOW, **kept
        )

    found = recommend(members=members)  # the first calls read the window and the model
    for _ in range(4):
        recommend(members=members)
    calls, calls_cpu = timed(lambda: recommend(members=members), 200)
    # No members kept: the signals and the model read, the papers picked and explained afresh.
    model_calls, model_cpu = timed(recommend, 50)
    # Nothing kept: the vectors and words are read again too.
    cold_calls, cold_cpu = timed(lambda: recommend(window_papers=WindowPapers()), 20)
    window = storage.count_featured(start=start, end=end)
    print(
        f"site: {arguments.papers} papers featured over {arguments.days} days;"
        f" the 7-day window holds {window}; member: {arguments.likes} likes"
    )
    print(
        f"the refit job's first run (background papers read, then the refit): {ready * 1000:.0f}"
        f" ms, CPU {ready_cpu * 1000:.0f} ms"
    )
    print(
        "a member's refit after it (background kept):"
        f" median {statistics.median(refits) * 1000:.0f} ms,"
        f" first {refits[0] * 1000:.0f} ms; CPU median {statistics.median(refit_cpu) * 1000:.0f}"
        f" ms, first {refit_cpu[0] * 1000:.0f} ms"
    )
    print(
        f"recommend_for_member, 7 days, 30 shown: {spread(calls, calls_cpu)}"
        f" ({len(found.items)} papers; the window's vectors, the signals, model and picks kept)"
    )
    print(
        "recommend_for_member, the signals and model read afresh (the first call after a refit):"
        f" {spread(model_calls, model_cpu)}"
    )
    print(
        "recommend_for_member, the window, the signals and the model read afresh:"
        f" {spread(cold_calls, cold_cpu)}"
    )
    page_times, page_cpu = time_page(storage, path)
    print(f"GET /for-you (in process, cache off): {spread(page_times, page_cpu)}")


def timed(call: Callable[[], object], times: int) -> tuple[list[float], list[float]]:
    """Call `times` times; return each call's wall-clock and CPU times."""
    wall, cpu = [], []
    for _ in range(times):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return wall, cpu


def spread(wall: list[float], cpu: list[float]) -> str:
    """Say p50 and p95 of the wall-clock times and of the CPU times (what other work on
    the machine does not inflate)."""
    return (
        f"p50 {percentile(wall, 0.5) * 1000:.1f} ms, p95 {percentile(wall, 0.95) * 1000:.1f} ms;"
        f" CPU p50 {percentile(cpu, 0.5) * 1000:.1f} ms, p95 {percentile(cpu, 0.95) * 1000:.1f} ms"
    )


def time_page(storage, path: Path) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Time GET /for-you as the signed-in member, through the app in process (wall, CPU)."""
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from dailypapers.services.passwords import hash_password
    from dailypapers.settings import Settings
    from dailypapers.web.app import create_app

    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    user = storage.find_user("bench")
    with storage.transaction():
        storage.set_password_hash(user.id, hash_password(hasher, "bench password"))
    settings = Settings(database_url=f"sqlite:///{path}", secret_key="b" * 40, cache_seconds=0)
    app = create_app(settings, storage=storage, clock=lambda: NOW, password_hasher=hasher)
    # `with`: the app runs as `serve` runs it (one event loop, the configured database
    # threads), not on a new event loop and thread for each request.
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/signin").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/signin", data={"login": "bench", "password": "bench password", "csrf_token": token}
        )
        times, cpu = [], []
        for attempt in range(105):
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get("/for-you?days=7")
            if attempt >= 5:
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            assert response.status_code == 200 and "Because you liked" in response.text
    return times, cpu


if __name__ == "__main__":
    main()
