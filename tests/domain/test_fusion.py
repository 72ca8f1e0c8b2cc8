"""Score fusion of the words' and the meaning's rankings, and pinning."""

import pytest

from dailypapers.domain.fusion import Fusion, fuse_scores, pin_first

WORDS = [("a", 12.0), ("b", 6.0), ("c", 3.0)]  # bm25 scores: a clear first
MEANING = [("d", 0.80), ("c", 0.78), ("b", 0.40)]  # cosines: d and c close, b far


def test_meaning_zero_keeps_the_words_order_and_adds_the_rest_after():
    assert fuse_scores(WORDS, MEANING, Fusion(meaning=0.0)) == ["a", "b", "c", "d"]


def test_meaning_one_ranks_by_meaning_and_the_words_only_papers_last():
    assert fuse_scores(WORDS, MEANING, Fusion(meaning=1.0)) == ["d", "c", "b", "a"]


def test_each_side_counts_over_its_best_so_their_scales_do_not_matter():
    # c: 0.25 of the best words score, 0.975 of the best meaning: at an even mix it passes
    # a (1 and nothing), b (0.5 and 0.5) and d (nothing and 1), which tie in the words'
    # order; scaling one side changes nothing.
    even = fuse_scores(WORDS, MEANING, Fusion(meaning=0.5))
    assert even == ["c", "a", "b", "d"]
    scaled = [(item, score * 1000) for item, score in WORDS]
    assert fuse_scores(scaled, MEANING, Fusion(meaning=0.5)) == even


def test_a_clear_word_lead_keeps_its_paper_first():
    # a scores twice b: at a lead of 2 the words have found it, whatever the meaning says.
    assert fuse_scores(WORDS, MEANING, Fusion(meaning=0.5, clear_lead=2.0))[0] == "a"
    assert fuse_scores(WORDS, MEANING, Fusion(meaning=0.5, clear_lead=2.5))[0] == "c"
    # One word match alone is a clear lead too.
    assert fuse_scores([("a", 1.0)], MEANING, Fusion(meaning=0.9, clear_lead=3.0))[0] == "a"


def test_empty_sides_and_scores_of_zero():
    assert fuse_scores([], [], Fusion(meaning=0.5)) == []
    assert fuse_scores([], MEANING, Fusion(meaning=0.2, clear_lead=1.5)) == ["d", "c", "b"]
    # Filters alone score every paper 0: they keep their order.
    assert fuse_scores([("x", 0.0), ("y", 0.0)], [], Fusion(meaning=0.5)) == ["x", "y"]


@pytest.mark.parametrize("meaning", [0.0, 0.3, 1.0])
def test_every_paper_of_either_side_is_kept_once(meaning):
    fused = fuse_scores(WORDS, MEANING, Fusion(meaning=meaning, clear_lead=1.5))
    assert sorted(fused) == ["a", "b", "c", "d"]


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
