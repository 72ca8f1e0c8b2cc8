"""Lexical ranking weighs words by rarity and papers by length, on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.search_words import WordIndexSearch

# Thirty papers say "network"; one of them says it three times. One paper says "hypergraph".
COMMON = [
    Paper(
        id=f"2401.{number:05d}",
        title=f"Study number {number}",
        abstract=f"A network for task {number} with ordinary words about measurements.",
        authors=("Ada Lovelace",),
    )
    for number in range(1, 31)
]
REPEATS_COMMON = Paper(
    id="2402.00001",
    title="Network network",
    abstract="A network that is a network of networks, a network again.",
    authors=("Grace Hopper",),
)
SAYS_RARE = Paper(
    id="2402.00002",
    title="Partitioning problems",
    abstract="We partition a hypergraph with ordinary words about measurements.",
    authors=("Alan Turing",),
)
SHORT = Paper(id="2403.00001", title="Tomography", abstract="Tomography.", authors=("A B",))
LONG = Paper(
    id="2403.00002",
    title="Imaging",
    abstract="Tomography " + " ".join(f"filler{n} word{n}" for n in range(60)),
    authors=("C D",),
)


@pytest.fixture
def storage(storage: Storage) -> Storage:
    """Return a storage on each backend holding the papers above."""
    with storage.transaction():
        storage.save_papers([*COMMON, REPEATS_COMMON, SAYS_RARE, SHORT, LONG])
    return storage


Ranked = Callable[[str], list[str]]


@pytest.fixture(params=["word index", "in the database"])
def ranked(request: pytest.FixtureRequest, storage: Storage) -> Ranked:
    """Rank by the word index, or by the database's own ranking (FTS5, BM25 in SQL), which
    answers while the index builds."""
    if request.param == "word index":
        return lambda text: storage.search_lexical(parse_query(text), limit=50)
    assert isinstance(storage, WordIndexSearch)
    return lambda text: storage.search_in_database(parse_query(text), limit=50)


@pytest.mark.parametrize("refreshed", [False, True], ids=["counted-live", "statistics"])
def test_a_rare_word_outranks_a_common_one_said_many_times(
    storage: Storage, ranked: Ranked, refreshed: bool
) -> None:
    """Rank the paper with the rare word first: IDF, not only how often a word occurs."""
    if refreshed:
        assert storage.refresh_word_index() > 0
    found = ranked("network hypergraph")
    assert found[0] == SAYS_RARE.id
    assert found[1] == REPEATS_COMMON.id  # among the common word's papers, the most of it
    assert len(found) == 32


def test_a_shorter_paper_ranks_above_a_longer_one_saying_a_word_as_often(
    storage: Storage, ranked: Ranked
) -> None:
    """Normalise by length: the same word once in a short text weighs more."""
    storage.refresh_word_index()
    assert ranked("tomography")[:1] == [SHORT.id]


@pytest.mark.postgres
def test_statistics_count_each_paper_once_however_often_refreshed(postgres_url: str) -> None:
    """Fold each paper into the document frequencies once, also across refreshes and updates."""
    store = open_storage(postgres_url)
    try:
        with store.transaction():
            store.save_papers(COMMON[:10])
        assert store.refresh_word_index() == 10
        assert store.refresh_word_index() == 0
        with store.transaction():
            store.save_papers([*COMMON[:10], *COMMON[10:12]])  # ten again, two new
        assert store.refresh_word_index() == 2
        docs = store._execute(  # type: ignore[attr-defined]
            "SELECT docs FROM search_term_stats WHERE lexeme = 'network'"
        )
        assert docs == [(12,)]
        corpus = store._execute("SELECT papers FROM search_corpus_stats")  # type: ignore[attr-defined]
        assert corpus == [(12,)]
    finally:
        store.close()
