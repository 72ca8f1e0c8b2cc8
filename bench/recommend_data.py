"""The benchmark set of bench/recommend.py: Hugging Face daily papers, their vectors cached.

    .venv/bin/python bench/recommend_data.py   # embeds the papers once (minutes), then reuses

Vectors come from the project's embedder (`default_embedder()`), over the same text the
site embeds (`document_text`), and are cached in a file outside git.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dailypapers.search.embedder import default_embedder, document_text
from dailypapers.sources.hf_daily import parse_entry

DEFAULT_ARCHIVE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "hf_daily_papers"
    / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
)
CACHE_DIR = Path(os.environ.get("DAILYPAPERS_BENCH_CACHE", "/tmp/dailypapers-bench"))


@dataclass(frozen=True)
class BenchPaper:
    """What the benchmark knows of one featured paper."""

    paper_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    day: date
    organization: str | None
    upvotes: int


def load_papers(archive: Path = DEFAULT_ARCHIVE) -> list[BenchPaper]:
    """Read the archive's papers through the site's own Hugging Face parser."""
    papers = []
    with gzip.open(archive, "rt", encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            day = date.fromisoformat(raw["_daily_date"])
            record = parse_entry(raw, day=day)
            if record.entry is None:
                continue
            papers.append(
                BenchPaper(
                    paper_id=record.paper.id,
                    title=record.paper.title,
                    abstract=record.paper.abstract,
                    authors=record.paper.authors,
                    day=record.entry.day,
                    organization=record.entry.organization,
                    upvotes=record.paper.upvotes,
                )
            )
    papers.sort(key=lambda paper: (paper.day, paper.paper_id))
    return papers


def load_vectors(papers: list[BenchPaper], cache_dir: Path = CACHE_DIR) -> NDArray[np.float32]:
    """Return one unit vector per paper, embedding only those not cached yet."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / "recommend_vectors.npz"
    known: dict[str, NDArray[np.float32]] = {}
    if cache.exists():
        stored = np.load(cache)
        known = dict(zip(stored["ids"].tolist(), stored["vectors"], strict=True))
    missing = [paper for paper in papers if paper.paper_id not in known]
    if missing:
        embedder = default_embedder()
        started = time.monotonic()
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            vectors = embedder.embed_documents(
                [document_text(paper.title, paper.abstract) for paper in chunk]
            )
            known.update(zip((paper.paper_id for paper in chunk), vectors, strict=True))
            print(
                f"embedded {start + len(chunk)}/{len(missing)}"
                f" in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
        ids = np.array(sorted(known))
        np.savez(cache, ids=ids, vectors=np.stack([known[i] for i in ids.tolist()]))
    return np.stack([known[paper.paper_id] for paper in papers]).astype(np.float32)


if __name__ == "__main__":
    loaded = load_papers()
    matrix = load_vectors(loaded)
    print(f"{len(loaded)} papers, vectors {matrix.shape}")
