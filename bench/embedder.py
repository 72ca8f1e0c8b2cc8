"""Measure the default embedder: build time, papers/s, query latency and fidelity to fp32.

    .venv/bin/python bench/embedder.py [--papers 2000] [--queries 200] [--threads N]
        [--reference 20] [--compare 300] [--model-dir DIR] [--demo]

Papers/s is measured on one core and on all cores in turns, in the same run. With --demo it
also imports the 9,877 Hugging Face papers into a fresh SQLite database and times the
indexing service (the same one `make demo`'s server runs) until every paper has a vector.

Documents are real title + abstract pairs spread over the shared arXiv listings; queries are
real SciFact claims. Fidelity is the cosine between the int8 model's vectors and those of a
plain numpy fp32 forward pass of the same packaged weights (minilm_reference.py, which agrees
with sentence-transformers to 1e-7). In the same run it also times the unquantized fp32 ONNX
graph and, when sentence-transformers and torch are importable (they are not project
dependencies), the torch path the issue started from, so ratios hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dailypapers.search.embedder import (
    MAX_TOKENS,
    OnnxMiniLMEmbedder,
    available_cores,
    document_text,
)
from dailypapers.search.minilm_model import BuiltModel, ensure_model
from dailypapers.search.minilm_reference import reference_embeddings
from dailypapers.search.onnx_minilm import build_minilm_onnx, find_packaged_minilm
from dailypapers.services.importing import import_file
from dailypapers.services.semantic_index import BATCH_SIZE as INDEXING_BATCH
from dailypapers.services.semantic_index import embed_missing
from dailypapers.storage import open_storage

SHARED_DATA = Path(
    os.environ.get("DAILYPAPERS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data")
)
ARXIV = SHARED_DATA / "arxiv_daily/arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz"
CLAIMS = SHARED_DATA / "eval/scifact-dev/queries_train.jsonl"
HF_PAPERS = SHARED_DATA / "hf_daily_papers/hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
TARGET_PAPERS_PER_S = 200.0
TARGET_QUERY_MS = 5.0
COMPARISON_ROUNDS = 3
COMPARISON_QUERIES = 50


def real_papers(count: int) -> list[str]:
    """Return `count` title + abstract texts spread evenly over the arXiv listings."""
    with gzip.open(ARXIV, "rt") as lines:
        records = [json.loads(line) for line in lines]
    step = max(1, len(records) // count)
    return [document_text(r["title"], r["summary"]) for r in records[::step][:count]]


def real_claims(count: int) -> list[str]:
    """Return the first `count` SciFact claims."""
    with CLAIMS.open() as lines:
        return [json.loads(line)["text"] for _, line in zip(range(count), lines, strict=False)]


def papers_per_second(embed: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    """Embed texts in indexing-sized batches; return texts per second."""
    started = time.perf_counter()
    for start in range(0, len(texts), INDEXING_BATCH):
        embed(texts[start : start + INDEXING_BATCH])
    return len(texts) / (time.perf_counter() - started)


def latencies_ms(embed: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    """Return each query's embedding time in milliseconds."""
    times = []
    for query in queries:
        started = time.perf_counter()
        embed(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cosines(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return the row-wise cosine of two sets of unit vectors."""
    return np.sum(a * b, axis=1)


@dataclass
class TimedPath:
    """One way to embed, timed in turns with the others."""

    documents: Callable[[Sequence[str]], object]
    query: Callable[[str], object]
    rates: list[float] = field(default_factory=list)
    query_p50s: list[float] = field(default_factory=list)


def torch_embedder(threads: int | None) -> TimedPath | None:
    """Return sentence-transformers on torch (fp32), if installed (not a project dependency)."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    model = SentenceTransformer(str(find_packaged_minilm().folder), device="cpu")
    model.encode(["warm up"])
    return TimedPath(
        documents=lambda batch: model.encode(list(batch), batch_size=32),
        query=lambda query: model.encode([query]),
    )


def compare_in_turns(
    paths: dict[str, TimedPath], texts: Sequence[str], queries: Sequence[str]
) -> None:
    """Time each path on the same texts, in turns, so load from elsewhere hits all alike."""
    for _ in range(COMPARISON_ROUNDS):
        for path in paths.values():
            path.rates.append(papers_per_second(path.documents, texts))
            path.query_p50s.append(percentile(latencies_ms(path.query, queries), 0.5))
    int8_rate = statistics.median(paths["int8 ONNX"].rates)
    for name, path in paths.items():
        rate = statistics.median(path.rates)
        print(
            f"  {name:16s} {rate:6.1f} papers/s (int8 is x{int8_rate / rate:.2f}),"
            f" query p50 {statistics.median(path.query_p50s):6.2f} ms"
        )


def cores_in_turns(model: BuiltModel, texts: Sequence[str]) -> dict[int, float]:
    """Return papers/s on one core and on all, timed in turns so load hits both alike."""
    counts = sorted({1, available_cores()})
    embedders = {count: OnnxMiniLMEmbedder(model, threads=count) for count in counts}
    rates: dict[int, list[float]] = {count: [] for count in counts}
    for _ in range(COMPARISON_ROUNDS):
        for count, embedder in embedders.items():
            rates[count].append(papers_per_second(embedder.embed_documents, texts))
    return {count: statistics.median(values) for count, values in rates.items()}


def demo_indexing(model: BuiltModel, scratch: Path) -> None:
    """Import the demo's papers into a new database and time indexing them all."""
    storage = open_storage(f"sqlite:///{scratch / 'demo.db'}")
    with storage.transaction():
        import_file(storage=storage, path=HF_PAPERS)
    total = storage.count_papers()
    embedder = OnnxMiniLMEmbedder(model)
    started = time.perf_counter()
    newest_day_done: list[float] = []

    def note(count: int) -> None:
        if not newest_day_done:
            newest_day_done.append(time.perf_counter() - started)

    done = embed_missing(storage=storage, embedder=embedder, progress=note)
    took = time.perf_counter() - started
    print(
        f"demo indexing:     {done} of {total} papers in {took:6.1f} s ({done / took:.1f}/s);"
        f" the latest {INDEXING_BATCH} featured papers after {newest_day_done[0]:.1f} s"
    )
    storage.close()


def main(argv: list[str] | None = None) -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--reference", type=int, default=20, help="texts checked against fp32")
    parser.add_argument("--compare", type=int, default=200, help="papers for fp32 (0: none)")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: a fresh build")
    parser.add_argument("--demo", action="store_true", help="also time indexing the demo")
    options = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        model = ensure_model(options.model_dir or Path(scratch) / "models")
        print(f"model build/check: {time.perf_counter() - started:6.1f} s -> {model.onnx_path}")
        print(f"model file:        {model.onnx_path.stat().st_size / 1e6:6.1f} MB")
        started = time.perf_counter()
        embedder = OnnxMiniLMEmbedder(model, threads=options.threads)
        print(f"load + warm-up:    {(time.perf_counter() - started) * 1000:6.0f} ms")

        texts, queries = real_papers(options.papers), real_claims(options.queries)
        first_started = time.perf_counter()
        embedder.embed_query(queries[0])
        print(f"first query:       {(time.perf_counter() - first_started) * 1000:6.1f} ms")
        by_cores = cores_in_turns(model, texts)
        rate = by_cores[max(by_cores)]
        times = latencies_ms(embedder.embed_query, queries)
        verdict_rate = "ok" if rate >= TARGET_PAPERS_PER_S else "BELOW TARGET"
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        verdict_query = "ok" if p50 <= TARGET_QUERY_MS else "ABOVE TARGET"
        for count, cores_rate in by_cores.items():
            print(f"documents:         {cores_rate:6.1f} papers/s on {count} core(s)")
        print(f"all cores:         {rate:6.1f} papers/s over {len(texts)} papers ({verdict_rate})")
        print(
            f"queries:           p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {max(times):.2f} ms"
            f" over {len(queries)} claims ({verdict_query})"
        )
        print(f"84,000 papers:     {84_000 / rate / 60:6.1f} min at this rate")

        checked = texts[: options.reference] + queries[:5]
        reference = reference_embeddings(find_packaged_minilm(), checked, max_tokens=MAX_TOKENS)
        agreement = cosines(embedder.embed_documents(checked), reference)
        print(
            f"fidelity vs fp32:  cosine min {agreement.min():.4f}, mean {agreement.mean():.4f}"
            f" over {len(checked)} texts"
        )

        if options.compare:  # 0: no comparison with the fp32 and torch paths
            subset, some_queries = texts[: options.compare], queries[:COMPARISON_QUERIES]
            fp32_path = Path(scratch) / "fp32.onnx"
            build_minilm_onnx(find_packaged_minilm(), fp32_path, quantize=False)
            fp32 = OnnxMiniLMEmbedder(
                BuiltModel(fp32_path, model.tokenizer_path), threads=options.threads
            )
            paths = {
                "int8 ONNX": TimedPath(embedder.embed_documents, embedder.embed_query),
                "fp32 ONNX": TimedPath(fp32.embed_documents, fp32.embed_query),
            }
            if torch := torch_embedder(options.threads):
                paths["torch fp32"] = torch
            else:
                print("(sentence-transformers and torch are not installed: no torch figures)")
            print(
                f"in turns, {COMPARISON_ROUNDS} rounds of {len(subset)} papers and"
                f" {len(some_queries)} queries (medians):"
            )
            compare_in_turns(paths, subset, some_queries)
        if options.demo:
            demo_indexing(model, Path(scratch))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
