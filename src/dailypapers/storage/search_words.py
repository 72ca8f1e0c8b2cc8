"""Lexical search through the word index beside the database, on either backend.

The index (storage/word_index.py) is a cache of the database: it records which changes of
the papers' words it holds and catches up, in the search itself when few are missing, else
on a thread of its own while the database's own ranking answers (FTS5 on SQLite, BM25 in
SQL on PostgreSQL). Each backend says how its changes are read (`_catch_up_words`,
`_text_backlog`) and how papers' ids and the index's keys map to each other.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from dailypapers.domain.search_query import SearchQuery
from dailypapers.storage.search_sql import SqlSearch
from dailypapers.storage.search_types import WordMatch, WordsVersion
from dailypapers.storage.sql_values import Row, to_datetime
from dailypapers.storage.word_index import PaperWords, WordIndex, WriterBusy, split_filters

log = logging.getLogger("dailypapers.search")

INLINE_CATCH_UP = 2000  # changed papers a search takes in itself; more are taken aside
WORDS_CHUNK = 20_000  # changed papers the word index takes per commit
# With filters, the word index ranks this many times the papers asked for, and SQL keeps
# those that pass; when too few pass, the database answers with the filters in its query.
FILTERED_OVERFETCH = 10
WRITER_RETRY_S = 2.0  # how long a catch-up waits while another process writes the index
LAG_COUNTED_UP_TO = 10_000_000  # past this, "very far behind" needs no exact figure
# After more changed papers than this, a followed author, category or search is asked afresh
# rather than brought up to date from them (`papers_changed_since`).
CHANGES_FOLLOWED = 5000
# Changed papers whose words are read to tell which followed searches they cannot match: a
# search of the changed papers costs half a millisecond however few they are.
CHANGED_WORDS_READ = 200
NEWEST_FILTERED_DEPTH = 20_000  # how far back newest-first listing looks for a narrow filter


# What a catch-up row holds after its change and the paper's key, in `paper_words`'s order.
PAPER_COLUMNS = (
    "p.title, p.abstract, p.authors, p.ai_keywords, p.categories, p.published_at, p.github_repo"
)


def _nothing(query: SearchQuery) -> bool:
    """Tell whether the query asks nothing: no words to rank or exclude, no filters."""
    return not (query.terms or query.phrases or query.excluded or query.arxiv_id or query.filters)


def paper_words(row: Row) -> PaperWords:
    """Read a paper's words and filtered fields from a catch-up row (its change first)."""
    _, key, title, abstract, authors, keywords, categories, published_at, github_repo = row
    return PaperWords(
        key=key,
        title=title,
        abstract=abstract,
        authors=tuple(json.loads(authors or "[]")),
        keywords=tuple(json.loads(keywords or "[]")),
        categories=tuple(json.loads(categories or "[]")),
        published=to_datetime(published_at) if published_at else None,
        has_code=bool(github_repo),
    )


