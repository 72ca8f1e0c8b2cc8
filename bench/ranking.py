"""What a ranking of every paper ever featured costs when nothing is kept (issue 13).

    .venv/bin/python bench/ranking.py [--cache /tmp/dailypapers-bench-pages] [--rounds 5]
        [--against OTHER/src]

The site keeps a ranking over all time until the data changes or a minute passes
(services/feed.py), so `bench/pages.py`, which writes nothing while it loads a page,
measures it kept. Every vote, comment or new paper makes the next request rank afresh;
this prints what that costs: `list_featured` over all time with no kept rankings, in
process, on the 80k papers of the pages benchmark (built by bench/pages.py's corpus), for
each order and a first and a deep page. With `--against`, another checkout's code is timed
the same way in a subprocess, in turns with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

CASES = [("trending", 0, 50), ("upvotes", 0, 50), ("trending", 40, 50)]  # sort, page, size


def time_rankings(database_url: str, rounds: int) -> dict[str, float]:
    """Return the median milliseconds of each case, ranked afresh each time."""
    from dailypapers.domain.ranking import SortMode
    from dailypapers.services.feed import list_featured
    from dailypapers.storage import open_storage

    storage = open_storage(database_url)
    now = datetime.now(UTC)
    medians = {}
    for sort, page, size in CASES:
        times = []
        for _ in range(rounds + 1):  # the first warms SQLite's page cache
            started = time.perf_counter()
            list_featured(storage=storage, sort=SortMode(sort), page=page, page_size=size, now=now)
            times.append((time.perf_counter() - started) * 1000)
        medians[f"{sort}, page {page} of {size}"] = statistics.median(times[1:])
    return medians


def main() -> None:
    """Time the rankings here (and there), in turns; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/dailypapers-bench-pages"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout's src: compare in turns")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the subprocess
    args = parser.parse_args()
    if args.json:
        url = f"sqlite:///{args.cache / 'pages.db'}"
        print(json.dumps(time_rankings(url, args.rounds)))
        return
    from pages_corpus import prepare_corpus

    prepare_corpus(args.cache, real_vectors=False)
    sides = {"this": Path(__file__).resolve().parents[1] / "src"}
    if args.against:
        sides = {str(args.against): args.against.resolve(), **sides}
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(2 if args.against else 1):  # in turns: the machine's load drifts
        for side, src in sides.items():
            command = [sys.executable, __file__, "--json", "--cache", str(args.cache)]
            command += ["--rounds", str(args.rounds)]
            env = {**os.environ, "PYTHONPATH": str(src)}
            output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            results[side].append(json.loads(output.stdout))
    print(f"{os.cpu_count()} cores; median of {args.rounds} rankings, ms, each turn")
    print("| ranking over all time | " + " | ".join(sides) + " |")
    print("| --- |" + " ---: |" * len(sides))
    for case in results["this"][0]:
        cells = [" / ".join(f"{turn[case]:.0f}" for turn in results[side]) for side in sides]
        print(f"| {case} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
