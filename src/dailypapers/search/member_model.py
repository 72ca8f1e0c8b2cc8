"""Fit a member's model: a linear scorer over paper vectors, plus their words and authors.

In the spirit of arxiv-sanity's per-user SVM, but on semantic vectors: the positives are
the papers a member liked, the negatives the papers they dismissed plus the most recently
featured other papers ("background"), which stand for everything they did not pick. The fit
is a class-balanced ridge regression solved in closed form (one 384×384 solve, a few
milliseconds); scikit-learn's linear SVM and logistic regression are there to compare.
bench/recommend.py chose the regularisation and the background size by cross-validation
(docs/performance.md, "For you").

`fit_member` adds the words and authors of the member's likes (member_words.py) and mixes
the three parts: the vector and word scores are each divided by their spread over the
background papers (so a unit means as much in both), and the mixing weights are those the
cross-validation chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from dailypapers.search.member_words import Bag, PaperWords, author_weights, term_weights

Matrix = NDArray[np.float32]
Method = Literal["ridge", "svm", "logistic"]


@dataclass(frozen=True, slots=True)
class FitChoices:
    """The few choices of the fit; the defaults are what the site uses.

    Chosen by bench/recommend.py's cross-validation on development organizations
    (docs/performance.md, "For you").
    """

    method: Method = "ridge"
    regularisation: float = 3.0  # ridge: lambda; svm and logistic: 1 / C
    background: int = 10000  # the most recently featured other papers, taken as negatives
    dismissed_weight: float = 2.0  # how much more a "not interested" counts than background
    terms_weight: float = (
        1.0  # the word profile's score, in background spreads, beside the vectors'
    )
    authors_weight: float = 10.0  # per log(1 + liked papers) of each of a paper's authors


DEFAULT_CHOICES = FitChoices()


@cache
def one_blas_thread() -> None:
    """Run BLAS on the calling thread alone, from the first call on, in the whole process.

    The products here are small (a window's papers by one vector; in the background, a
    10,000 × 384 Gram matrix at most): BLAS threads cost more to wake than they save, and on
    a busy machine a product that took 0.3 ms on one thread was measured at 3 to 60 ms on
    two. Set once, not around each product: the limit is the process's, so requests on
    concurrent threads restored each other's, and setting and restoring it took 50 to 75 us,
    more than a request's product.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def fit_linear_scorer(
    positives: Matrix,
    negatives: Matrix,
    background: Matrix,
    choices: FitChoices = DEFAULT_CHOICES,
) -> tuple[Matrix, float]:
    """Return (weights, bias) scoring liked papers above the others.

    Each class weighs as much in total as the other, so two likes are not drowned by two
    thousand background papers.
    """
    if len(positives) == 0:
        raise ValueError("a member model needs at least one liked paper")
    dimension = positives.shape[1]
    negative_rows = [m for m in (negatives, background) if len(m)]
    if not negative_rows:
        raise ValueError("a member model needs papers to contrast the liked ones with")
    features = np.vstack([positives, *negative_rows]).astype(np.float32, copy=False)
    targets = np.concatenate(
        [np.ones(len(positives)), -np.ones(sum(len(m) for m in negative_rows))]
    )
    negative_weights = np.concatenate(
        [np.full(len(negatives), choices.dismissed_weight), np.ones(len(background))]
    )
    weights = np.concatenate(
        [
            np.full(len(positives), 1.0 / len(positives)),
            negative_weights / negative_weights.sum(),
        ]
    )
    one_blas_thread()
    if choices.method == "ridge":
        vector, bias = _weighted_ridge(features, targets, weights, choices.regularisation)
    else:
        vector, bias = _sklearn_fit(features, targets, weights, choices)
    return vector.astype(np.float32).reshape(dimension), float(bias)


def _weighted_ridge(
    features: Matrix,
    targets: NDArray[np.float64],
    weights: NDArray[np.float64],
    regularisation: float,
) -> tuple[NDArray[np.float64], float]:
    """Solve min Σ wᵢ (x·w + b − yᵢ)² + λ‖w‖² in closed form (b not penalised).

    Σ wᵢ (xᵢ − μ)(xᵢ − μ)ᵀ is computed as Xᵀ W X − (Σ wᵢ) μ μᵀ: no centred copy of X. The
    products run in float32 (four times faster, ample for unit vectors with λ > 0), the
    solve in float64.
    """
    total = float(weights.sum())
    weighted = features * weights.astype(np.float32)[:, None]
    mean = weighted.sum(axis=0, dtype=np.float64) / total
    target_mean = float((weights * targets).sum() / total)
    gram = (features.T @ weighted).astype(np.float64) - total * np.outer(mean, mean)
    gram[np.diag_indices_from(gram)] += regularisation
    # Σ wᵢ (xᵢ − μ)(yᵢ − ȳ) = Σ wᵢ yᵢ xᵢ − (Σ wᵢ yᵢ) μ, and Σ wᵢ yᵢ = total · ȳ.
    moment = (weighted.T @ targets.astype(np.float32)).astype(np.float64)
    vector = np.linalg.solve(gram, moment - total * target_mean * mean)
    return vector, target_mean - float(mean @ vector)


