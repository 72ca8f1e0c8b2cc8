"""A tiny deterministic embedder for testing index and fusion mechanics (not quality)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Bag of hashed words: texts that share words get close vectors."""

    model_name = "test-hashing-64"
    dimension = 64

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one L2-normalized row per text."""
        self.calls += 1
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                row[int.from_bytes(digest, "little") % self.dimension] += 1.0
            row += 1e-3  # no zero rows: an empty text still has a direction
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """Return the L2-normalized vector of a query."""
        return self.embed_documents([text])[0]


def document_text(title: str, abstract: str) -> str:
    """Join title and abstract the way the embedder reads a paper."""
    return f"{title}. {abstract}"
