"""Reciprocal rank fusion and pinning."""

import pytest

from dailypapers.domain.fusion import fuse_rankings, pin_first


def test_agreement_between_lists_beats_one_lists_top_hit():
    fused = fuse_rankings([["a", "b", "c"], ["b", "d", "a"]], k=60)
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_weights_tilt_the_fusion():
    lexical, vector = ["a", "b"], ["b", "a"]
    assert fuse_rankings([lexical, vector], weights=[2.0, 1.0])[0][0] == "a"
    assert fuse_rankings([lexical, vector], weights=[1.0, 2.0])[0][0] == "b"


def test_empty_lists_and_duplicates():
    assert fuse_rankings([[], []]) == []
    assert [item for item, _ in fuse_rankings([["a", "a", "b"]])] == ["a", "b"]
    with pytest.raises(ValueError):
        fuse_rankings([["a"]], weights=[1.0, 2.0])


def test_pinned_ids_come_first_once():
    assert pin_first(["c"], ["a", "c", "b"]) == ["c", "a", "b"]


def test_the_kind_of_query_follows_phrases_and_function_words():
    from dailypapers.domain.fusion import QueryKind, query_kind
    from dailypapers.domain.search_query import parse_query

    def kind(text):
        return query_kind(parse_query(text))

    assert kind("test-time learning in-context learning chain-of-thought") is QueryKind.KEYWORDS
    assert kind('"flow matching" image generation') is QueryKind.PHRASE
    claim = "Vitamin D supplementation reduces the risk of fractures in the elderly."
    assert kind(claim) is QueryKind.CLAIM
    # A quoted phrase inside a sentence still asks for those exact words.
    assert kind(f'"vitamin d" {claim}') is QueryKind.PHRASE
    assert kind("") is QueryKind.KEYWORDS
