"""The keyword development set: three of a paper's Hugging Face keywords, that paper the answer.

A reader remembers a few key concepts of a paper and types them. From the demo data, for
every paper whose arXiv id ends in an even digit and that has at least four `ai_keywords`,
a query joins three of them, drawn with a fixed seed; a fixed-seed sample of those papers
keeps the set at QUERIES. Papers whose id ends in an odd digit are never used: they are
the held-out set for whoever steers the project next.

    .venv/bin/python bench/keyword_queries.py [--data ../shared/data] [--show 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

SEED = 20260412
QUERIES = 1000
KEYWORDS_PER_QUERY = 3
MIN_KEYWORDS = 4
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HF_PAPERS = "hf_daily_papers/hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
ARXIV_PAPERS = "arxiv_daily/arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz"


def in_tuning_half(arxiv_id: str) -> bool:
    """Tell whether a paper may be used for tuning: its id ends in an even digit."""
    return arxiv_id[-1:] in "02468" and arxiv_id[-1:] != ""


def keyword_queries(data: Path = DATA) -> list[tuple[str, dict[str, int]]]:
    """Return (query, {answer id: 1}) for the keyword set, the same on every run."""
    rng = random.Random(SEED)
    eligible: list[tuple[str, list[str]]] = []
    with gzip.open(data / HF_PAPERS, "rt", encoding="utf-8") as lines:
        for line in lines:
            paper = json.loads(line)["paper"]
            keywords = list(dict.fromkeys(paper.get("ai_keywords") or []))
            if in_tuning_half(paper["id"]) and len(keywords) >= MIN_KEYWORDS:
                eligible.append((paper["id"], keywords))
    chosen = rng.sample(eligible, min(QUERIES, len(eligible)))
    queries = []
    for paper_id, keywords in chosen:
        assert in_tuning_half(paper_id)  # never an odd id, whatever changes above
        text = " ".join(rng.sample(keywords, KEYWORDS_PER_QUERY))
        queries.append((text, {paper_id: 1}))
    return queries


def main() -> None:
    """Print how many queries the set has, and a few of them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args()
    queries = keyword_queries(args.data)
    print(f"{len(queries)} keyword queries (seed {SEED})")
    for text, answer in queries[: args.show]:
        print(f"  {text!r} -> {next(iter(answer))}")


if __name__ == "__main__":
    main()
