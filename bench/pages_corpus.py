"""The 80k corpus bench/pages.py loads: imported, indexed, a member, and the URLs of each page kind.

Kept between runs in a cache folder; see bench/pages.py for what is measured.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from dailypapers.storage import Storage

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
ARCHIVES = (
    DATA / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz",
    DATA / "arxiv_daily" / "arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz",
)
ROTATING_URLS = 60_000  # URLs per rotating run: more than a run can ask for at 10,000 req/s
MEMBER = "benchreader"  # a member without likes: For you shows the week's trending papers
LIKER = "benchliker"  # a member whose For you is scored by a fitted model of their likes
WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


@dataclass(frozen=True, slots=True)
class Page:
    """One row of the report: a page kind and the URLs its requests go through."""

    label: str
    kind: str  # "page" or "search": which target applies
    paths: list[str]
    member: str = MEMBER  # whose session the signed-in requests carry


def run_cli(database_url: str, *args: str, stdin: str | None = None) -> None:
    """Run a `dailypapers` command on this database, failing loudly."""
    subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env={**os.environ, "DAILYPAPERS_DATABASE_URL": database_url},
        input=stdin,
        text=True,
        check=True,
    )


def prepare_corpus(cache: Path, *, real_vectors: bool, real_count: int = 3000) -> str:
    """Import and index the 80k papers once into cache/pages.db; return its URL."""
    cache.mkdir(parents=True, exist_ok=True)
    database = cache / "pages.db"
    url = f"sqlite:///{database}"
    done = cache / ("pages.ready2" if not real_vectors else "pages.embedded")
    if done.exists():
        return url
    for archive in ARCHIVES:
        if not archive.exists():
            raise SystemExit(f"error: {archive} is missing")
    if not database.exists():
        started = time.monotonic()
        run_cli(url, "import", *map(str, ARCHIVES))
        print(f"corpus: imported in {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    if real_vectors:
        run_cli(url, "reindex")  # the word index and every paper's vector by the model
    else:
        store_stand_in_vectors(url, real_count)
    print(f"corpus: indexed in {time.monotonic() - started:.0f} s", flush=True)
    done.write_text("ok\n")
    return url


def store_stand_in_vectors(database_url: str, real_count: int) -> None:
    """Embed a sample of the papers with the model; give the others near copies; index them.

    Embedding all 80k papers takes half an hour or more on two shared cores (`--real-vectors`
    does it). As in bench/search_speed.py, each other paper gets the vector of a randomly
    drawn embedded paper plus Gaussian noise (cosine about 0.84 to it), renormalized: real
    vectors' clustered shape, so the HNSW graph is of the size and shape a real site has and
    a search walks it alike. (Hashed bag-of-words vectors, tried first, spread out like
    random ones and made every graph walk four times longer.) Queries are embedded by the
    model, so each request costs what it costs with real vectors.
    """
    import numpy as np

    from dailypapers.search.embedder import default_embedder, document_text
    from dailypapers.storage import open_storage

    embedder = default_embedder()
    storage = open_storage(database_url)
    rng = np.random.default_rng(13)
    try:
        storage.delete_embeddings(model=embedder.model_name)  # a run cut short, an old method
        storage.refresh_word_index()
        rows = storage._execute("SELECT id, title, abstract FROM papers ORDER BY id")  # type: ignore[attr-defined]
        order = rng.permutation(len(rows))
        sample = [rows[index] for index in order[:real_count]]
        started = time.monotonic()
        real = np.concatenate(
            [
                embedder.embed_documents([document_text(t, a) for _, t, a in sample[at : at + 256]])
                for at in range(0, len(sample), 256)
            ]
        )
        print(
            f"corpus: {len(sample):,} papers embedded by {embedder.model_name}"
            f" in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        others = [rows[index][0] for index in order[real_count:]]
        donors = real[rng.integers(0, len(real), len(others))]
        copies = donors + rng.normal(0.0, 0.035, donors.shape).astype(np.float32)
        copies /= np.linalg.norm(copies, axis=1, keepdims=True)
        ids = [row[0] for row in sample] + others
        vectors = np.concatenate([real, copies]).astype(np.float32)
        for at in range(0, len(ids), 5000):
            with storage.transaction():
                storage.save_embeddings(
                    model=embedder.model_name,
                    paper_ids=ids[at : at + 5000],
                    vectors=vectors[at : at + 5000],
                )
        storage.refresh_vector_index(model=embedder.model_name, save=True)
    finally:
        storage.close()


def member_cookie(database_url: str, username: str = MEMBER) -> str:
    """Return a session cookie of a member, creating the member on first use (the liker
    with their likes and fitted model)."""
    from argon2 import PasswordHasher

    from dailypapers.services.accounts import create_user, start_session
    from dailypapers.storage import open_storage

    storage = open_storage(database_url)
    now = datetime.now(UTC)
    try:
        with storage.transaction():
            user = storage.find_user(username)
            if user is None:
                user = create_user(
                    storage=storage,
                    hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
                    username=username,
                    email=f"{username}@example.org",
                    password="a bench reader's password",
                    now=now,
                )
            token = start_session(storage=storage, user=user, now=now, lifetime=timedelta(hours=6))
        if username == LIKER and storage.get_member_model(user.id) is None:
            _fit_liker(storage, user.id, now)
    finally:
        storage.close()
    return f"dp_session={token}"


def _fit_liker(storage: Storage, user_id: int, now: datetime) -> None:
    """Name every paper of the busiest organization as the liker's likes (93 in the 80k
    corpus); fit their model as the site's background job would."""
    from dailypapers.services.recommendations import refit_stale_models

    rows = storage._execute(  # type: ignore[attr-defined]  # a bench reads what it likes
        "SELECT paper_id FROM daily_entries WHERE organization = (SELECT organization"
        " FROM daily_entries WHERE organization IS NOT NULL GROUP BY organization"
        " ORDER BY COUNT(*) DESC LIMIT 1)"
    )
    with storage.transaction():
        storage.add_interest_seeds(user_id=user_id, paper_ids=[row[0] for row in rows], now=now)
        storage.mark_signals_changed(user_id)
    refit_stale_models(storage=storage, model_name=None, now=now)
    assert storage.get_member_model(user_id) is not None, "the liker's model was not fitted"


