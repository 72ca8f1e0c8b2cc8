"""Search on SQLite: words by tantivy (FTS5 until it has caught up), vectors by usearch HNSW.

Both indexes beside the database are caches of it: each records the last change it holds
(the seq of `paper_text_changes`, of `paper_embeddings`) and catches up from the database,
in the search itself when few changes are missing, else on a thread of its own while the
search answers without it (FTS5 for words, storage/search_words.py; words alone without
vectors).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from dailypapers.domain.search_query import SearchFilters, SearchQuery
from dailypapers.storage.search_sql import filter_conditions
from dailypapers.storage.search_types import PaperText, SimilarPaper, Vectors, WordMatch
from dailypapers.storage.search_words import PAPER_COLUMNS, WordIndexSearch, paper_words
from dailypapers.storage.vector_file import (
    EXPANSION_SEARCH,
    PAPER_EXPANSION,
    Batch,
    VectorFile,
    index_path,
    vectors_from_blobs,
)
from dailypapers.storage.word_index import WordIndex

log = logging.getLogger("dailypapers.search")

# bm25 weights of the FTS5 columns (title, abstract, authors), tuned on the development set
# (bench/search_quality.py): a word in the title says more than one in the abstract.
BM25_WEIGHTS = (3.0, 1.0, 1.0)
INLINE_CATCH_UP = 2000  # vectors a search adds itself; more are added in the background
INLINE_LOAD_BYTES = 64 * 2**20  # a saved HNSW file a search reads itself (about 60,000 papers)
CATCH_UP_CHUNK = 5000
ASIDE_CHUNK = 1000  # small, so that searches wait little for the lock between chunks
# Papers are embedded in the order readers meet them: the latest featured day first, then
# papers never featured, each newest key first. Keys stay below 2**32 (four billion papers).
EMBEDDING_ORDER = "COALESCE(CAST(julianday(d.day) AS INTEGER), 0) * 4294967296 + k.key"


def fts_match_expression(query: SearchQuery) -> str | None:
    """Return the FTS5 MATCH expression of a query, or None when nothing can match."""
    ranked = " OR ".join(_quoted(term) for term in query.terms)
    required = [_quoted(phrase) for phrase in query.phrases]
    parts = ([f"({ranked})"] if ranked else []) + required
    if not parts:
        return None
    expression = " AND ".join(parts)
    for excluded in query.excluded:
        expression = f"({expression}) NOT {_quoted(excluded)}"
    return expression


def _quoted(text: str) -> str:
    """Quote a word or phrase as an FTS5 string: operators and syntax inside lose meaning."""
    return '"' + text.replace('"', '""') + '"'


class SqliteSearch(WordIndexSearch):
    """The search half of SqliteStorage."""

    path: str
    _vector_files: dict[str, VectorFile]
    _vector_files_lock: threading.Lock
    _word_index: WordIndex

    def search_in_database_scored(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[WordMatch]:
        """Search as `search_lexical_scored` does, by FTS5 alone (in step with every write).

        Exact whatever the filters, but bm25 scores every match before LIMIT applies: a
        common word costs time in proportion to the number of papers.
        """
        expression = fts_match_expression(query)
        conditions, params = filter_conditions(query.filters)
        if within is not None:
            conditions.append(f"p.id IN ({', '.join('?' * len(within))})")
            params.extend(within)
        if expression is None:  # filters alone, newest first, less what says an excluded word
            if not conditions:
                return []
            for excluded in query.excluded:
                conditions.append(
                    "p.id NOT IN (SELECT x.paper_id FROM papers_fts"
                    " JOIN paper_keys x ON x.key = papers_fts.rowid WHERE papers_fts MATCH ?)"
                )
                params.append(_quoted(excluded))
            newest = self._filtered_newest(conditions, params, limit)
            return [WordMatch(paper_id, 0.0) for paper_id in newest]
        join = "JOIN papers p ON p.id = k.paper_id" if conditions else ""
        where = "".join(f" AND {condition}" for condition in conditions)
        weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
        # FTS5's bm25 is negative, better matches lower: negated, higher is better.
        rows = self._execute(
            f"SELECT k.paper_id, -bm25(papers_fts, {weights}) AS score FROM papers_fts"
            f" JOIN paper_keys k ON k.key = papers_fts.rowid {join}"
            f" WHERE papers_fts MATCH ?{where} ORDER BY score DESC LIMIT ?",
            [expression, *params, limit],
        )
        return [WordMatch(row[0], float(row[1])) for row in rows]

    def papers_to_embed(
        self, *, model: str, limit: int, below: int | None = None
    ) -> list[PaperText]:
        """Return papers that have no vector of this model, latest featured first, below `below`."""
        rows = self._execute(
            f"SELECT {EMBEDDING_ORDER} AS position, p.id, p.title, p.abstract"
            " FROM paper_keys k JOIN papers p ON p.id = k.paper_id"
            " LEFT JOIN daily_entries d ON d.paper_id = p.id"
            f" WHERE {EMBEDDING_ORDER} < ? AND NOT EXISTS (SELECT 1 FROM paper_embeddings e"
            " WHERE e.model = ? AND e.paper_key = k.key)"
            " ORDER BY position DESC LIMIT ?",
            (below if below is not None else 2**62, model, limit),
        )
        return [PaperText(*row) for row in rows]

    def save_embeddings(self, *, model: str, paper_ids: Sequence[str], vectors: Vectors) -> None:
        """Insert or replace these papers' vectors of this model (rows L2-normalized)."""
        if len(paper_ids) != len(vectors):
            raise ValueError("give one vector per paper")
        rows = [
            (model, vector.astype("<f4").tobytes(), paper_id)
            for paper_id, vector in zip(paper_ids, vectors, strict=True)
        ]
        # REPLACE deletes the old row and inserts a new one, so the vector gets a new seq
        # and the index files see it as changed.
        self._execute_many(
            "INSERT OR REPLACE INTO paper_embeddings (model, vector, paper_key)"
            " SELECT ?, ?, key FROM paper_keys WHERE paper_id = ?",
            rows,
        )

    def get_embedding(self, *, model: str, paper_id: str) -> Vectors | None:
        """Return the paper's vector of this model, if it has one."""
        rows = self._execute(
            "SELECT e.vector FROM paper_embeddings e JOIN paper_keys k ON k.key = e.paper_key"
            " WHERE e.model = ? AND k.paper_id = ?",
            (model, paper_id),
        )
        return np.frombuffer(rows[0][0], dtype="<f4").astype(np.float32) if rows else None

    def delete_embeddings(self, *, model: str) -> int:
        """Delete every vector of this model and its index file; return how many there were."""
        count = int(
            self._execute("SELECT COUNT(*) FROM paper_embeddings WHERE model = ?", (model,))[0][0]
        )
        self._execute("DELETE FROM paper_embeddings WHERE model = ?", (model,))
        with self._vector_files_lock:
            vector_file = self._vector_files.pop(model, None)
        if vector_file is None:
            vector_file = VectorFile(index_path(self.path, model), model=model, dimension=0)
        vector_file.delete_files()
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
        """Return the papers whose vectors are closest to this one, closest first."""
        vector_file = self._vector_file(model, len(vector))
        if not self._catch_up_or_defer(vector_file):
            return []  # the index is still being loaded in the background: words only for now
        # Filters apply after the graph search, so ask for more to keep enough after them.
        wanted = limit * 4 if filters else limit
        found = vector_file.search(
            vector, wanted, walk=PAPER_EXPANSION if of_a_paper else EXPANSION_SEARCH
        )
        if not found:
            return []
        keys = [key for key, _ in found]
        marks = ", ".join("?" * len(keys))
        # Only vectors still stored count: one deleted since (its paper's text changed, or a
        # reindex began) may linger in the index until the paper is embedded again.
        rows = self._execute(
            f"SELECT k.key, k.paper_id FROM paper_keys k WHERE k.key IN ({marks})"
            " AND EXISTS (SELECT 1 FROM paper_embeddings e"
            " WHERE e.model = ? AND e.paper_key = k.key)",
            [*keys, model],
        )
        ids: dict[int, str] = {int(key): paper_id for key, paper_id in rows}
        similar = [SimilarPaper(ids[key], score) for key, score in found if key in ids]
        if filters:
            kept = set(self.filter_papers([item.paper_id for item in similar], filters))
            similar = [item for item in similar if item.paper_id in kept]
        return similar[:limit]

    def refresh_vector_index(self, *, model: str, save: bool = True) -> int:
        """Add the stored vectors the index file lacks, and save it; return how many."""
        dimension = self._model_dimension(model)
        if dimension is None:
            return 0
        vector_file = self._vector_file(model, dimension)
        with vector_file.catching_up:
            added = self._catch_up_vectors(vector_file, CATCH_UP_CHUNK)
        if save and added:
            vector_file.save()
        return added

    # -- the word index --------------------------------------------------------------

    def _catch_up_words(self, words: WordIndex, chunk: int, *, wait: bool = True) -> int:
        """Apply the changes the index lacks, a chunk per commit; return how many."""
        taken = 0
        with words.writing(wait=wait) as writer:
            while rows := self._execute(
                f"SELECT c.seq, c.paper_key, {PAPER_COLUMNS}"
                " FROM paper_text_changes c JOIN paper_keys k ON k.key = c.paper_key"
                " LEFT JOIN papers p ON p.id = k.paper_id"
                " WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
                (words.seq, chunk),
            ):
                present = [paper_words(row) for row in rows if row[2] is not None]
                writer.apply(rows[-1][0], [row[1] for row in rows], present)
                taken += len(rows)
        return taken

    def _text_backlog(self, seq: int, at_most: int) -> int:
        """Return how many papers changed after seq, counting no further than at_most."""
        rows = self._execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM paper_text_changes WHERE seq > ? LIMIT ?)",
            (seq, at_most),
        )
        return int(rows[0][0])

    def _keys_of(self, ids: Sequence[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(ids))
        rows = self._execute(
            f"SELECT k.paper_id, k.key FROM paper_keys k JOIN papers p ON p.id = k.paper_id"
            f" WHERE k.paper_id IN ({marks})",
            ids,
        )
        return {paper_id: int(key) for paper_id, key in rows}

    def _ids_by_key(self, keys: Sequence[int]) -> dict[int, str]:
        if not keys:
            return {}
        marks = ", ".join("?" * len(keys))
        rows = self._execute(
            f"SELECT k.key, k.paper_id FROM paper_keys k JOIN papers p ON p.id = k.paper_id"
            f" WHERE k.key IN ({marks})",
            keys,
        )
        return {int(key): paper_id for key, paper_id in rows}

    # -- the index file -------------------------------------------------------------

    def _vector_file(self, model: str, dimension: int) -> VectorFile:
        with self._vector_files_lock:
            vector_file = self._vector_files.get(model)
            if vector_file is None or vector_file.dimension != dimension:
                vector_file = VectorFile(
                    index_path(self.path, model), model=model, dimension=dimension
                )
                self._vector_files[model] = vector_file
            return vector_file

    def _catch_up_or_defer(self, vector_file: VectorFile) -> bool:
        """Bring the index up to date now if that is quick; else start doing it aside.

        Searches run this before each use of the index, side by side: only loading and
        adding take the index alone, and the count of vectors it lacks is read outside
        any lock (one read along the seq key, nothing when none are missing).
        """
        loader = vector_file.loader
        if loader is not None and loader.is_alive():
            return len(vector_file) > 0
        if vector_file.index is None:
            with vector_file.catching_up:
                path = vector_file.path
                # Reading a big saved index (a gigabyte at a million papers) takes seconds.
                if (
                    vector_file.index is None
                    and path is not None
                    and path.exists()
                    and path.stat().st_size > INLINE_LOAD_BYTES
                ):
                    return self._catch_up_aside_from_now(vector_file)
                vector_file.load()
        # An in-memory database has no other connection to read it from a thread.
        backlog = self._backlog(vector_file)
        if backlog == 0:
            return True
        if self.path != ":memory:" and backlog > INLINE_CATCH_UP:
            return self._catch_up_aside_from_now(vector_file)
        # Another search adding the same few vectors: answer with the index as it stands.
        if vector_file.catching_up.acquire(blocking=self.path == ":memory:"):
            try:
                self._catch_up_vectors(vector_file, CATCH_UP_CHUNK)
            finally:
                vector_file.catching_up.release()
        return True

    def _catch_up_aside_from_now(self, vector_file: VectorFile) -> bool:
        """Start loading and catching up the index on a thread; tell if it can answer now."""
        vector_file.loader = threading.Thread(
            target=self._catch_up_aside, args=(vector_file,), daemon=True
        )
        vector_file.loader.start()
        return len(vector_file) > 0

    def _catch_up_vectors(self, vector_file: VectorFile, chunk: int) -> int:
        """Load the index and add the stored vectors it lacks, a chunk at a time; return how
        many (searches go on between chunks)."""
        vector_file.load()
        added = 0
        while batch := self._vectors_after(vector_file, chunk):
            vector_file.add(batch)
            added += len(batch[1])
        return added

    def _catch_up_aside(self, vector_file: VectorFile) -> None:
        try:
            with vector_file.catching_up:
                self._catch_up_vectors(vector_file, ASIDE_CHUNK)
        except Exception:
            log.exception("building the vector index of %s failed", vector_file.model)
        finally:
            self.close()  # this thread's connection

    # `+model`: SQLite would otherwise pick the (model, paper_key) index and read every
    # vector of the model, milliseconds per search at 100,000 papers; by seq (the rowid)
    # it reads only the vectors written since.

    def _backlog(self, vector_file: VectorFile) -> int:
        rows = self._execute(
            "SELECT COUNT(*) FROM paper_embeddings WHERE +model = ? AND seq > ?",
            (vector_file.model, vector_file.seq),
        )
        return int(rows[0][0])

    def _vectors_after(self, vector_file: VectorFile, limit: int) -> Batch | None:
        rows = self._execute(
            "SELECT seq, paper_key, vector FROM paper_embeddings"
            " WHERE +model = ? AND seq > ? ORDER BY seq LIMIT ?",
            (vector_file.model, vector_file.seq, limit),
        )
        if not rows:
            return None
        seqs = np.array([row[0] for row in rows], dtype=np.int64)
        keys = np.array([row[1] for row in rows], dtype=np.uint64)
        vectors = vectors_from_blobs([row[2] for row in rows], vector_file.dimension)
        return seqs, keys, vectors

    def _model_dimension(self, model: str) -> int | None:
        rows = self._execute(
            "SELECT length(vector) FROM paper_embeddings WHERE model = ? LIMIT 1", (model,)
        )
        return int(rows[0][0]) // 4 if rows else None
