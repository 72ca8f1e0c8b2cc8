"""The words and authors of a member's model: what their likes share lifts other papers."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.search.member_model import FitChoices, fit_member, score_member
from dailypapers.search.member_words import author_weights, paper_words, term_weights

FIELDS = [f"field{k}" for k in range(40)]  # each in a twentieth of the background


def background_texts(count: int) -> list[str]:
    """Return texts of papers on assorted fields, each naming two of them."""
    return [f"{FIELDS[n % 40]} study of {FIELDS[(n * 7 + 3) % 40]}" for n in range(count)]


def test_a_papers_score_adds_the_weights_of_its_words_and_authors() -> None:
    words = paper_words(
        ["Qwen tuning", "Llama tuning", "nothing here"],
        [("Ada Lovelace", "Bo"), ("Bo",), ()],
    )
    authors = words.authors.score({"Bo": 2.0, "Ada Lovelace": 1.0, "nobody": 9.0})
    np.testing.assert_allclose(authors, [3.0, 2.0, 0.0])
    terms = words.terms.score({"qwen": 1.0, "unknown": 5.0})
    assert terms[0] > 0 and terms[1] == 0 and terms[2] == 0


def test_papers_without_any_words_score_nothing() -> None:
    words = paper_words(["", "the of and"], [(), ()])
    np.testing.assert_array_equal(words.terms.score({"qwen": 1.0}), [0.0, 0.0])
    assert words.transform(["Qwen"]).shape == (1, 0)
    empty = paper_words([], [])
    assert len(empty.terms.score({"qwen": 1.0})) == 0 and len(empty.authors.score({})) == 0


def test_the_word_profile_weighs_the_likes_words_above_the_backgrounds() -> None:
    background = paper_words(background_texts(200), [()] * 200)
    assert "study" not in background.terms.names  # in every paper: no taste in it
    liked = background.transform(["field0 kernels", "field0 kernels for molecules"])
    profile = term_weights(liked, background.terms.matrix, np.ones(200), background.terms.names)
    assert profile["field0"] > 0 and "kernels" not in profile  # no background paper has it
    assert all(profile[word] < 0 for word in FIELDS[1:])
    assert term_weights(background.transform([]), background.terms.matrix, np.ones(200), {}) == {}


def test_authors_weigh_by_how_many_liked_papers_they_wrote() -> None:
    weights = author_weights([("Ada", "Bo"), ("Ada",), ("Ada", "Ada")])
    assert weights == {"Ada": pytest.approx(np.log(4)), "Bo": pytest.approx(np.log(2))}


def test_the_fitted_member_lifts_a_liked_authors_paper_and_a_liked_word() -> None:
    rng = np.random.default_rng(3)
    count = 200
    vectors = rng.normal(size=(count, 8)).astype(np.float32)  # no topic to learn from
    texts = background_texts(count)
    authors = [(f"Author {n}",) for n in range(count)]
    words = paper_words(texts, authors)
    fitted = fit_member(
        liked=vectors[:3],
        disliked=np.zeros((0, 8), dtype=np.float32),
        background=vectors[3:],
        words=words,
        liked_texts=["Qwen adapters", "Qwen distillation", "speech Qwen"],
        liked_authors=[("Grace Hopper",), ("Grace Hopper", "Bo"), ("Bo",)],
        disliked_texts=[],
        choices=FitChoices(terms_weight=1.0, authors_weight=10.0),
    )
    # The vector part is calibrated: over the background, mean 0 and spread 1.
    vector_part = vectors[3:] @ fitted.weights + fitted.bias
    assert abs(float(vector_part.mean())) < 1e-4 and float(vector_part.std()) == pytest.approx(1)
    window = paper_words(
        ["field1 study of field2", "field1 study of field2", "field1 study of Qwen"],
        [("Someone",), ("Grace Hopper",), ("Someone",)],
    )
    flat = np.zeros((3, 8), dtype=np.float32)
    scores = score_member(flat, window.terms, window.authors, fitted)
    assert scores[1] > scores[0] and scores[2] > scores[0]
    assert scores[1] == pytest.approx(scores[0] + 10 * np.log(3))
