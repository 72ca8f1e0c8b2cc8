"""An HNSW index of one model's vectors (usearch), kept beside the SQLite database.

The database holds every vector; this file only makes finding neighbours fast. It records
the highest embedding `seq` it holds, so a process that opens it adds only the vectors
written since, and it can be deleted at any time: it is rebuilt from the database.
Vectors are kept as 16-bit floats: half the memory of 32-bit ones, the same neighbours
to well within the recall the benchmark asks for (see docs/performance.md).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime  # noqa: F401  (see below)
from numpy.typing import NDArray

# Loading ONNX Runtime (the embedder's) after usearch's native module crashes the process
# (a clash between their bundled libraries, seen with usearch 2.26 and onnxruntime 1.32);
# the other order works, so onnxruntime is loaded first here, wherever usearch is used.
from usearch.index import Index

from dailypapers.storage.index_description import read_description, write_description
from dailypapers.storage.read_write_lock import ReadWriteLock
from dailypapers.storage.search_types import Vectors

log = logging.getLogger("dailypapers.search")

FORMAT = 2  # bump when what the file holds changes meaning, to have it rebuilt
# Graph edges per node. 16 (usearch's default) found 0.97 of the true 10 nearest in a
# benchmark of 100,000 clustered paper vectors, 32 found all of them for 8% more build time.
CONNECTIVITY = 32
EXPANSION_ADD = 128
# Candidates a search walks: 160 found 0.93 of the true 10 nearest for real queries among
# 100,000 clustered vectors, 512 found 0.98; among 1,000,000, 512 found 0.941, 768 0.965
# and 1,024 0.972, for 3.9, 4.9 and 6.2 ms a search (docs/performance.md).
EXPANSION_SEARCH = 768
# Candidates walked to find a stored paper's neighbours (similar papers). Its own vector is
# in the graph, next to them: among the 80,317 papers of the pages benchmark, 64 to 768 all
# found every one of the true 7 nearest, and 128 took a quarter of the time of 768.
PAPER_EXPANSION = 128

Batch = tuple[NDArray[np.int64], NDArray[np.uint64], Vectors]  # seqs, keys, vectors


def index_path(database_path: str, model: str) -> Path | None:
    """Return where a model's index file lives for this database (None: in memory only)."""
    if database_path == ":memory:":
        return None
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model).strip("-")[:80] or "model"
    return Path(f"{database_path}.{slug}.usearch")


class VectorFile:
    """One model's HNSW index: loaded or built, caught up from stored vectors, saved."""

    def __init__(self, path: Path | None, *, model: str, dimension: int) -> None:
        """Remember where the file is; nothing is read until `load`."""
        self.path = path
        self.model = model
        self.dimension = dimension
        self.seq = 0  # the highest embedding seq the index holds
        self.index: Index | None = None
        # Searches share the index; loading, additions (which may grow it, and growing is
        # not safe beside a search) and saving have it alone. usearch's Python search holds
        # the GIL for its whole walk (four threads searching took as long as one, with the
        # same answers), so walks never overlap; what no longer queues behind a search is
        # everything else a search does around it, and other searches waiting for that.
        self.lock = ReadWriteLock()
        # One thread adds the vectors written since; searches meanwhile use what is there.
        self.catching_up = threading.Lock()
        self.loader: threading.Thread | None = None

    @property
    def meta_path(self) -> Path | None:
        """Return the small JSON file that says what the index holds."""
        return self.path.with_suffix(".json") if self.path else None

    def load(self) -> None:
        """Read the saved index if it fits this model, else start an empty one."""
        with self.lock.writing():
            if self.index is not None:
                return
            meta = read_description(self.meta_path)
            if (
                self.path is not None
                and self.path.exists()
                and meta.get("format") == FORMAT
                and meta.get("model") == self.model
                and meta.get("dimension") == self.dimension
            ):
                try:
                    restored = Index.restore(str(self.path), view=False)
                    if restored is not None:
                        # The file keeps the graph, not the search setting: set it again.
                        # (usearch declares the setter after its getter; mypy misses it.)
                        restored.expansion_search = PAPER_EXPANSION  # type: ignore[misc]
                    self.index = restored
                    self.seq = int(str(meta["seq"]))
                except Exception:  # a damaged file is only a cache: rebuild it
                    log.warning("rebuilding the unreadable vector index %s", self.path)
                    self.index = None
            if self.index is None:
                self.index = _new_index(self.dimension)
                self.seq = 0

    def add(self, batch: Batch) -> None:
        """Add (or replace) vectors, remembering the highest seq among them."""
        seqs, keys, vectors = batch
        if len(keys) == 0:
            return
        with self.lock.writing():
            assert self.index is not None
            present = keys[np.asarray(self.index.contains(keys), dtype=bool)]
            if len(present):
                self.index.remove(present)
            # The same paper may come twice in one batch (re-embedded): keep its last vector.
            _, last = np.unique(keys[::-1], return_index=True)
            chosen = len(keys) - 1 - last
            self.index.add(keys[chosen], vectors[chosen])
            self.seq = max(self.seq, int(seqs.max()))

    def search(
        self, vector: Vectors, count: int, *, walk: int = EXPANSION_SEARCH
    ) -> list[tuple[int, float]]:
        """Return (key, cosine similarity) of the nearest vectors, nearest first.

        The graph is walked over `walk` candidates (or `count`, if more). usearch walks as
        many as the index's setting or the results asked for, whichever is more; the
        setting is the shortest walk, and asking for `walk` results sets each search's own,
        which one setting shared by concurrent searches could not.
        """
        with self.lock.reading():
            if self.index is None or len(self.index) == 0:
                return []
            wanted = min(max(count, walk), len(self.index))
            matches = self.index.search(vector.astype(np.float32), wanted)
        return [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys[:count], matches.distances[:count], strict=True)
        ]

    def __len__(self) -> int:
        """Return how many vectors the index holds."""
        return 0 if self.index is None else len(self.index)

    def save(self) -> None:
        """Write the index and its description atomically beside the database."""
        if self.path is None or self.meta_path is None:
            return
        with self.lock.writing():
            if self.index is None:
                return
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            self.index.save(str(temporary))
            meta = {
                "format": FORMAT,
                "model": self.model,
                "dimension": self.dimension,
                "seq": self.seq,
                "count": len(self.index),
            }
            # The index first, then the description: a crash between them leaves a
            # description with a lower seq, which only makes the next process add a
            # few vectors again.
            os.replace(temporary, self.path)
            write_description(self.meta_path, meta)

    def delete_files(self) -> None:
        """Remove the saved index, and forget the one in memory."""
        with self.lock.writing():
            self.index = None
            self.seq = 0
            for path in (self.path, self.meta_path):
                if path is not None:
                    path.unlink(missing_ok=True)


def _new_index(dimension: int) -> Index:
    return Index(
        ndim=dimension,
        metric="cos",
        dtype="f16",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=PAPER_EXPANSION,  # the shortest walk: see VectorFile.search
    )


def vectors_from_blobs(blobs: Iterator[bytes] | list[bytes], dimension: int) -> Vectors:
    """Turn stored float32 blobs into one (n, dim) array."""
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype="<f4").reshape(-1, dimension).astype(np.float32)
