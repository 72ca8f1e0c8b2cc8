"""The member model's fit: the closed-form ridge is the textbook one, and it learns a side."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.search.member_model import FitChoices, fit_linear_scorer, nearest_rows, score


def test_the_fast_ridge_solves_the_weighted_ridge_problem_exactly() -> None:
    rng = np.random.default_rng(0)
    liked = rng.normal(size=(20, 16)).astype(np.float32)
    background = rng.normal(size=(200, 16)).astype(np.float32)
    disliked = rng.normal(size=(5, 16)).astype(np.float32)
    choices = FitChoices(method="ridge", regularisation=0.5, background=200, dismissed_weight=2.0)
    weights, bias = fit_linear_scorer(liked, disliked, background, choices)
    # The textbook form: [X 1]ᵀ W [X 1] with λ on all but the bias, in float64.
    features = np.vstack([liked, disliked, background]).astype(np.float64)
    targets = np.r_[np.ones(20), -np.ones(205)]
    negative = np.r_[np.full(5, 2.0), np.ones(200)]
    sample = np.r_[np.full(20, 1 / 20), negative / negative.sum()]
    design = np.c_[features, np.ones(len(features))]
    penalty = np.eye(17) * 0.5
    penalty[16, 16] = 0
    solved = np.linalg.solve(
        design.T @ (design * sample[:, None]) + penalty, design.T @ (sample * targets)
    )
    np.testing.assert_allclose(weights, solved[:16], atol=1e-5)
    assert bias == pytest.approx(solved[16], abs=1e-5)


@pytest.mark.parametrize("method", ["ridge", "svm", "logistic"])
def test_each_method_ranks_the_liked_side_first(method: str) -> None:
    rng = np.random.default_rng(1)

    def cloud(centre: int, count: int) -> np.ndarray:
        points = rng.normal(scale=0.3, size=(count, 8))
        points[:, centre] += 2
        return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)

    weights, bias = fit_linear_scorer(
        cloud(0, 10), cloud(1, 3), cloud(2, 100), FitChoices(method=method, regularisation=1.0)
    )
    fresh = np.vstack([cloud(1, 5), cloud(0, 5), cloud(2, 5)])
    order = np.argsort(-score(fresh, weights, bias))
    assert set(order[:5].tolist()) == {5, 6, 7, 8, 9}
    assert nearest_rows(fresh[5:6], cloud(0, 3)).shape == (1,)


def test_a_model_needs_likes_and_something_to_contrast_them_with() -> None:
    empty = np.zeros((0, 4), dtype=np.float32)
    one = np.ones((1, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="liked"):
        fit_linear_scorer(empty, one, one)
    with pytest.raises(ValueError, match="contrast"):
        fit_linear_scorer(one, empty, empty)
