"""Follows at scale: /following with 50 follows, author pages and `author:` search.

    .venv/bin/python bench/following.py [--size 100000] [--runs 100]
        [--cache ~/.cache/dailypapers-bench]

The site is built as bench/search_speed.py builds its sets (its `perturbed` copies): the
real papers of the shared data (Hugging Face's daily papers and the arXiv cs listings,
imported once into CACHE/following-real.db by the normal importer), then perturbed copies
of them until there are SIZE papers. Copies keep their authors and categories, so a
prolific author has as many papers per copy as in the real data; saved through
`save_papers`, which keeps the author-name and category indexes. No vectors are needed.

A member follows 50 things: 20 authors (half prolific, half with one real paper), 5
organizations, 10 categories and 15 saved searches (words, phrases and filters). Timed in
process: the Following service, and GET /following, GET /authors/{name} and
GET /api/papers/search?q=author:"..." through the ASGI app as `serve` runs it (its lifespan:
one event loop, the configured database threads; no response cache). The
Following page keeps an author's, a category's and a search's answer until the papers' words
change, an organization's until any data changes: it is timed after a write (a vote: the
organizations asked again), after a new paper (saved and indexed untimed, as an import does:
every answer brought up to date with it) and on a repeat visit. For comparison, the
`LIKE '%name%'` scan that `author:` used before the index is timed on a few names in the
same run. Each line gives wall-clock and CPU-time percentiles: on the
shared two-core machine other work inflates the wall clock, not this process's CPU time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.domain.authors import normalize_author_name
from dailypapers.domain.follows import Follow, FollowKind, follow_target
from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.services.accounts import create_user
from dailypapers.services.follows import following_papers
from dailypapers.services.importing import import_file
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage
from dailypapers.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
from search_speed import perturbed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCES = [
    SHARED / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz",
    *sorted((SHARED / "arxiv_daily").glob("*.jsonl.gz")),
]
BATCH = 5000
SEARCHES = [
    "large language models",
    "diffusion cat:cs.CV",
    '"reinforcement learning" has:code',
    "retrieval augmented generation",
    "speech recognition",
    "graph neural networks",
    "protein",
    "robot manipulation",
    "mixture of experts",
    '"state space" models',
    "quantization after:2025-01-01",
    "benchmark cat:cs.CL",
    "video generation -survey",
    "federated learning",
    "code generation agents",
]
NEW_COPY = 1999  # the copy number of the papers "after a new paper" saves
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "bench password 123"


def real_papers(cache: Path) -> list[Paper]:
    """Return the shared data's papers, importing them once into the cache."""
    path = cache / "following-real.db"
    storage = open_storage(f"sqlite:///{path}")
    if storage.count_papers() == 0:
        for source in SOURCES:
            with storage.transaction():
                import_file(storage=storage, path=source, skip_invalid=True)
    rows = storage._execute("SELECT id FROM papers ORDER BY id")  # type: ignore[attr-defined]
    papers = storage.get_papers([row[0] for row in rows])
    entries = storage.get_entries(list(papers))
    organizations = {e.organization for e in entries.values() if e.organization}
    storage.close()
    print(f"real papers: {len(papers):,} ({len(organizations)} organizations)")
    return [papers[row[0]] for row in rows]


def build_site(path: Path, size: int, papers: list[Paper], cache: Path) -> float:
    """Create a database of `size` papers (the real ones first, with their entries)."""
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()
    started = time.perf_counter()
    storage = open_storage(f"sqlite:///{path}")
    real = open_storage(f"sqlite:///{cache / 'following-real.db'}")
    rng = random.Random(size)
    for start in range(0, size, BATCH):
        chunk = []
        for position in range(start, min(start + BATCH, size)):
            copy, index = divmod(position, len(papers))
            original = papers[index]
            donor = papers[rng.randrange(len(papers))]
            chunk.append(original if copy == 0 else perturbed(original, copy, index, rng, donor))
        with storage.transaction():
            storage.save_papers(chunk)
    taken = papers[: min(size, len(papers))]
    featured = real.featured_papers([paper.id for paper in taken])
    with storage.transaction():
        storage.save_organizations([i.organization for i in featured if i.organization])
        storage.save_entries([i.entry for i in featured if i.entry])
    real.close()
    storage.refresh_word_index()  # as `dailypapers reindex` does after a big import
    storage._execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    storage.close()
    return time.perf_counter() - started


