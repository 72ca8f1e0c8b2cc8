"""Turn papers and queries into unit vectors: all-MiniLM-L6-v2, int8, on ONNX Runtime.

Why this model and runtime, with figures, is in docs/performance.md ("Embeddings").
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from dailypapers.search.minilm_model import BuiltModel, ensure_model

MINILM_DIMENSION = 384
# Title + abstract: on SciFact, 256 tokens (the model's own limit) ranks better than the 128
# it was trained at, and still embeds about twice the 60 papers/s asked; docs/performance.md.
MAX_TOKENS = 256
# A token takes at least one character, and past this many per token only runs of whitespace
# or 100-character nonsense words fit: cut there so a huge paste cannot stall the tokenizer.
_CHARACTERS_PER_TOKEN_CAP = 50
# ONNX Runtime would fuse the graph's Add + LayerNormalization and Add + Gelu into kernels
# that measured slower on CPU (SkipLayerNormalization 5.4 ms against 1.0 ms a 256-token text,
# BiasGelu 2.3 against 1.4), so those fusions are off. Unknown names are ignored by ORT.
SLOW_FUSIONS = ["SkipLayerNormFusion", "BiasGeluFusion"]


def available_cores() -> int:
    """Return how many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # Linux: honours taskset and container CPU sets
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Embedder(Protocol):
    """Embed documents and queries into one vector space."""

    model_name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one L2-normalized float32 row per text, shape (len(texts), dimension)."""
        ...

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """Return the L2-normalized float32 vector of a search query, shape (dimension,)."""
        ...


def document_text(title: str, abstract: str) -> str:
    """Return what gets embedded for a paper: its title as a sentence, then its abstract."""
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    if title and abstract and title[-1] not in ".?!":
        title += "."
    return f"{title} {abstract}".strip()


class OnnxMiniLMEmbedder:
    """Embed texts with the int8 MiniLM graph on ONNX Runtime's CPU provider.

    Each text runs alone, on one core, and `threads` texts run at once. Alone, a text needs
    no padding and its int8 activation scales depend on it only, so a paper gets the same
    vector whatever it is embedded with; and on two shared cores this measured faster than
    batches split across both cores, whose threads wait for each other at every operator.
    """

    dimension = MINILM_DIMENSION

    def __init__(
        self, model: BuiltModel, *, threads: int | None = None, max_tokens: int = MAX_TOKENS
    ) -> None:
        """Load the model; `threads` is how many cores embedding uses (None: all of them)."""
        self.model_name = f"all-MiniLM-L6-v2/onnx-int8/{max_tokens}"
        self._max_tokens = max_tokens
        self._threads = max(1, threads if threads is not None else available_cores())
        self._tokenizer = Tokenizer.from_file(str(model.tokenizer_path))
        # The packaged tokenizer.json pads and truncates to 128: turn both off, then truncate.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model.onnx_path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=SLOW_FUSIONS,
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # The first run allocates ONNX Runtime's buffers; pay for it here, not on a query.
        self.embed_query("warm up")

    def _workers(self) -> ThreadPoolExecutor:
        """Return the threads that run texts side by side, started on first use."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="embed")
            return self._pool

    def _encode(self, texts: Sequence[str]) -> list[Encoding]:
        """Tokenize texts, truncated to the token limit."""
        limit = self._max_tokens * _CHARACTERS_PER_TOKEN_CAP
        return self._tokenizer.encode_batch([text[:limit] for text in texts])

    def _run(self, encoding: Encoding) -> NDArray[np.float32]:
        """Run one text through the model; return its unit vector."""
        ids = np.asarray([encoding.ids], dtype=np.int32)
        (vectors,) = self._session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        )
        return np.asarray(vectors[0], dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one unit row per text, running `threads` texts at once."""
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        encodings = self._encode(texts)
        if self._threads == 1 or len(texts) == 1:
            for row, encoding in enumerate(encodings):
                vectors[row] = self._run(encoding)
        else:
            # ONNX Runtime releases the GIL while it runs, so the threads use separate cores.
            for row, vector in enumerate(self._workers().map(self._run, encodings)):
                vectors[row] = vector
        return vectors

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """Return the unit vector of one query, computed on the calling thread."""
        return self._run(self._encode([text])[0])


def default_embedder(*, model_dir: Path | None = None, threads: int | None = None) -> Embedder:
    """Return the default embedder, building its model into `model_dir` on first use."""
    return OnnxMiniLMEmbedder(ensure_model(model_dir), threads=threads)
