"""Split one search request's time into its parts, for queries no two alike, on the 80k corpus.

Uses the corpus bench/pages.py keeps (build it first: `bench/pages.py --only home`), the
site's own storage, searcher and renderer in this process, and the distinct queries of
bench/pages_corpus.py. Each part is timed on its own over the same queries, one after the
other: embedding the query with the model (on this thread), walking the vector index, the
word index, the whole hybrid search with its fusion and the papers read, and rendering the
results page for a signed-in member. Then the model's throughput with one thread and with
two threads embedding different queries side by side (ONNX Runtime releases the GIL; each
run is single-threaded inside).

    .venv/bin/python bench/search_cost.py [--cache /tmp/dailypapers-bench-pages] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from dailypapers.domain.search_query import parse_query
from dailypapers.search.hybrid import CANDIDATES
from dailypapers.services.search import search_papers
from dailypapers.settings import Settings
from dailypapers.web.accounts.sessions import RequestAuth, _current
from dailypapers.web.app import create_app
from pages import DEFAULT_CACHE
from pages_corpus import MEMBER, member_cookie, pick_pages


def per_call_ms(work: Callable[[str], object], queries: list[str]) -> tuple[float, float]:
    """Return the median and the 99th percentile in ms of work over the queries."""
    times = []
    for query in queries:
        started = time.perf_counter()
        work(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    """Time each part of a search over distinct queries and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="corpus folder")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    database_url = f"sqlite:///{args.cache / 'pages.db'}"
    if not (args.cache / "pages.db").exists():
        parser.error(f"no corpus in {args.cache}: run bench/pages.py --only home first")
    member_cookie(database_url)  # the member exists
    search = next(page for page in pick_pages(database_url, 13) if page.label.startswith("search"))
    queries = [unquote(path.split("q=", 1)[1]) for path in search.paths]
    half = len(queries) // 2
    app = create_app(Settings.from_env(database_url=database_url, search_index_interval_s=0))
    storage, searcher, renderer = app.state.storage, app.state.searcher, app.state.renderer
    if not searcher.wait_until_ready(120):
        raise SystemExit("error: the model did not load")
    model = searcher.model_name
    assert model is not None
    embedder = searcher._embedder_future().result()  # type: ignore[union-attr]
    auth = RequestAuth(
        viewer=storage.find_user(MEMBER), session_token="x" * 43, csrf_cookie=None,
        secret=b"bench" * 8, secure=False,
    )  # fmt: skip
    _current.set(auth)
    # Warm: the index loads in the background on the first search.
    for query in queries[-40:]:
        search_papers(storage=storage, searcher=searcher, text=query, page_size=30)
    deadline = time.monotonic() + 120
    while not storage.nearest_papers(model=model, vector=embedder.embed_query("x"), limit=1):
        if time.monotonic() > deadline:
            raise SystemExit("error: the vector index did not load")
        time.sleep(0.5)

    count = args.queries
    sets = iter(queries[at : at + count] for at in range(0, half, count))  # fresh each part
    vectors = {query: embedder.embed_query(query) for query in queries[half : half + count]}
    vector_queries = list(vectors)

    def render(text: str) -> object:
        results = search_papers(storage=storage, searcher=searcher, text=text, page_size=30)
        return renderer.page("search.html", form={"q": text}, results=results, progress=None)

    parts: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("embed the query (model, this thread)", embedder.embed_query, next(sets)),
        (
            f"vector index walk, {CANDIDATES} nearest",
            lambda q: storage.nearest_papers(model=model, vector=vectors[q], limit=CANDIDATES),
            vector_queries,
        ),
        (
            f"word index, {CANDIDATES} best",
            lambda q: storage.search_lexical(parse_query(q), limit=CANDIDATES),
            next(sets),
        ),
        (
            "hybrid search and 30 papers read (all the above)",
            lambda q: search_papers(storage=storage, searcher=searcher, text=q, page_size=30),
            next(sets),
        ),
        ("... and the results page rendered (signed in)", render, next(sets)),
    ]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {datetime.now(UTC)}")
    print(f"{count} queries per part, none repeated within a part\n")
    print("| part of a search | median ms | p99 ms |\n| --- | ---: | ---: |")
    for label, work, texts in parts:
        median, p99 = per_call_ms(work, texts)
        print(f"| {label} | {median:.2f} | {p99:.2f} |")

    texts = next(sets)
    started = time.perf_counter()
    for text in texts:
        embedder.embed_query(text)
    alone = len(texts) / (time.perf_counter() - started)
    texts = next(sets)
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(embedder.embed_query, texts))
        side_by_side = len(texts) / (time.perf_counter() - started)
    print(
        f"\nmodel throughput: {alone:.0f} queries/s on one thread,"
        f" {side_by_side:.0f} queries/s on two ({side_by_side / alone:.2f}x)"
    )


if __name__ == "__main__":
    main()
