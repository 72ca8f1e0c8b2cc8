"""A tantivy index of the papers' words, kept beside the SQLite database.

FTS5, inside the database, matches words in the same transaction as every write, but its
bm25 scores every matching paper before LIMIT applies: among a million papers a common
word costs seconds. tantivy ranks with block-max WAND, skipping the papers that cannot
reach the top, so a search costs milliseconds at any size. Like the HNSW file this index
only makes search fast: the database lists the papers whose words changed
(`paper_text_changes`, ordered by seq), the index records the highest seq it holds, and it
can be deleted at any time to be rebuilt.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from dailypapers.domain.authors import author_keys, filter_keys
from dailypapers.domain.search_query import SearchFilters, SearchQuery
from dailypapers.storage.index_description import read_description, write_description

log = logging.getLogger("dailypapers.search")

FORMAT = 6  # bump when what the index holds changes meaning, to have it rebuilt
ANALYZER = "paper_words"
# The title counts three times in `words` (title and abstract as one text, so one term
# frequency and one length per paper, as FTS5 weighs its columns). Keywords (Hugging Face's
# `ai_keywords`) and authors have fields of their own, scored beside it with a boost each
# (BM25F-like: tantivy's k1 = 1.2 and b = 0.75 are fixed, and its Python binding exposes
# neither). The repeats and the boosts were chosen by five-fold cross-validation on the
# SciFact and keyword development sets (bench/search_quality.py --tune, docs/performance.md):
# a title field of its own added nothing over the repeated title (boost 0: not searched).
TITLE_REPEATS = 3
FIELD_BOOSTS: dict[str, float] = {"words": 1.0, "title": 0.0, "keywords": 2.0, "authors": 0.25}
# The fields a phrase or an excluded word is looked for in (the title is inside `words`).
PHRASE_FIELDS = ("words", "keywords", "authors")
WRITER_HEAP = 64_000_000  # bytes tantivy may buffer before it writes a segment


def _analyzer() -> tantivy.TextAnalyzer:
    # FTS5's tokenizer is `porter unicode61 remove_diacritics 2`: the same steps here.
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("key", indexed=True, fast=True)
    builder.add_text_field("words", tokenizer_name=ANALYZER)
    builder.add_text_field("title", tokenizer_name=ANALYZER)
    builder.add_text_field("keywords", tokenizer_name=ANALYZER)
    builder.add_text_field("authors", tokenizer_name=ANALYZER)
    # What the filters the word index answers itself read (see `split_filters`).
    builder.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    # The author-name index's keys (domain/authors.py): folded whole names, family names.
    builder.add_text_field("names", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("families", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("published", indexed=True, fast=True)  # seconds since 1970
    builder.add_unsigned_field("has_code", indexed=True)
    # The commit that wrote the paper, so that what changed since a commit can be searched.
    # Indexed, not fast: a range then reads the term dictionary and the few new papers'
    # postings; on a fast field it would scan the column of every paper (4 ms a million).
    builder.add_unsigned_field("commit", indexed=True)
    return builder.build()


@dataclass(frozen=True, slots=True)
class PaperWords:
    """What the index holds of one paper: its key, its words, and what filters read."""

    key: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    has_code: bool = False


def split_filters(filters: SearchFilters) -> tuple[SearchFilters, SearchFilters]:
    """Return the filters the word index answers itself, exactly as SQL would, and the rest.

    It answers authors (through the folded names the author-name index holds), categories,
    dates and code; an organization is matched through the daily entries, so it stays
    with SQL.
    """
    rest = SearchFilters(organizations=filters.organizations)
    return replace(filters, organizations=()), rest


class WriterBusy(Exception):
    """Another process is writing the index: this one searches it as it is."""


def word_index_path(database_path: str) -> Path | None:
    """Return the folder of the word index for this database (None: in memory only)."""
    return None if database_path == ":memory:" else Path(f"{database_path}.words")


class WordIndex:
    """The word index: opened or created, caught up from the changes, searched."""

    def __init__(self, path: Path | None) -> None:
        """Remember where the index lives; nothing is read until `load`."""
        self.path = path
        self.seq = 0  # the highest change seq the index holds
        # What the backend needs besides the seq to know which changes the index holds.
        self.marks: dict[str, object] = {}
        self.origin = ""  # the database the index was built from; another one rebuilds it
        self.build = uuid.uuid4().hex  # this build of the index; a rebuilt one has another
        self.commits = 0  # how many commits this build has had
        self.index: tantivy.Index | None = None
        self.schema = _schema()
        self.analyzer = _analyzer()
        self.lock = threading.RLock()  # one writer at a time within this process
        self.loader: threading.Thread | None = None

    @property
    def meta_path(self) -> Path | None:
        """Return the small JSON file that says which changes the index holds."""
        return self.path / "dailypapers.json" if self.path else None

    def load(self) -> None:
        """Open the saved index if it has this format, else start an empty one."""
        if self.index is not None:
            return  # without the lock: a writer may hold it for minutes
        with self.lock:
            if self.index is not None:
                return
            if self.path is None:
                self.index = self._open(None)
                return
            meta = read_description(self.meta_path)
            # No description yet: new, or another process is writing its first batch. Open
            # it as it is; taking changes again is harmless (they replace).
            if meta and meta.get("format") != FORMAT:
                log.warning("rebuilding the word index %s in the new format", self.path)
                shutil.rmtree(self.path, ignore_errors=True)
                meta = {}
            elif meta and meta.get("origin", "") != self.origin:
                log.warning("rebuilding the word index %s of another database", self.path)
                shutil.rmtree(self.path, ignore_errors=True)
                meta = {}
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as error:  # a folder this process may not write: search on
                log.error("keeping the word index in memory: cannot use %s: %s", self.path, error)
                self.path = None
                self.index = self._open(None)
                return
            try:
                self.index = self._open(self.path)
            except (OSError, ValueError):  # only a cache: rebuild it
                log.warning("rebuilding the unreadable word index %s", self.path)
                shutil.rmtree(self.path, ignore_errors=True)
                self.path.mkdir(parents=True)
                self.index = self._open(self.path)
                meta = {}
            self._adopt(meta)

    def _open(self, path: Path | None) -> tantivy.Index:
        index = tantivy.Index(self.schema, path=None if path is None else str(path))
        index.register_tokenizer(ANALYZER, self.analyzer)
        return index

    def refresh_seq(self) -> int:
        """Return the seq the index holds, as the process that last wrote it saved it."""
        meta = read_description(self.meta_path)
        if self.path is not None and meta.get("format") == FORMAT:
            build, commits = str(meta.get("build", "")), int(str(meta.get("commits", 0)))
            # Never back: a writer of this process counts a commit before it saves it.
            if build != self.build or commits > self.commits:
                # Another process (a web worker, the job worker) committed: read its segments.
                if self.index is not None:
                    self.index.reload()
                self._adopt(meta)
        return self.seq

    def _adopt(self, meta: Mapping[str, object]) -> None:
        """Take what a saved description says the index holds (nothing: a new index)."""
        self.seq = int(str(meta.get("seq", 0)))
        self.marks = _marks(meta)
        self.build = str(meta.get("build") or self.build)
        self.commits = int(str(meta.get("commits", 0)))

    # -- writing --------------------------------------------------------------------

    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[WordWriter]:
        """Hold the index's writer for a run of batches; raise WriterBusy if another process
        has it (or, without `wait`, another thread of this one)."""
        if not self.lock.acquire(blocking=wait):
            raise WriterBusy("another thread is writing the word index")
        try:
            self.load()
            assert self.index is not None
            try:
                writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as error:  # tantivy's lock file: another process writes
                raise WriterBusy(str(error)) from error
            self.refresh_seq()  # what another process wrote before this one got the lock
            try:
                yield WordWriter(self, writer)
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # also lets go of the lock file
        finally:
            self.lock.release()

    def _committed(self, seq: int, marks: dict[str, object] | None, commit: int) -> None:
        assert self.index is not None
        self.index.reload()
        self.seq = seq
        self.marks = marks or {}
        self.commits = commit
        # The index first, then the description: a crash between them leaves a lower seq,
        # which only makes the next writer apply a few changes again (they replace), and
        # a lower commit count: the next commit's papers count as changed since both.
        if self.meta_path is not None:
            description = {"format": FORMAT, "seq": seq, "origin": self.origin}
            counted = {"build": self.build, "commits": commit}
            write_description(self.meta_path, description | counted | {"marks": self.marks})

    # -- searching ------------------------------------------------------------------

    def search_scored(
        self,
        query: SearchQuery,
        *,
        limit: int,
        within: Sequence[int] | None = None,
        boosts: Mapping[str, float] | None = None,
    ) -> list[tuple[int, float]]:
        """Return (key, bm25 score) of the papers that best match the words, best first.

        `boosts` replaces FIELD_BOOSTS (a benchmark tunes them); a field boosted 0 is skipped.
        """
        assert self.index is not None
        compiled = self._compile(query, within, FIELD_BOOSTS if boosts is None else boosts)
        if compiled is None or limit <= 0:
            return []
        return [(key, float(score)) for key, score in self._hits(compiled, limit)]

    def search_newest(
        self,
        query: SearchQuery,
        *,
        limit: int,
        within: Sequence[int] | None = None,
        changed_after: int | None = None,
    ) -> list[int]:
        """Return the keys of the newest papers that match (by publication), newest first.

        With `changed_after`, among the papers that later commits wrote only.
        """
        assert self.index is not None
        compiled = self._compile(query, within, FIELD_BOOSTS, changed_after)
        if compiled is None or limit <= 0:
            return []
        return [key for key, _ in self._hits(compiled, limit, order_by_field="published")]

    def words_of(self, texts: Iterable[str]) -> set[str]:
        """Return the words these texts are indexed under (folded and stemmed)."""
        return {token for text in texts for token in self.analyzer.analyze(text)}

    def may_match(self, query: SearchQuery, words: Container[str]) -> bool:
        """Tell whether a paper holding only these words could match the query's words:
        one of its ranked words, each word of its phrases (their order aside)."""
        ranked = self.words_of(query.terms)
        if ranked and not any(token in words for token in ranked):
            return False
        return all(token in words for token in self.words_of(query.phrases))

    def keys_written_after(self, commit: int, *, limit: int) -> set[int] | None:
        """Return the keys of the papers that later commits wrote; None if over `limit`."""
        hits = self._hits(self._later(commit), limit + 1)
        return None if len(hits) > limit else {key for key, _ in hits}

    def _later(self, commit: int) -> Query:
        """Return a query for the papers that commits after this one wrote."""
        return Query.range_query(
            self.schema, "commit", tantivy.FieldType.Unsigned, commit, None, include_lower=False
        )

    def _hits(
        self, compiled: Query, limit: int, order_by_field: str | None = None
    ) -> list[tuple[int, float]]:
        """Return (key, order key) of the first `limit` hits: bm25 unless ordered by a field."""
        assert self.index is not None
        searcher = self.index.searcher()
        hits = searcher.search(compiled, limit, count=False, order_by_field=order_by_field).hits
        keys = searcher.fast_field_values("key", [address for _, address in hits])
        return [
            (int(key), order) for key, (order, _) in zip(keys, hits, strict=True) if key is not None
        ]

    def _compile(
        self,
        query: SearchQuery,
        within: Sequence[int] | None,
        boosts: Mapping[str, float],
        changed_after: int | None = None,
    ) -> Query | None:
        """Build the query FTS5 would run (see fts_match_expression): same words, same rules."""
        tokens = [token for term in query.terms for token in self.analyzer.analyze(term)]
        # One flat disjunction of boosted term queries: tantivy passes a boost down into
        # each term's scorer, so block-max WAND still skips what cannot reach the top.
        ranked = [
            Query.boost_query(Query.term_query(self.schema, name, token), boost)
            for token in tokens
            for name, boost in boosts.items()
            if boost > 0
        ]
        clauses: list[tuple[Occur, Query]] = []
        if ranked:
            clauses.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in ranked])))
        for phrase in query.phrases:
            if (matched := self._anywhere(phrase)) is not None:
                clauses.append((Occur.Must, matched))
        if not clauses:
            return None
        for excluded in query.excluded:
            if (matched := self._anywhere(excluded)) is not None:
                clauses.append((Occur.MustNot, matched))
        conditions = self._filter_queries(split_filters(query.filters)[0])
        if within is not None:
            conditions.append(Query.term_set_query(self.schema, "key", list(within)))
        if changed_after is not None:
            conditions.append(self._later(changed_after))
        # Conditions select without scoring: the rank stays the words'.
        clauses.extend((Occur.Must, Query.const_score_query(q, 0.0)) for q in conditions)
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def _filter_queries(self, filters: SearchFilters) -> list[Query]:
        conditions = []
        for author in filters.authors:
            # As SQL matches the author-name index: a whole name, or one word naming a family.
            normalized, family = filter_keys(author)
            named = Query.term_query(self.schema, "names", normalized)
            if family is not None:
                of_family = Query.term_query(self.schema, "families", family)
                named = Query.boolean_query([(Occur.Should, named), (Occur.Should, of_family)])
            conditions.append(named)
        if filters.categories:
            # A bare archive ("cs") names all its categories: each paper is indexed under
            # its categories and their archives.
            # Term queries, not a term set: a term set reads every paper of the category
            # into a bit set first; a term's postings are skipped through to the candidates.
            categories = [
                Query.term_query(self.schema, "categories", category.lower())
                for category in filters.categories
            ]
            conditions.append(
                categories[0]
                if len(categories) == 1
                else Query.boolean_query([(Occur.Should, category) for category in categories])
            )
        if filters.after is not None or filters.before is not None:
            conditions.append(
                Query.range_query(
                    self.schema,
                    "published",
                    tantivy.FieldType.Integer,
                    None if filters.after is None else _seconds(filters.after),
                    None if filters.before is None else _seconds(filters.before),
                    include_upper=filters.before is None,
                )
            )
        if filters.has_code:
            conditions.append(Query.term_query(self.schema, "has_code", 1))
        return conditions

    def _anywhere(self, text: str) -> Query | None:
        """Return a query for words that must appear in this order (not across fields)."""
        tokens: list[str | tuple[int, str]] = list(self.analyzer.analyze(text))
        if not tokens:
            return None
        per_field = [
            Query.term_query(self.schema, name, tokens[0])
            if len(tokens) == 1
            else Query.phrase_query(self.schema, name, tokens)
            for name in PHRASE_FIELDS
        ]
        return Query.boolean_query([(Occur.Should, matched) for matched in per_field])


def _marks(description: Mapping[str, object]) -> dict[str, object]:
    marks = description.get("marks")
    return dict(marks) if isinstance(marks, dict) else {}


def _seconds(day: date) -> int:
    """Return the start of a UTC day in seconds since 1970, as the filters' SQL reads it."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class WordWriter:
    """Applies batches of changed papers, one commit each."""

    def __init__(self, words: WordIndex, writer: tantivy.IndexWriter) -> None:
        self._words = words
        self._writer = writer

    def apply(
        self,
        seq: int,
        keys: Sequence[int],
        papers: Sequence[PaperWords],
        marks: dict[str, object] | None = None,
    ) -> None:
        """Replace these papers' words (a key without a paper is deleted); commit up to seq."""
        commit = self._words.commits + 1
        if keys:  # (by query: delete_documents_by_term reads a Python int as signed)
            schema = self._words.schema
            self._writer.delete_documents_by_query(Query.term_set_query(schema, "key", list(keys)))
        for paper in papers:
            # Values of one field are kept apart: a phrase never runs from one to the next.
            document = tantivy.Document(
                words=[paper.title] * TITLE_REPEATS + [paper.abstract],
                title=[paper.title],
                keywords=list(paper.keywords),
                authors=list(paper.authors),
            )
            document.add_unsigned("key", paper.key)  # a plain int would be read as signed
            for name in paper.authors:
                if indexed := author_keys(name):  # as the author-name index
                    document.add_text("names", indexed[0])
                    document.add_text("families", indexed[1])
            for category in {name.lower() for name in paper.categories}:
                document.add_text("categories", category)
                if "." in category:
                    document.add_text("categories", category.split(".")[0])
            if paper.published is not None:
                document.add_integer("published", int(paper.published.timestamp()))
            document.add_unsigned("has_code", int(paper.has_code))
            document.add_unsigned("commit", commit)
            self._writer.add_document(document)
        self._writer.commit()
        self._words._committed(seq, marks, commit)