def pick_follows(
    storage: Storage, papers: list[Paper], rng: random.Random
) -> list[tuple[str, str]]:
    """Return 50 (kind, target): authors prolific and rare, organizations, categories, searches."""
    counts = Counter(name for paper in papers for name in paper.authors)
    prolific = [name for name, _ in counts.most_common(200)]
    rare = [name for name, count in counts.items() if count == 1]
    authors = rng.sample(prolific, 10) + rng.sample(rare, 10)
    organization_rows = storage._execute(  # type: ignore[attr-defined]
        "SELECT organization, COUNT(*) FROM daily_entries WHERE organization IS NOT NULL"
        " GROUP BY organization ORDER BY COUNT(*) DESC LIMIT 20"
    )
    organizations = rng.sample([row[0] for row in organization_rows], 5)
    categories = [
        name for name, _ in Counter(c for p in papers for c in p.categories).most_common(10)
    ]
    return (
        [("author", name) for name in authors]
        + [("organization", name) for name in organizations]
        + [("category", name) for name in categories]
        + [("search", query) for query in SEARCHES]
    )


def percentiles(timings: tuple[list[float], list[float]]) -> str:
    """Say p50 and p95 of the wall-clock times, and of the CPU times beside them."""
    parts = []
    for label, values in zip(("wall", "cpu"), timings, strict=True):
        ordered = sorted(values)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        parts.append(f"{label} p50 {statistics.median(ordered):6.1f} p95 {p95:6.1f} ms")
    return "   ".join(parts) + f"   (n={len(timings[0])})"


def timed(
    runs: int, action: Callable[[int], object], before: Callable[[], object] = lambda: None
) -> tuple[list[float], list[float]]:
    """Time the action: wall clock, and this process's CPU time (what a busy machine's
    other processes do not inflate: the figure an idle machine would come close to)."""
    action(0)  # warm: first reads of the pages from disk
    wall, cpu = [], []
    for run in range(runs):
        before()  # untimed
        began, began_cpu = time.perf_counter(), time.process_time()
        action(run)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return wall, cpu


def _write(storage: Storage) -> None:
    """Change the data's generation, as any vote or comment does."""
    with storage.transaction():
        pass


def _new_paper(storage: Storage, papers: list[Paper], run: int) -> None:
    """Save one new paper and index its words, as an import does: the words change."""
    rng = random.Random(run)
    original, donor = papers[run % len(papers)], papers[rng.randrange(len(papers))]
    fresh = replace(perturbed(original, NEW_COPY, run, rng, donor), published_at=datetime.now(UTC))
    with storage.transaction():
        storage.save_papers([fresh])
    storage.refresh_word_index()


def _time_member(
    client: TestClient,
    storage: Storage,
    papers: list[Paper],
    names: list[str],
    follows: list[Follow],
    runs: int,
    first_new: int,
) -> None:
    """Sign the member in; time /following after a write, after a new paper and again,
    and author pages as the member sees them."""
    page = client.get("/signin").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/signin", data={"login": "reader", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    first = client.get("/following")
    assert first.status_code == 200 and first.text.count('class="card"') == 50, first.status_code

    print(f"\n-- /following, {len(follows)} follows, 50 papers")
    service = timed(runs, lambda _: following_papers(storage=storage, follows=follows, limit=50))
    print(f"service   {percentiles(service)}")
    pages = timed(runs, lambda _: client.get("/following"), before=lambda: _write(storage))
    print(f"page      {percentiles(pages)}   after a write: the organizations asked again")
    fresh = iter(range(first_new, 10**6))
    pages = timed(
        runs,
        lambda _: client.get("/following"),
        before=lambda: _new_paper(storage, papers, next(fresh)),
    )
    print(f"page      {percentiles(pages)}   after a new paper: every follow brought up to date")
    pages = timed(runs, lambda _: client.get("/following"))
    print(f"page      {percentiles(pages)}   a repeat visit: the follows' answers kept")

    print("\n-- author pages and author: search (600 names, half prolific, half random)")
    author_pages = timed(  # other names than signed out, so that their cards are new too
        runs, lambda run: client.get(f"/authors/{quote(names[(run + runs) % len(names)])}")
    )
    print(f"page      {percentiles(author_pages)}   signed in (votes, Save, follow state)")


