"""Search on PostgreSQL: words by tantivy beside each host (BM25 in SQL until it has caught
up), vectors by pgvector HNSW."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from dailypapers.domain.search_query import SearchFilters, SearchQuery
from dailypapers.storage.lexical_postgresql import (
    SCORE_BUDGET,
    Bm25Parameters,
    all_of,
    any_of,
    plan_phases,
    refresh_term_statistics,
    score_sql,
    still_needed,
    weigh_lexemes,
)
from dailypapers.storage.search_sql import filter_conditions
from dailypapers.storage.search_types import PaperText, SimilarPaper, Vectors, WordMatch
from dailypapers.storage.sql_values import Row
from dailypapers.storage.words_postgresql import PostgresWordChanges

# Papers are embedded in the order readers meet them: the latest featured day first, then
# papers never featured, each newest key first. Keys stay below 2**32 (four billion papers).
EMBEDDING_ORDER = "COALESCE(d.day - DATE '1900-01-01', 0)::bigint * 4294967296 + p.search_key"
# HNSW candidates per search, above the 100 that hybrid search asks for: at 100,000 papers
# 200 gave recall@10 0.944 to 0.960 against exact search, 300 gave 0.975 for a tenth more time.
EF_SEARCH = 300
# With filters, the graph is asked for this many times the papers: for the hybrid search's
# 100, the 300 it walks anyway. Asking for 400 walks further and found hardly more of the
# filter's 10 nearest (recall@10 0.966 against 0.975 for `cat:cs.CL`, 100,000 papers with
# real vectors), while a filtered hybrid search's median at a million papers went from 1.13
# to 1.38 times an unfiltered one's to 0.92 to 1.14 (bench/search_speed_postgres.py).
FILTERED_OVERFETCH = 3


def tsquery_expression(query: SearchQuery) -> tuple[str, list[str]] | None:
    """Return SQL building the query's tsquery, and its parameters; None if nothing matches."""
    parts: list[str] = []
    params: list[str] = []
    if query.terms:
        # websearch_to_tsquery never fails on odd input; " or " between bare words is its OR.
        parts.append("websearch_to_tsquery('english', ?)")
        params.append(" or ".join(query.terms))
    for phrase in query.phrases:
        parts.append("websearch_to_tsquery('english', ?)")
        params.append(f'"{phrase}"')
    if not parts:
        return None
    for excluded in query.excluded:
        parts.append("!! websearch_to_tsquery('english', ?)")
        params.append(f'"{excluded}"')
    return " && ".join(f"({part})" for part in parts), params


def vector_literal(vector: Vectors) -> str:
    """Write a vector in pgvector's text form."""
    return "[" + ",".join(format(value, ".7g") for value in vector.tolist()) + "]"


def _sql_string(text: str) -> str:
    if "?" in text or "%" in text:  # the shared SQL's placeholders; no model is named so
        raise ValueError(f"unsupported character in model name {text!r}")
    return "'" + text.replace("'", "''") + "'"


