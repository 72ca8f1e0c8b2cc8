"""What the search part of the storage interface hands over: texts to embed, matches, neighbours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]  # one vector (dim,) or a batch (n, dim), rows L2-normalized


@dataclass(frozen=True, slots=True)
class PaperText:
    """A paper's text to embed, with the key that orders the indexing work."""

    key: int
    paper_id: str
    title: str
    abstract: str


@dataclass(frozen=True, slots=True)
class SimilarPaper:
    """A paper found near a vector, with its cosine similarity to it."""

    paper_id: str
    similarity: float


@dataclass(frozen=True, slots=True)
class WordMatch:
    """A paper that matches a query's words, with its bm25 score (comparable within one answer)."""

    paper_id: str
    score: float


@dataclass(frozen=True, slots=True)
class WordsVersion:
    """Which words the word index held: its build, and how many commits that build has had.

    Every change of the words is a commit; a rebuilt index starts counting again.
    """

    build: str
    commits: int