def _time_visitor(anonymous: TestClient, storage: Storage, names: list[str], runs: int) -> None:
    """Time author pages signed out, `author:` in storage and through the API."""
    author_pages = timed(
        runs, lambda run: anonymous.get(f"/authors/{quote(names[run % len(names)])}")
    )
    print(f"page      {percentiles(author_pages)}   signed out")
    searches = timed(
        runs,
        lambda run: storage.search_lexical(
            parse_query(f'author:"{names[run % len(names)]}"'), limit=50
        ),
    )
    print(f"author:   {percentiles(searches)}   storage.search_lexical, filter alone")
    worded = timed(
        runs,
        lambda run: storage.search_lexical(
            parse_query(f'learning author:"{names[run % len(names)]}"'), limit=50
        ),
    )
    print(f"+ words   {percentiles(worded)}   'learning author:\"...\"'")
    api = timed(
        runs,
        lambda run: anonymous.get(
            "/api/papers/search", params={"q": f'author:"{names[run % len(names)]}"'}
        ),
    )
    print(f'API       {percentiles(api)}   GET /api/papers/search?q=author:"..."')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/dailypapers-bench"))
    args = parser.parse_args()
    cache = args.cache.expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    papers = real_papers(cache)
    path = cache / f"following-{args.size}.db"
    if not path.exists():
        print(f"building {args.size:,} papers: {build_site(path, args.size, papers, cache):.0f} s")
    storage = open_storage(f"sqlite:///{path}")
    storage.refresh_word_index()  # nothing to do unless the build was cut short
    print(f"site: {storage.count_papers():,} papers, {path}")
    rng = random.Random(42)
    chosen = pick_follows(storage, papers, rng)
    now = datetime.now(UTC)
    with storage.transaction():
        storage._execute("DELETE FROM users")  # type: ignore[attr-defined]
        # Its sign-ins of earlier runs would count against the rate limit.
        storage._execute("DELETE FROM rate_limits")  # type: ignore[attr-defined]
        user = create_user(
            storage=storage, hasher=HASHER, username="reader", email="reader@example.org",
            password=PASSWORD, fullname="", role=Role.MEMBER, now=now,
        )  # fmt: skip
        for kind, target in chosen:
            storage.add_follow(
                user_id=user.id,
                follow=follow_target(FollowKind(kind), target),
                now=now,
            )
    follows = storage.user_follows(user.id)
    print(f"member follows {len(follows)}: {Counter(f.kind.value for f in follows)}")

    settings = Settings(
        database_url=storage.url,
        cache_seconds=0,
        secret_key="bench-secret-key-0123456789abcdefghij",
    )
    app = create_app(settings, storage=storage, password_hasher=HASHER)
    counts = Counter(name for paper in papers for name in paper.authors)
    names = [name for name, _ in counts.most_common(300)] + rng.sample(list(counts), 300)
    rng.shuffle(names)
    # New ids each run: a paper of an earlier run saved again is an edit of a listed paper.
    first_new = storage.count_papers() - args.size
    # `with`: the app runs as `serve` runs it (its lifespan: one event loop, the configured
    # database threads), not on a new event loop and thread for each request.
    with TestClient(app, base_url="https://bench") as client:
        _time_member(client, storage, papers, names, follows, args.runs, first_new)
    with TestClient(app) as anonymous:
        _time_visitor(anonymous, storage, names, args.runs)
    scans = timed(
        min(args.runs, 10),
        lambda run: storage._execute(  # type: ignore[attr-defined]
            "SELECT id FROM papers WHERE LOWER(authors) LIKE ? ORDER BY published_at DESC LIMIT 50",
            (f"%{normalize_author_name(names[run % len(names)])}%",),
        ),
    )
    print(f"LIKE scan {percentiles(scans)}   the filter as it was, for comparison")
    storage.close()


if __name__ == "__main__":
    main()