class WordIndexSearch(SqlSearch):
    """Search words by the index beside the database, by the database while it catches up."""

    _word_index: WordIndex
    # Whether a thread may read the database (not so for SQLite's in-memory database).
    _words_catch_up_aside = True
    # The words of the papers written after a commit, under (build, that commit, latest).
    _changed_words: tuple[tuple[str, int, int], set[str] | None] | None = None

    def search_lexical(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[str]:
        """Return the ids of papers that match the query's words and filters, best first."""
        found = self.search_lexical_scored(query, limit=limit, within=within)
        return [match.paper_id for match in found]

    def search_lexical_scored(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[WordMatch]:
        """Return the papers `search_lexical` finds, each with its bm25 score."""
        words = self._current_word_index() if query.terms or query.phrases else None
        # With words to rank the word index matches `author:` itself, faster than ranking
        # within the name index's papers (which costs a key lookup per paper, and a term
        # each for the index).
        rest, scope = self._filter_scope(query, within, by_authors=words is None)
        if scope is not None and within is None and query.filters.authors and _nothing(rest):
            # The name index lists an author's papers newest first (the scope keeps its
            # order), as the database would: reading each paper's date from the papers'
            # wide rows cost 15 ms for a prolific name.
            return [WordMatch(paper_id, 0.0) for paper_id in scope[:limit]]
        query, within = rest, scope
        if within is not None and not within:
            return []
        if words is not None:
            found = self._search_words(words, query, limit=limit, within=within)
            if found is not None:
                return found
        return self.search_in_database_scored(query, limit=limit, within=within)

    def search_newest(
        self,
        query: SearchQuery,
        *,
        limit: int,
        within: Sequence[str] | None = None,
        changed_since: WordsVersion | None = None,
    ) -> list[str]:
        """Return the ids of the newest papers that match the query (by publication date)."""
        words = self._current_word_index() if query.terms or query.phrases else None
        if words is not None and changed_since is not None and changed_since.build != words.build:
            words = None  # rebuilt since: it cannot tell what changed
        query, within = self._filter_scope(query, within, by_authors=words is None)
        if within is not None and not within:
            return []
        if not (query.terms or query.phrases):  # filters alone: the database lists newest
            return self.search_in_database(query, limit=limit, within=within)
        if words is not None:
            after = None if changed_since is None else changed_since.commits
            if after is not None and not self._changes_may_match(words, query, after):
                return []
            found = self._search_words(
                words, query, limit=limit, within=within, newest=True, after=after
            )
            if found is not None:
                return [match.paper_id for match in found]
        # While the index catches up: the database's best matches, newest first (a newer
        # paper that ranks lower waits for the index), of all papers, changed or not.
        best = self.search_in_database(query, limit=limit * FILTERED_OVERFETCH, within=within)
        dates = self.paper_dates(best)
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(best, key=lambda paper_id: dates.get(paper_id) or oldest, reverse=True)[
            :limit
        ]

    def _changes_may_match(self, words: WordIndex, query: SearchQuery, after: int) -> bool:
        """Tell whether a paper written after the commit may match the query's words.

        The words of those papers are read once (while the index stays at one commit) for
        the many followed searches a Following page brings up to date at a time.
        """
        mark = (words.build, after, words.commits)
        kept = self._changed_words
        if kept is None or kept[0] != mark:
            keys = words.keys_written_after(after, limit=CHANGED_WORDS_READ)
            found = None
            if keys is not None:
                papers = self.get_papers(list(self._ids_by_key(list(keys)).values()))
                found = words.words_of(
                    text
                    for paper in papers.values()
                    for text in (paper.title, paper.abstract, *paper.ai_keywords, *paper.authors)
                )
            kept = self._changed_words = (mark, found)
        return kept[1] is None or words.may_match(query, kept[1])

    def words_version(self) -> WordsVersion | None:
        """Return a mark that changes whenever the words `search_lexical` reads change."""
        words = self._current_word_index()
        return None if words is None else WordsVersion(words.build, words.commits)

    def papers_changed_since(self, since: WordsVersion) -> set[str] | None:
        """Return the stored papers whose words changed after `since`: new or edited.

        None when the word index cannot tell (it is being built, or was rebuilt since) or
        more than CHANGES_FOLLOWED changed.
        """
        words = self._current_word_index()
        if words is None or words.build != since.build:
            return None
        written = words.keys_written_after(since.commits, limit=CHANGES_FOLLOWED)
        return None if written is None else set(self._ids_by_key(list(written)).values())

    def search_in_database(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[str]:
        """Return the ids `search_in_database_scored` finds, best first."""
        found = self.search_in_database_scored(query, limit=limit, within=within)
        return [match.paper_id for match in found]

    def search_in_database_scored(
        self, query: SearchQuery, *, limit: int, within: Sequence[str] | None = None
    ) -> list[WordMatch]:
        """Search as `search_lexical_scored` does, by the database's own ranking alone."""
        raise NotImplementedError

    def refresh_word_index(self) -> int:
        """Bring the word index up to date with every paper; return how many changes it took.

        Waits while another process writes the index (it may finish the work itself).
        """
        words = self._word_index
        self._open_word_index(words)
        return self._catch_up_words_patiently(words)

    def word_index_lag(self) -> int:
        """Return how many papers changed since the word index beside the database saw them."""
        words = self._word_index
        self._open_word_index(words)
        return self._text_backlog(words.refresh_seq(), LAG_COUNTED_UP_TO)

    # -- what each backend says -------------------------------------------------------

    def _catch_up_words(self, words: WordIndex, chunk: int, *, wait: bool = True) -> int:
        """Apply the changes the index lacks, a chunk per commit; return how many."""
        raise NotImplementedError

    def _text_backlog(self, seq: int, at_most: int) -> int:
        """Return how many papers changed that an index at `seq` lacks, up to at_most."""
        raise NotImplementedError

    def _keys_of(self, ids: Sequence[str]) -> dict[str, int]:
        """Return the index keys of these papers."""
        raise NotImplementedError

    def _ids_by_key(self, keys: Sequence[int]) -> dict[int, str]:
        """Return the ids of the papers with these keys that are still stored."""
        raise NotImplementedError

    def _open_word_index(self, words: WordIndex) -> None:
        """Open (or create) the index from what is saved."""
        words.load()

    # -- shared -------------------------------------------------------------------------

    def _search_words(
        self,
        words: WordIndex,
        query: SearchQuery,
        *,
        limit: int,
        within: Sequence[str] | None,
        newest: bool = False,
        after: int | None = None,
    ) -> list[WordMatch] | None:
        """Rank by the word index; None when a narrow filter needs the database.

        `newest` lists newest first instead (each scored 0); `after` keeps to the papers
        written after that commit.
        """
        within_keys = None if within is None else list(self._keys_of(within).values())
        left = split_filters(query.filters)[1]  # the rest the word index answers itself
        wanted = limit * FILTERED_OVERFETCH if left else limit
        while True:
            if newest:
                keys = words.search_newest(
                    query, limit=wanted, within=within_keys, changed_after=after
                )
                found = [(key, 0.0) for key in keys]
            else:
                found = words.search_scored(query, limit=wanted, within=within_keys)
            ids = self._ids_by_key([key for key, _ in found])
            matches = [WordMatch(ids[key], score) for key, score in found if key in ids]
            if not left:
                return matches[:limit]
            passed = set(self.filter_papers([match.paper_id for match in matches], left))
            kept = [match for match in matches if match.paper_id in passed]
            # Fewer keys than asked for means every match was ranked: then what passed is all.
            if len(kept) >= limit or len(found) < wanted:
                return kept[:limit]
            # The database ranks by bm25 with the filter in its query, exactly; newest first
            # it cannot, so the word index lists further back before giving up.
            if not newest or wanted >= NEWEST_FILTERED_DEPTH:
                return None
            wanted *= FILTERED_OVERFETCH

    def _current_word_index(self) -> WordIndex | None:
        """Return the word index if it is up to date (or nearly), else start catching it up."""
        words = self._word_index
        loader = words.loader
        if loader is not None and loader.is_alive():
            return None
        self._open_word_index(words)
        # The seq in memory is never ahead of the index's: nothing changed after it, and
        # the index is current without reading what another process saved.
        backlog = self._text_backlog(words.seq, INLINE_CATCH_UP + 1)
        if backlog:
            backlog = self._text_backlog(words.refresh_seq(), INLINE_CATCH_UP + 1)
        if backlog == 0:
            return words
        if not self._words_catch_up_aside or backlog <= INLINE_CATCH_UP:
            # WriterBusy: another thread or process is bringing it up to date, and a search
            # does not wait for it; it answers a few papers behind.
            with contextlib.suppress(WriterBusy):
                self._catch_up_words(words, INLINE_CATCH_UP, wait=False)
            return words
        words.loader = threading.Thread(target=self._catch_up_words_aside, daemon=True)
        words.loader.start()
        return None

    def _catch_up_words_patiently(self, words: WordIndex) -> int:
        while True:
            try:
                return self._catch_up_words(words, WORDS_CHUNK)
            except WriterBusy:  # another process writes it: wait for it, or for our turn
                time.sleep(WRITER_RETRY_S)
                if self._text_backlog(words.refresh_seq(), 1) == 0:
                    return 0

    def _catch_up_words_aside(self) -> None:
        try:
            self._catch_up_words_patiently(self._word_index)
        except Exception:
            log.exception("building the word index failed")
        finally:
            self.close()  # this thread's connection