def pick_pages(database_url: str, seed: int) -> list[Page]:
    """Return every page kind to measure, with URLs taken from the corpus."""
    from dailypapers.domain.periods import PeriodKind, period_containing
    from dailypapers.storage import open_storage

    storage = open_storage(database_url)
    rng = random.Random(seed)
    try:
        latest = storage.latest_day()
        assert latest is not None, "the corpus has no featured papers"
        day, week, month = (period_containing(kind, latest) for kind in PeriodKind)
        rows = storage._execute(  # type: ignore[attr-defined]  # a bench reads what it likes
            "SELECT p.id, p.title, p.ai_keywords, e.organization, e.submitted_by, p.authors"
            " FROM papers p JOIN daily_entries e ON e.paper_id = p.id"
        )
        organization = storage._execute(  # type: ignore[attr-defined]
            "SELECT organization FROM daily_entries WHERE organization IS NOT NULL"
            " GROUP BY organization ORDER BY COUNT(*) DESC LIMIT 1"
        )[0][0]
        submitter = storage._execute(  # type: ignore[attr-defined]
            "SELECT submitted_by FROM daily_entries WHERE submitted_by IS NOT NULL"
            " GROUP BY submitted_by ORDER BY COUNT(*) DESC LIMIT 1"
        )[0][0]
        latest_paper = storage.rankables(start=day.start, end=day.end)[0].paper_id
    finally:
        storage.close()
    ids = [row[0] for row in rows]
    rng.shuffle(ids)
    author = _busiest_author(rows)
    queries = distinct_queries(rows, rng)
    half = len(queries) // 2
    api = "/api/daily_papers"
    d, w, m = latest.isoformat(), week.path.rsplit("/", 1)[1], month.path.rsplit("/", 1)[1]
    return [
        Page("home /", "page", ["/"]),
        Page("home / (For you, fitted model)", "page", ["/"], member=LIKER),
        Page("day", "page", [day.path]),
        Page("week", "page", [week.path]),
        Page("month", "page", [month.path]),
        Page("paper (one, latest day)", "page", [f"/papers/{latest_paper}"]),
        Page("paper (80k, each once)", "page", [f"/papers/{i}" for i in ids]),
        Page("organization", "page", [f"/organizations/{quote(organization)}"]),
        Page("author", "page", [f"/authors/{quote(author)}"]),
        Page(f"{api}", "page", [api]),
        Page(f"{api}?date", "page", [f"{api}?date={d}"]),
        Page(f"{api}?week", "page", [f"{api}?week={w}"]),
        Page(f"{api}?month", "page", [f"{api}?month={m}"]),
        Page(f"{api}?week&sort=trending", "page", [f"{api}?week={w}&sort=trending"]),
        Page(f"{api}?submitter", "page", [f"{api}?submitter={quote(submitter)}"]),
        Page(f"{api}?p=3", "page", [f"{api}?p=3"]),
        Page(f"{api}?limit=100", "page", [f"{api}?limit=100"]),
        Page("/api/papers/{id} (80k)", "page", [f"/api/papers/{i}" for i in ids]),
        Page("search page (distinct q)", "search", [f"/search?q={q}" for q in queries[:half]]),
        Page(
            "/api/papers/search (distinct q)",
            "search",
            [f"/api/papers/search?q={q}" for q in queries[half:]],
        ),
        # Last: it ranks all 80,000 papers, and the requests wrk gives up on keep the
        # server busy long after the run.
        Page(f"{api}?sort=trending (all time)", "page", [f"{api}?sort=trending"]),
    ]


def _busiest_author(rows: list[tuple[object, ...]]) -> str:
    import json
    from collections import Counter

    counts = Counter(
        name for row in rows for name in json.loads(str(row[5])) if isinstance(name, str)
    )
    return counts.most_common(1)[0][0]


def distinct_queries(rows: list[tuple[object, ...]], rng: random.Random) -> list[str]:
    """Return URL-quoted queries, no two alike: spans of real titles and real keywords."""
    import json

    seen: set[str] = set()
    queries: list[str] = []
    order = list(range(len(rows)))
    rng.shuffle(order)
    for _ in range(5):  # each pass draws other spans of the same titles
        for index in order:
            title, keywords = str(rows[index][1]), json.loads(str(rows[index][2] or "[]"))
            words = WORD.findall(title)
            if rng.random() < 0.3 and keywords:
                text = str(rng.choice(keywords))
            elif len(words) >= 2:
                size = rng.randint(2, min(4, len(words)))
                start = rng.randrange(len(words) - size + 1)
                text = " ".join(words[start : start + size])
            else:
                continue
            text = text.lower()
            if text not in seen:
                seen.add(text)
                queries.append(quote(text))
            if len(queries) >= 2 * ROTATING_URLS:
                return queries
    return queries


# -- servers -----------------------------------------------------------------------------
