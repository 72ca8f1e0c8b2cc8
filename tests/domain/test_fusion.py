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
