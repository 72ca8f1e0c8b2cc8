"""The words and authors of a member's model: the part of their taste they could name.

Beside the scorer on vectors (member_model.py), a member's model holds two sparse weightings
a member reads at a glance:

- terms: the tf-idf of the words of the papers they liked, minus that of the
  papers featured meanwhile (a Rocchio profile), the strongest kept. It brings back what a
  sentence vector blurs: the names of models, datasets and methods.
- authors: the authors of the papers they liked, weighed by log(1 + how many of them).

Both are scored on a set of papers through a `Bag` (papers × names, sparse), built once for
a window's papers and shared by every member's request, so scoring is one sparse product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

# arxiv-sanity-lite's choice of words, but single words (pairs cost five times as long to
# count, and a window's words are counted while a request waits, once a minute): English
# stop words left out, a word starts with a letter (so "7B" and "2024" are not words), and a
# word in more than a tenth of the papers tells nothing of a taste.
TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"
MAX_DF = 0.1
KEPT_TERMS = 500  # the strongest term weights a model keeps: a request looks each up
KEPT_AUTHORS = 1000


@dataclass(frozen=True, slots=True)
class Bag:
    """Papers × names (terms or authors), one row per paper, as a sparse matrix."""

    matrix: sparse.csr_matrix
    names: Mapping[str, int]

    def score(self, weights: Mapping[str, float]) -> NDArray[np.float32]:
        """Return each paper's Σ weight(name) · value(paper, name)."""
        vector = np.zeros(len(self.names), dtype=np.float32)
        for name, weight in weights.items():
            column = self.names.get(name)
            if column is not None:
                vector[column] = weight
        return np.asarray(self.matrix @ vector, dtype=np.float32).reshape(-1)


@dataclass(frozen=True, slots=True)
class PaperWords:
    """The words (tf-idf, l2-normalised rows) and the authors (0/1) of a list of papers."""

    terms: Bag
    authors: Bag
    author_names: list[tuple[str, ...]]  # per paper, as given
    idf: NDArray[np.float64]  # per column of `terms`: to weigh other papers alike
    vectorizer: CountVectorizer | None  # None when there were no words to learn

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return other papers' tf-idf rows over these papers' terms (their idf too)."""
        if self.vectorizer is None or not texts:
            return sparse.csr_matrix((len(texts), len(self.terms.names)), dtype=np.float32)
        return _tfidf(self.vectorizer.transform(texts), self.idf)


def paper_words(texts: Sequence[str], authors: Sequence[Sequence[str]]) -> PaperWords:
    """Return the words and authors of these papers, the idf counted among themselves."""
    vectorizer: CountVectorizer | None = CountVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=TOKEN_PATTERN,
        max_df=MAX_DF if len(texts) >= 20 else 1.0,  # a handful of papers: keep every word
        dtype=np.float32,
    )
    try:
        counts = vectorizer.fit_transform(texts)  # type: ignore[union-attr]
        names = vectorizer.vocabulary_  # type: ignore[union-attr]
    except ValueError:  # no words at all (no papers, or only stop words)
        vectorizer, names = None, {}
        counts = sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    frequency = np.asarray((counts > 0).sum(axis=0)).reshape(-1)
    idf = np.log((1 + len(texts)) / (1 + frequency)) + 1  # scikit-learn's smoothed idf
    author_names: dict[str, int] = {}
    rows, columns = [], []
    for row, names_of_paper in enumerate(authors):
        for name in dict.fromkeys(names_of_paper):
            rows.append(row)
            columns.append(author_names.setdefault(name, len(author_names)))
    author_matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, columns)),
        shape=(len(authors), len(author_names)),
    )
    return PaperWords(
        Bag(_tfidf(counts, idf), names),
        Bag(author_matrix, author_names),
        [tuple(names) for names in authors],
        idf,
        vectorizer,
    )


def _tfidf(counts: sparse.spmatrix, idf: NDArray[np.float64]) -> sparse.csr_matrix:
    """Return sublinear tf times idf, each row of unit length (arxiv-sanity-lite's tf-idf)."""
    weighted = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    weighted.data = 1 + np.log(weighted.data)
    weighted = sparse.csr_matrix(weighted.multiply(idf.astype(np.float32)[None, :]))
    if weighted.shape[0] == 0 or weighted.shape[1] == 0:
        return sparse.csr_matrix(weighted.shape, dtype=np.float32)
    return sparse.csr_matrix(normalize(weighted), dtype=np.float32)


def term_weights(
    liked: sparse.spmatrix,
    against: sparse.spmatrix,
    against_weights: NDArray[np.float64],
    vocabulary: Mapping[str, int],
) -> dict[str, float]:
    """Return the Rocchio profile: mean tf-idf of the likes minus the weighted mean of the rest.

    Only the KEPT_TERMS strongest weights (either sign) are kept: a few hundred names carry
    the profile, and the model stays small to store and quick to score.
    """
    if liked.shape[0] == 0 or liked.shape[1] == 0 or len(vocabulary) == 0:
        return {}
    share = against_weights / against_weights.sum() if len(against_weights) else against_weights
    profile = np.asarray(liked.mean(axis=0)).reshape(-1)
    if against.shape[0]:
        profile = profile - np.asarray(against.T @ share).reshape(-1)
    strongest = np.argsort(-np.abs(profile), kind="stable")[:KEPT_TERMS]
    names = {column: name for name, column in vocabulary.items()}
    return {names[int(c)]: float(profile[c]) for c in strongest if profile[c] != 0}


def author_weights(liked_authors: Sequence[Sequence[str]]) -> dict[str, float]:
    """Return log(1 + number of liked papers) per author, for the KEPT_AUTHORS most liked."""
    counts: dict[str, int] = {}
    for names in liked_authors:
        for name in dict.fromkeys(names):
            counts[name] = counts.get(name, 0) + 1
    most = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:KEPT_AUTHORS]
    return {name: float(np.log1p(count)) for name, count in most}