class PostgresSearch(PostgresWordChanges):
    """The search half of PostgresStorage."""

    _vector_indexes: set[tuple[str, int]]
    bm25 = Bm25Parameters()  # storage/lexical_postgresql.py

    def search_in_database_scored(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[WordMatch]:
        """Search as `search_lexical_scored` does, by BM25 in SQL alone (in step with every write).

        Exact when each word is rare; a word matching more papers than SCORE_BUDGET has
        that many of them scored (see storage/lexical_postgresql.py), and scoring costs
        time in proportion to the papers scored.
        """
        built = tsquery_expression(query)
        conditions, params = filter_conditions(query.filters)
        if within is not None:
            if not within:
                return []
            conditions.append(f"p.id IN ({', '.join('?' * len(within))})")
            params.extend(within)
        if built is None:  # filters alone, newest first, less what says an excluded word
            if not conditions:
                return []
            for excluded in query.excluded:
                conditions.append("NOT p.search_text @@ websearch_to_tsquery('english', ?)")
                params.append(f'"{excluded}"')
            newest = self._filtered_newest(conditions, params, limit)
            return [WordMatch(paper_id, 0.0) for paper_id in newest]
        tsquery, tsquery_params = built
        where = "".join(f" AND {condition}" for condition in conditions)
        lexemes, average_length = weigh_lexemes(
            self._execute, " ".join([*query.terms, *query.phrases])
        )
        frequencies, score, score_params = score_sql(lexemes, average_length, self.bm25)

        def scored(extra: str, extra_params: list[Any], candidates: int) -> list[Row]:
            """Score up to `candidates` matching papers that also meet `extra`; keep the best."""
            return self._execute(
                f"SELECT p.id, {score} FROM (SELECT p.id, p.search_text"
                f" FROM papers p, (SELECT {tsquery} AS q) query"
                f" WHERE p.search_text @@ query.q{where}{extra} LIMIT ?) p{frequencies}"
                " ORDER BY 2 DESC, p.id LIMIT ?",
                [*tsquery_params, *params, *extra_params, candidates, *score_params, limit],
            )

        first, rest = plan_phases(lexemes)
        # Exact when the statistics say the matches fit the budget; a word that alone
        # matches more (or papers newer than the statistics) gets the budget's worth of them.
        if not rest:
            return [WordMatch(row[0], float(row[1])) for row in scored("", [], SCORE_BUDGET)]
        holding = " AND p.search_text @@ CAST(? AS tsquery)"
        found = scored(holding, [any_of(first)], SCORE_BUDGET)
        threshold = float(found[-1][1]) if len(found) >= limit else 0.0
        if still_needed(rest, threshold, self.bm25.k1):
            # Papers with none of the rare lexemes: those with all the common ones first.
            without = " AND NOT p.search_text @@ CAST(? AS tsquery)"
            half = SCORE_BUDGET // 2
            found += scored(holding + without, [all_of(rest), any_of(first)], half)
            found += scored(holding + without, [any_of(rest), any_of(first)], half)
        best = sorted({row[0]: float(row[1]) for row in found}.items(), key=_by_score)
        return [WordMatch(paper_id, score) for paper_id, score in best[:limit]]

    def papers_to_embed(
        self, *, model: str, limit: int, below: int | None = None
    ) -> list[PaperText]:
        """Return papers that have no vector of this model, latest featured first, below `below`."""
        rows = self._execute(
            f"SELECT {EMBEDDING_ORDER} AS position, p.id, p.title, p.abstract FROM papers p"
            " LEFT JOIN daily_entries d ON d.paper_id = p.id"
            f" WHERE {EMBEDDING_ORDER} < ? AND NOT EXISTS (SELECT 1 FROM paper_embeddings e"
            " WHERE e.model = ? AND e.paper_id = p.id)"
            " ORDER BY position DESC LIMIT ?",
            (below if below is not None else 2**62, model, limit),
        )
        return [PaperText(*row) for row in rows]

    def save_embeddings(self, *, model: str, paper_ids: Sequence[str], vectors: Vectors) -> None:
        """Insert or replace these papers' vectors of this model (rows L2-normalized)."""
        if len(paper_ids) != len(vectors):
            raise ValueError("give one vector per paper")
        if not len(paper_ids):
            return
        self._ensure_vector_index(model, int(vectors.shape[1]))
        self._execute_many(
            "INSERT INTO paper_embeddings (model, paper_id, embedding)"
            " SELECT ?, id, CAST(? AS vector) FROM papers WHERE id = ?"
            " ON CONFLICT (model, paper_id) DO UPDATE SET embedding = excluded.embedding",
            [
                (model, vector_literal(vector), paper_id)
                for paper_id, vector in zip(paper_ids, vectors, strict=True)
            ],
        )

    def get_embedding(self, *, model: str, paper_id: str) -> Vectors | None:
        """Return the paper's vector of this model, if it has one."""
        rows = self._execute(
            "SELECT CAST(embedding AS text) FROM paper_embeddings WHERE model = ? AND paper_id = ?",
            (model, paper_id),
        )
        if not rows:
            return None
        return np.array(rows[0][0].strip("[]").split(","), dtype=np.float32)

    def delete_embeddings(self, *, model: str) -> int:
        """Delete every vector of this model and its HNSW index; return how many there were."""
        count = int(
            self._execute("SELECT COUNT(*) FROM paper_embeddings WHERE model = ?", (model,))[0][0]
        )
        self._execute("DELETE FROM paper_embeddings WHERE model = ?", (model,))
        for name in self._execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'paper_embeddings'"
            " AND indexname LIKE ?",
            (f"{_index_prefix(model)}%",),
        ):
            self._execute(f'DROP INDEX IF EXISTS "{name[0]}"')
        self._vector_indexes = {pair for pair in self._vector_indexes if pair[0] != model}
        return count

    def nearest_papers(
        self,
        *,
        model: str,
        vector: Vectors,
        limit: int,
        filters: SearchFilters | None = None,
        of_a_paper: bool = False,
    ) -> list[SimilarPaper]:
        """Return the papers whose vectors are closest to this one, closest first.

        A paper's own vector walks as far as any (`of_a_paper` is not used here): a shorter
        `hnsw.ef_search` for it was not measured on PostgreSQL.
        """
        dimension = len(vector)
        # The model name and dimension are written into the SQL, not passed as parameters:
        # the planner uses a partial index only for a predicate it can see. The search runs
        # on the index's 2-byte copy (see _ensure_vector_index), so its order is the index's.
        typed = f"e.embedding::halfvec({dimension})"
        probe = f"CAST(? AS halfvec({dimension}))"
        literal = vector_literal(vector)
        # Filters apply after the graph search, as on SQLite, so ask for more to keep enough
        # after them. Walking the graph until enough rows pass (pgvector's iterative scan)
        # made a hybrid search with a category or has:code take 170 to 750 ms at 100,000
        # papers (bench/search_speed_postgres.py).
        wanted = limit * FILTERED_OVERFETCH if filters else limit
        self._execute(
            "SELECT set_config('hnsw.ef_search', ?, false)", (str(max(EF_SEARCH, wanted)),)
        )
        nearest = (
            f"SELECT e.paper_id, {typed} <=> {probe} AS distance FROM paper_embeddings e"
            f" WHERE e.model = {_sql_string(model)} ORDER BY {typed} <=> {probe} LIMIT ?"
        )
        params: list[Any] = [literal, literal, wanted]
        if filters:
            # Filtered in the same statement: asking for the papers of 400 ids afterwards
            # took a quarter of a filtered search at 80,000 papers.
            conditions, filter_params = filter_conditions(filters)
            nearest = (
                f"SELECT n.paper_id, n.distance FROM ({nearest}) n JOIN papers p"
                f" ON p.id = n.paper_id WHERE {' AND '.join(conditions)}"
                " ORDER BY n.distance, n.paper_id LIMIT ?"
            )
            params += [*filter_params, limit]
        rows = self._execute(nearest, params)
        return [SimilarPaper(row[0], 1 - float(row[1])) for row in rows]

    def refresh_vector_index(self, *, model: str, save: bool = True) -> int:
        """Nothing to do: pgvector keeps its HNSW index up to date with every write."""
        return 0

    def refresh_word_index(self) -> int:
        """Bring the word index up to date and fold new papers into the SQL ranking's term
        statistics (the tsvector is kept by PostgreSQL); return how many changes the index
        took."""
        refresh_term_statistics(execute=self._execute, transaction=self._transaction)
        return super().refresh_word_index()

    def _ensure_vector_index(self, model: str, dimension: int) -> None:
        """Create the model's HNSW index the first time its vectors are saved.

        The index holds each vector in 2-byte floats (halfvec), half the size of 4-byte ones:
        a search reads a few thousand of its pages, so the whole index should stay in shared
        buffers, and at 100,000 papers 4-byte vectors (195 MB) did not fit PostgreSQL's
        default 128 MB where 2-byte ones (112 MB) did, for a third less time and the same
        recall (docs/performance.md). The table keeps the 4-byte vectors.
        """
        if (model, dimension) in self._vector_indexes:
            return
        name = f"{_index_prefix(model)}_half_{dimension}"  # 4-byte ones: migration 0017
        self._execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON paper_embeddings'
            f" USING hnsw ((embedding::halfvec({dimension})) halfvec_cosine_ops)"
            f" WHERE model = {_sql_string(model)}"
        )
        self._vector_indexes.add((model, dimension))


def _by_score(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]


def _index_prefix(model: str) -> str:
    return "paper_embeddings_hnsw_" + hashlib.sha1(model.encode()).hexdigest()[:12]
