"""Hybrid search: words (bm25) and meaning (vectors) fused by their scores.

What the reader typed is parsed (domain/search_query.py); an arXiv id, an arXiv URL or a
paper's exact title is pinned first; the lexical index and the vector index each rank up
to CANDIDATES papers, and their scores, each over its best, are mixed (domain/fusion.py).
The vector side (embedding the query, then the graph search) runs on worker threads while
the words are searched. The embedding has a time limit: when it is late (the model still
loading, the machine busy), the words alone answer, and the outcome says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dailypapers.domain.fusion import Fusion, QueryKind, fuse_scores, pin_first, query_kind
from dailypapers.domain.search_query import SearchQuery, normalize_title
from dailypapers.storage.base import Storage
from dailypapers.storage.search_types import SimilarPaper, WordMatch

log = logging.getLogger("dailypapers.search")

CANDIDATES = 100  # papers each side ranks before fusion


# How much meaning counts, by what the query looks like (domain/fusion.py's query_kind),
# chosen by cross-validation on the two development sets, SciFact's claims and the keyword
# queries (bench/search_quality.py --tune, docs/performance.md), from meaning 0 to 1 in
# steps of 0.05 and a clear word lead of none, 1.1, 1.25, 1.5 or 2. Key terms: words alone
# rank (meaning 0: papers close in meaning but without the words follow the word matches),
# since on three-keyword queries every share of meaning ranked below the words. A
# sentence: half words, half meaning, and a word index's first paper that scores 1.5
# times its second stays first. A quoted phrase has no development set of its own: it is
# fused as key terms are. Both databases rank words with the same word index
# (storage/word_index.py), so they fuse alike; PostgreSQL's BM25 in SQL, which answers
# only while a host builds its index, is scaled over its best the same way.
_FUSION_BY_KIND = {
    QueryKind.KEYWORDS: Fusion(meaning=0.0),
    QueryKind.PHRASE: Fusion(meaning=0.0),
    QueryKind.CLAIM: Fusion(meaning=0.5, clear_lead=1.5),
}
FUSION: dict[str, dict[QueryKind, Fusion]] = {
    "sqlite": _FUSION_BY_KIND,
    "postgresql": _FUSION_BY_KIND,
}


def fusion_for(dialect: str, query: SearchQuery) -> Fusion:
    """Return how the two rankings of this query are fused on this database."""
    return FUSION[dialect][query_kind(query)]


# A paper whose cosine similarity to the query is below this is not close in meaning: the
# vectors do not rank it (MiniLM places any two texts somewhat alike, so without a floor
# a string of nonsense "finds" hundreds of papers). Chosen on data: of the floors that
# tell the development sets' real queries (their best similarity) from nonsense ones, the
# one that keeps the most real and stops the most nonsense: 98.9% and 97.2%
# (bench/search_quality.py, docs/performance.md).
MEANING_FLOOR = 0.35
CLOSEST_SHOWN = 5  # papers offered as "closest in meaning" when nothing matches
COUNTS_TTL_S = 5.0  # the fewest seconds between two counts of stored vectors and papers
COUNTING_SHARE = 0.02  # counting aside takes at most this share of one core's time
SIMILAR_KEPT = 4096  # papers whose neighbours are kept until the data next changes


@dataclass(frozen=True, slots=True)
class Counts:
    """How many papers had a vector and how many there were, when, and at what cost."""

    vectors: int
    papers: int
    generation: int  # the data's generation they were counted at
    taken_at: float  # time.monotonic() when last counted or found still true
    took_s: float

    def due(self) -> float:
        """When to look again: the slower the count, the rarer (a million rows: 0.2 s)."""
        return self.taken_at + max(COUNTS_TTL_S, self.took_s / COUNTING_SHARE)


class QueryEmbedder(Protocol):
    """What search needs of an embedder: its name, its size and query vectors."""

    model_name: str
    dimension: int

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """Return the L2-normalized vector of a query."""
        ...


class SearchMode(StrEnum):
    """Which indexes answered a search."""

    HYBRID = "hybrid"  # words and vectors, fused
    LEXICAL = "lexical"  # words only: no vectors yet, or the query embedding was late
    EXACT = "exact"  # an arXiv id or URL named the paper
    FILTERS = "filters"  # only filters were given: the newest papers that meet them
    SIMILAR = "similar"  # vectors only: the papers nearest to a pasted text
    CLOSEST = "closest"  # nothing matched: the few papers nearest in meaning, as such


# The engines that answered, as the API's X-Search-Engines header names them.
ENGINES = {
    SearchMode.HYBRID: ("words", "meaning"),
    SearchMode.LEXICAL: ("words",),
    SearchMode.EXACT: ("exact", "meaning"),
    SearchMode.FILTERS: ("filters",),
    SearchMode.SIMILAR: ("meaning",),
    SearchMode.CLOSEST: ("meaning",),
}


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """The ranked ids a search found, which were pinned, and how it was answered."""

    query: SearchQuery
    paper_ids: list[str]
    pinned: list[str] = field(default_factory=list)
    mode: SearchMode = SearchMode.LEXICAL
    note: str | None = None  # why the answer is words only, when it is
    took_ms: float = 0.0

    @property
    def engines(self) -> tuple[str, ...]:
        """Return the names of the engines that answered."""
        return ENGINES[self.mode]

    @property
    def degraded(self) -> bool:
        """Tell whether meaning should have answered and could not (the note says why)."""
        return self.note is not None


@dataclass(frozen=True, slots=True)
class Rankings:
    """The two rankings a hybrid search fuses, with their scores, kept apart for measuring each."""

    lexical: list[WordMatch]
    vector: list[SimilarPaper]  # only papers at or above the meaning floor
    note: str | None = None
    closest: list[str] = field(default_factory=list)  # the nearest few, floor or not


class HybridSearcher:
    """Runs searches over a storage with one embedding model, loaded on first use."""

    def __init__(
        self,
        *,
        load_embedder: Callable[[], QueryEmbedder] | None,
        model_name: str | None = None,
        timeout_s: float = 0.3,
        meaning_floor: float = MEANING_FLOOR,
    ) -> None:
        """Keep the settings; the model loads on a worker thread when first needed.

        Without `model_name`, it is learnt when the model has loaded: until then searches
        use words only.
        """
        self.model_name = model_name
        self.timeout_s = timeout_s
        self.meaning_floor = meaning_floor
        self._load_embedder = load_embedder
        self._embedder: QueryEmbedder | None = None
        self._loading: Future[QueryEmbedder] | None = None
        self._lock = threading.Lock()
        # One thread: queries queue behind each other rather than share two cores badly.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-query")
        # The vector searches, one per search under way, each beside its word search.
        self._lookups = ThreadPoolExecutor(thread_name_prefix="nearest-papers")
        self._counts: Counts | None = None
        self._counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="count-vectors")
        self._counting: Future[Counts] | None = None
        # A paper's neighbours change only when data does: (paper, limit) -> generation, found.
        self._similar: OrderedDict[tuple[str, str, int], tuple[int, list[SimilarPaper]]] = (
            OrderedDict()
        )
        self._similar_lock = threading.Lock()

    # -- the model ------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start loading the model now, so the first search need not wait for it."""
        self._embedder_future()

    @property
    def loading(self) -> bool:
        """Tell whether the model is still on its way: meanwhile, answers lack their meaning
        half (not when there is no model to load, or it failed to)."""
        if self.model_name is not None or self._load_embedder is None:
            return False
        return self._loading is None or not self._loading.done()

    def wait_until_ready(self, timeout_s: float) -> bool:
        """Load the model now and wait for it (a terminal command, a benchmark)."""
        loading = self._embedder_future()
        if loading is None:
            return False
        try:
            loading.result(timeout=timeout_s)
        except Exception:
            return False
        return self.model_name is not None

    def embed_query(
        self, text: str, *, timeout_s: float | None = None
    ) -> NDArray[np.float32] | None:
        """Return the query's vector, or None if it is not ready within the time limit."""
        return self._vector_when_ready(self._start_embedding(text), time.perf_counter(), timeout_s)

    def _start_embedding(self, text: str) -> Future[NDArray[np.float32]] | None:
        """Queue the query's embedding on the embedding thread, behind the model's loading."""
        loading = self._embedder_future()
        if loading is None:
            return None
        return self._executor.submit(lambda: loading.result().embed_query(text))

    def _vector_when_ready(
        self,
        embedding: Future[NDArray[np.float32]] | None,
        started: float,
        timeout_s: float | None = None,
    ) -> NDArray[np.float32] | None:
        """Wait for an embedding until the time limit counted from `started`; else None."""
        if embedding is None:
            return None
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            return embedding.result(timeout=max(limit - (time.perf_counter() - started), 0.0))
        except FutureTimeout:
            embedding.cancel()  # not started yet: leave no backlog for the searches after it
            return None
        except Exception:
            log.exception("embedding the query failed; answering with words only")
            return None

    def _embedder_future(self) -> Future[QueryEmbedder] | None:
        if self._load_embedder is None:
            return None
        with self._lock:
            if self._loading is None:
                self._loading = self._executor.submit(self._load_embedder)
                self._loading.add_done_callback(self._learn_model_name)
            return self._loading

    def _learn_model_name(self, loading: Future[QueryEmbedder]) -> None:
        if loading.exception() is None:
            self.model_name = loading.result().model_name
        else:
            log.error("the embedding model did not load: %s", loading.exception())

    def close(self) -> None:
        """Stop the worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._lookups.shutdown(wait=False, cancel_futures=True)
        self._counter.shutdown(wait=False, cancel_futures=True)

    # -- searching ------------------------------------------------------------------

    def vector_count(self, storage: Storage) -> int:
        """Return how many papers have a vector of this model (reused for a few seconds)."""
        return self.counts(storage)[0]

    def counts(self, storage: Storage) -> tuple[int, int]:
        """Return how many papers have a vector, and how many there are (both reused briefly)."""
        if self.model_name is None:
            return 0, 0
        counts, counting = self._counts, self._counting
        if counts is None:
            counts = self._count(storage, self.model_name)
        # Counting a million rows takes longer than a whole search (0.1 to 0.6 s): when the
        # counts are old, they are checked again aside (always on the same thread, which
        # keeps a connection of its own) and this search uses the old ones.
        elif time.monotonic() > counts.due() and (counting is None or counting.done()):
            self._counting = self._counter.submit(self._count, storage, self.model_name)
        return counts.vectors, counts.papers

    def _count(self, storage: Storage, model: str) -> Counts:
        """Count again, unless the data has not changed since the last count."""
        # The latest counts, not those a search saw: two searches may both ask for a count,
        # and the second then finds the first one's.
        last, began = self._counts, time.monotonic()
        generation = storage.generation()  # read first: a write during the count shows next
        if last is not None and last.generation == generation:
            self._counts = replace(last, taken_at=began)
        else:
            vectors = storage.count_embeddings().get(model, 0)
            papers = storage.count_papers()
            took = time.monotonic() - began
            self._counts = Counts(vectors, papers, generation, began, took)
        return self._counts

    def search(
        self, storage: Storage, query: SearchQuery, *, limit: int = CANDIDATES
    ) -> SearchOutcome:
        """Return the papers that answer the query, best first, pinned ones at the top."""
        started = time.perf_counter()
        if query.arxiv_id is not None:
            outcome = self._named_paper(storage, query, limit)
        elif query.is_empty:
            ids = storage.search_lexical(query, limit=limit) if query.filters else []
            outcome = SearchOutcome(query, ids, mode=SearchMode.FILTERS)
        else:
            rankings = self.rankings(storage, query, candidates=max(limit, CANDIDATES))
            fusion = fusion_for(storage.dialect, query)
            fused = fuse_scores(
                [(match.paper_id, match.score) for match in rankings.lexical],
                [(near.paper_id, near.similarity) for near in rankings.vector],
                fusion,
            )
            # The title as typed, else without the operators (one lookup when they agree).
            titles = dict.fromkeys(normalize_title(text) for text in (query.raw, query.text))
            titled = next((found for title in titles if (found := storage.find_titled(title))), [])
            pinned = storage.filter_papers(titled, query.filters)
            if not fused and not pinned and rankings.closest:
                outcome = SearchOutcome(
                    query, rankings.closest[:CLOSEST_SHOWN], mode=SearchMode.CLOSEST
                )
            else:
                outcome = SearchOutcome(
                    query,
                    pin_first(pinned, fused)[:limit],
                    pinned=pinned,
                    mode=SearchMode.LEXICAL if rankings.note else SearchMode.HYBRID,
                    note=rankings.note,
                )
        return replace(outcome, took_ms=(time.perf_counter() - started) * 1000)

    def rankings(self, storage: Storage, query: SearchQuery, *, candidates: int) -> Rankings:
        """Return the lexical and the vector ranking of a query, before fusion."""
        started, model_ready = time.perf_counter(), self.model_name is not None
        indexed = model_ready and self.vector_count(storage) > 0
        # The query is embedded and its nearest papers looked up on other threads (the
        # model and the database release the GIL) while the words are searched here: the
        # search waits for the longer of the two, not their sum.
        nearby = (
            self._lookups.submit(
                self._nearest,
                storage,
                self.model_name,
                query,
                candidates,
                self._start_embedding(query.text),
                started,
            )
            if indexed and self.model_name is not None
            else None
        )
        lexical = storage.search_lexical_scored(query, limit=candidates)
        if not model_ready:
            self.warm_up()
            return Rankings(lexical, [], "the language model is loading: matching words only")
        if nearby is None:
            return Rankings(lexical, [], "semantic index not built yet: matching words only")
        found = nearby.result()
        if found is None:
            return Rankings(lexical, [], "semantic search was too slow: matching words only")
        if not found and not query.filters:  # vectors are stored, but none came back
            return Rankings(lexical, [], "the semantic index is loading: matching words only")
        nearest = _honour_words(storage, query, [item.paper_id for item in found])
        kept = set(nearest)
        return Rankings(
            lexical,
            [
                item
                for item in found
                if item.paper_id in kept and item.similarity >= self.meaning_floor
            ],
            closest=nearest[:CLOSEST_SHOWN],
        )

    def _nearest(
        self,
        storage: Storage,
        model: str,
        query: SearchQuery,
        candidates: int,
        embedding: Future[NDArray[np.float32]] | None,
        started: float,
    ) -> list[SimilarPaper] | None:
        """Return the papers nearest to the query's vector, or None if it came too late."""
        vector = self._vector_when_ready(embedding, started)
        if vector is None:
            return None
        return storage.nearest_papers(
            model=model, vector=vector, limit=candidates, filters=query.filters
        )

    def similar(self, storage: Storage, paper_id: str, *, limit: int) -> list[SimilarPaper]:
        """Return the papers nearest to one paper by its stored vector (none if it has none).

        The answer is kept until any data changes (a new vector, an edit, a vote): a walk
        of the graph costs milliseconds, reading the data's generation a few microseconds.
        """
        kept = self.kept_similar(storage, paper_id, limit=limit)
        return kept if kept is not None else self.walk_similar(storage, paper_id, limit=limit)

    def walk_similar(self, storage: Storage, paper_id: str, *, limit: int) -> list[SimilarPaper]:
        """Walk the graph for the papers nearest to one paper, and keep the answer."""
        model = self.model_name
        if model is None:  # as kept_similar answers while the model loads
            return []
        generation = storage.generation()  # read first: what is read after is never older
        vector = storage.get_embedding(model=model, paper_id=paper_id)
        if vector is None:
            return []
        found = storage.nearest_papers(model=model, vector=vector, limit=limit + 1, of_a_paper=True)
        similar = [item for item in found if item.paper_id != paper_id][:limit]
        if similar:  # none yet may mean the index is still loading: ask again next time
            key = (model, paper_id, limit)
            with self._similar_lock:
                self._similar[key] = (generation, similar)
                self._similar.move_to_end(key)
                while len(self._similar) > SIMILAR_KEPT:
                    self._similar.popitem(last=False)
        return list(similar)

    def kept_similar(
        self, storage: Storage, paper_id: str, *, limit: int
    ) -> list[SimilarPaper] | None:
        """Return what `similar` would without walking the graph (None: it must walk it).

        A walk may wait while the index loads or takes in new vectors; this never waits."""
        model = self.model_name
        if model is None:  # learnt when the model loads: a paper page must not wait for a search
            self.warm_up()
            return []
        key, generation = (model, paper_id, limit), storage.generation()
        with self._similar_lock:
            kept = self._similar.get(key)
            if kept is None or kept[0] != generation:
                return None
            self._similar.move_to_end(key)
            return list(kept[1])

    def _named_paper(self, storage: Storage, query: SearchQuery, limit: int) -> SearchOutcome:
        assert query.arxiv_id is not None
        if not storage.get_papers([query.arxiv_id]):
            return SearchOutcome(query, [], mode=SearchMode.EXACT)
        neighbours = [
            item.paper_id for item in self.similar(storage, query.arxiv_id, limit=limit - 1)
        ]
        return SearchOutcome(
            query,
            [query.arxiv_id, *neighbours][:limit],
            pinned=[query.arxiv_id],
            mode=SearchMode.EXACT,
        )


def _honour_words(storage: Storage, query: SearchQuery, ids: Sequence[str]) -> list[str]:
    """Drop vector results that lack a required phrase or contain an excluded word."""
    kept = list(ids)
    if query.phrases and kept:
        required = SearchQuery(raw=query.raw, phrases=query.phrases)
        matching = set(storage.search_lexical(required, limit=len(kept), within=kept))
        kept = [paper_id for paper_id in kept if paper_id in matching]
    for excluded in query.excluded:
        if not kept:
            break
        unwanted = SearchQuery(raw=query.raw, phrases=(excluded,))
        dropped = set(storage.search_lexical(unwanted, limit=len(kept), within=kept))
        kept = [paper_id for paper_id in kept if paper_id not in dropped]
    return kept


def default_searcher(*, timeout_s: float, threads: int | None = None) -> HybridSearcher:
    """Return a searcher over the packaged embedding model, loaded when first needed."""

    def load() -> QueryEmbedder:
        from dailypapers.search.embedder import default_embedder

        return default_embedder(threads=threads)

    return HybridSearcher(load_embedder=load, timeout_s=timeout_s)
