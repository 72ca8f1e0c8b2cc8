"""The searcher fuses each query by its kind, and nonsense finds nothing but the closest few."""

from __future__ import annotations

import pytest

from dailypapers.domain.fusion import Fusion, QueryKind
from dailypapers.domain.search_query import parse_query
from dailypapers.search import hybrid
from dailypapers.search.hybrid import FUSION, HybridSearcher, SearchMode, fusion_for
from dailypapers.services.semantic_index import embed_missing
from dailypapers.storage import Storage

from support.embedders import HashingEmbedder


def test_a_quoted_phrase_and_a_long_claim_are_fused_by_their_own_weights(monkeypatch):
    phrase, keywords, claim = (
        hybrid.Fusion(meaning=0.1),
        hybrid.Fusion(meaning=0.4, clear_lead=1.5),
        hybrid.Fusion(meaning=0.6),
    )
    table = {QueryKind.PHRASE: phrase, QueryKind.KEYWORDS: keywords, QueryKind.CLAIM: claim}
    monkeypatch.setitem(FUSION, "sqlite", table)
    assert fusion_for("sqlite", parse_query('"sparse attention"')) is phrase
    assert fusion_for("sqlite", parse_query("sparse attention long context")) is keywords
    long_claim = "Sparse attention is as accurate as dense attention on the longest inputs."
    assert fusion_for("sqlite", parse_query(long_claim)) is claim


def test_every_database_has_a_fusion_for_every_kind():
    for table in FUSION.values():
        assert set(table) == set(QueryKind)


@pytest.fixture
def searcher(loaded_storage: Storage) -> HybridSearcher:
    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    # The hashing embedder's cosines are lower than a language model's: its own floor.
    return HybridSearcher(
        load_embedder=lambda: embedder,
        model_name=embedder.model_name,
        timeout_s=5,
        meaning_floor=0.5,
    )


@pytest.mark.parametrize("text", ["asdfghjkl qwertyuiop", "大型语言模型", "zzqx vvbnk"])
def test_nonsense_matches_nothing_and_offers_the_closest_few(loaded_storage, searcher, text):
    outcome = searcher.search(loaded_storage, parse_query(text))
    assert outcome.mode is SearchMode.CLOSEST
    assert 0 < len(outcome.paper_ids) <= hybrid.CLOSEST_SHOWN
    assert outcome.engines == ("meaning",)


def test_a_real_query_is_answered_by_both_engines(loaded_storage, searcher):
    outcome = searcher.search(loaded_storage, parse_query("entropy policy optimization"))
    assert outcome.mode is SearchMode.HYBRID and outcome.engines == ("words", "meaning")
    assert "2510.14545" in outcome.paper_ids[:3]
    assert len(outcome.paper_ids) > hybrid.CLOSEST_SHOWN


def test_below_the_floor_the_vectors_rank_nothing(loaded_storage, searcher):
    query = parse_query("entropy policy optimization")
    searcher.meaning_floor = 0.0
    unfloored = searcher.rankings(loaded_storage, query, candidates=100)
    searcher.meaning_floor = 1.01
    floored = searcher.rankings(loaded_storage, query, candidates=100)
    assert unfloored.vector and floored.vector == []
    assert floored.closest == [near.paper_id for near in unfloored.vector[: hybrid.CLOSEST_SHOWN]]


def test_key_terms_keep_the_words_order_and_meaning_only_adds_after(loaded_storage, searcher):
    # Measured: on a few key terms any share of meaning ranked worse than the words alone.
    searcher.meaning_floor = 0.0  # every paper is somewhat close in meaning
    query = parse_query("entropy policy optimization")
    rankings = searcher.rankings(loaded_storage, query, candidates=100)
    words = [match.paper_id for match in rankings.lexical]
    outcome = searcher.search(loaded_storage, query)
    assert outcome.mode is SearchMode.HYBRID
    assert outcome.paper_ids[: len(words)] == words
    meaning_only = [near.paper_id for near in rankings.vector if near.paper_id not in words]
    assert meaning_only and set(meaning_only) <= set(outcome.paper_ids[len(words) :])


def test_a_claim_mixes_meaning_in_but_a_clear_word_lead_stays_first(
    loaded_storage, searcher, monkeypatch
):
    claim = "We show that entropy collapse is the main obstacle to policy optimization of agents."
    searcher.meaning_floor = 0.0
    query = parse_query(claim)
    rankings = searcher.rankings(loaded_storage, query, candidates=100)
    words = [match.paper_id for match in rankings.lexical]
    mixed = Fusion(meaning=0.9)
    monkeypatch.setitem(FUSION, "sqlite", {kind: mixed for kind in QueryKind})
    unguarded = searcher.search(loaded_storage, query).paper_ids
    assert unguarded[: len(words)] != words  # meaning reorders a claim
    led = Fusion(meaning=0.9, clear_lead=1.0)  # any first word match leads
    monkeypatch.setitem(FUSION, "sqlite", {kind: led for kind in QueryKind})
    assert searcher.search(loaded_storage, query).paper_ids[0] == words[0]