def _sklearn_fit(
    features: Matrix,
    targets: NDArray[np.float64],
    weights: NDArray[np.float64],
    choices: FitChoices,
) -> tuple[NDArray[np.float64], float]:
    """Fit scikit-learn's linear SVM or logistic regression with these sample weights."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    scale = len(weights)  # sample weights that sum to n keep C's usual meaning
    classifier: LinearSVC | LogisticRegression
    if choices.method == "svm":
        classifier = LinearSVC(C=1.0 / choices.regularisation, max_iter=5000)
    else:
        classifier = LogisticRegression(C=1.0 / choices.regularisation, max_iter=1000)
    classifier.fit(features, targets, sample_weight=weights * scale)
    return np.asarray(classifier.coef_[0], dtype=np.float64), float(classifier.intercept_[0])


@dataclass(frozen=True, slots=True)
class FittedMember:
    """A member's three parts, calibrated and mixed: score = vectors · weights + bias + the
    paper's terms · terms + its authors · authors."""

    weights: Matrix
    bias: float
    terms: dict[str, float]
    authors: dict[str, float]


def fit_member(
    *,
    liked: Matrix,
    disliked: Matrix,
    background: Matrix,
    words: PaperWords,
    liked_texts: Sequence[str],
    disliked_texts: Sequence[str],
    liked_authors: Sequence[Sequence[str]],
    choices: FitChoices = DEFAULT_CHOICES,
) -> FittedMember:
    """Fit the member's parts against background papers (their vectors, and their `words`)."""
    weights, bias = fit_linear_scorer(liked, disliked, background, choices)
    scores = background @ weights if len(background) else None
    spread = _spread(scores) if scores is not None else 1.0
    offset = float(np.mean(scores)) + bias if scores is not None else 0.0
    against = sparse.vstack([words.transform(disliked_texts), words.terms.matrix], format="csr")
    against_weights = np.concatenate(
        [
            np.full(len(disliked_texts), choices.dismissed_weight),
            np.ones(words.terms.matrix.shape[0]),
        ]
    )
    profile = term_weights(
        words.transform(liked_texts), against, against_weights, words.terms.names
    )
    term_scale = choices.terms_weight / _spread(words.terms.score(profile))
    return FittedMember(
        weights=(weights / spread).astype(np.float32),
        bias=(bias - offset) / spread,
        terms={name: weight * term_scale for name, weight in profile.items()},
        authors={
            name: weight * choices.authors_weight
            for name, weight in author_weights(liked_authors).items()
        },
    )


def _spread(scores: NDArray[np.float32]) -> float:
    """Return the standard deviation of scores, or 1 where there is none to divide by."""
    deviation = float(np.std(scores)) if len(scores) else 0.0
    return deviation if deviation > 1e-9 else 1.0


def score_member(
    vectors: Matrix,
    terms: Bag,
    authors: Bag,
    model: FittedMember,
) -> NDArray[np.float32]:
    """Return each paper's mixed score: rows of vectors, terms and authors are the same papers."""
    scored = score(vectors, model.weights, model.bias)
    if model.terms:
        scored = scored + terms.score(model.terms)
    if model.authors:
        scored = scored + authors.score(model.authors)
    return scored


def score(vectors: Matrix, weights: Matrix, bias: float) -> NDArray[np.float32]:
    """Return each paper's score: one matrix product."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    one_blas_thread()
    return np.asarray(vectors @ weights + np.float32(bias), dtype=np.float32)


def nearest_rows(
    candidates: Matrix, references: Matrix, preferred: NDArray[np.bool_] | None = None
) -> NDArray[np.intp]:
    """Return, per candidate, the index of the most similar reference (cosine).

    `preferred` (candidates × references) narrows a candidate's choice to the references
    marked for it, when it has any: the liked papers that share an author with it.
    """
    one_blas_thread()
    similarity = candidates @ references.T
    if preferred is not None:
        narrowed = preferred.any(axis=1, keepdims=True) & ~preferred
        similarity = np.where(narrowed, -np.inf, similarity)
    return np.asarray(np.argmax(similarity, axis=1), dtype=np.intp)
