"""BM25 ranking on PostgreSQL in plain SQL: term statistics kept beside the tsvector.

`ts_rank` knows nothing of how rare a word is, so a common word counts as much as a rare
one. Here each query lexeme gets BM25's inverse document frequency, each paper's term
frequency is read by `ts_rank_cd` on that lexeme alone (which sums the label weights of
its positions: a title occurrence counts more than an abstract one, as BM25F does), and
the paper's length (its number of distinct lexemes) normalises it. No extension is needed:
this runs on any PostgreSQL 12+.

Document frequencies live in `search_term_stats`, brought up to date by the indexing job
(`refresh_word_index`) from the papers added since its last run, so a write never touches
them. A lexeme the statistics do not know yet, or know as rare, is counted at search time
through the GIN index, which is cheap exactly because it is rare; so a new site ranks
right before the first refresh.

Scoring costs a few microseconds per matching paper and lexeme, so a query whose words
match a large share of a million papers is not scored paper by paper. As MaxScore does,
the rarest lexemes (whose papers fit a budget) are scored first; the k-th score then bounds
what a paper holding only the common lexemes could reach (each lexeme adds at most
idf * (k1 + 1)). When that bound cannot reach the top, the answer is exact; otherwise the
papers holding the remaining lexemes are scored too, those holding all of them first, up
to the budget (then the answer is an approximation, as any top-k index's would be).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dailypapers.storage.sql_values import Row

# Label weights D, C, B, A: authors are C, abstracts B, titles A (migration 0003). Each at
# most 1: ts_rank_cd refuses more.
TERM_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
K1 = 0.7  # tuned on SciFact dev (bench/search_quality.py; docs/performance.md)
B = 0.5
# Below this many papers in the statistics, a lexeme's papers are counted at search time
# (at most LIVE_COUNT_CAP of them): exact for rare words, a few milliseconds at most.
LIVE_COUNT_BELOW = 2000
LIVE_COUNT_CAP = 20000
SCORE_BUDGET = 2000  # papers scored per phase: reading a tsvector costs ~10 us, each word ~2
REFRESH_BATCH = 20000  # papers folded into the statistics per transaction

Execute = Callable[[str, Sequence[Any]], list[Row]]


@dataclass(frozen=True, slots=True)
class Bm25Parameters:
    """The constants of the ranking: label weights, term saturation, length normalisation."""

    weights: str = TERM_WEIGHTS
    k1: float = K1
    b: float = B


@dataclass(frozen=True, slots=True)
class WeighedLexeme:
    """A query lexeme with the number of papers that hold it and its BM25 weight."""

    lexeme: str
    papers: int
    idf: float


def weigh_lexemes(execute: Execute, text: str) -> tuple[list[WeighedLexeme], float]:
    """Return the text's lexemes, rarest first, with their weights, and the mean length."""
    corpus = execute(
        "SELECT c.papers + (SELECT count(*) FROM papers WHERE search_key > c.through_key),"
        " CASE WHEN c.papers >= 1000 THEN c.total_length::float8 / c.papers ELSE"
        " (SELECT COALESCE(avg(length(s.search_text)), 1) FROM"
        " (SELECT search_text FROM papers ORDER BY search_key DESC LIMIT 1000) s) END"
        " FROM search_corpus_stats c",
        (),
    )
    total, average_length = int(corpus[0][0]), float(corpus[0][1] or 1.0)
    rows = execute(
        "SELECT l.lexeme, CASE WHEN s.docs >= ? THEN s.docs ELSE"
        " (SELECT count(*) FROM (SELECT 1 FROM papers m"
        " WHERE m.search_text @@ quote_literal(l.lexeme)::tsquery LIMIT ?) hits) END"
        " FROM (SELECT DISTINCT t.lexeme"
        " FROM unnest(tsvector_to_array(to_tsvector('english', ?))) AS t(lexeme)) l"
        " LEFT JOIN search_term_stats s ON s.lexeme = l.lexeme",
        (LIVE_COUNT_BELOW, LIVE_COUNT_CAP, text),
    )
    lexemes = [
        WeighedLexeme(lexeme, int(papers), _idf(total, int(papers)))
        for lexeme, papers in rows
        if papers
    ]
    lexemes.sort(key=lambda item: (item.papers, item.lexeme))
    return lexemes, max(average_length, 1.0)


def _idf(total: int, papers: int) -> float:
    """Return BM25's inverse document frequency (the form that is never negative)."""
    total = max(total, papers)
    return math.log(1 + (total - papers + 0.5) / (papers + 0.5))


def tsquery_literal(lexeme: str) -> str:
    """Write one lexeme as tsquery text, quoted."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def score_sql(
    lexemes: Sequence[WeighedLexeme], average_length: float, parameters: Bm25Parameters
) -> tuple[str, str, list[Any]]:
    """Return a LATERAL join reading each lexeme's frequency in a paper `p`, once, and the
    BM25 score over it as one flat expression, with the join's parameters."""
    k1, b = parameters.k1, parameters.b
    norm = f"{k1} * ({1 - b} + {b} * length(p.search_text) / {average_length!r})"
    reads, parts, params = [], [], []
    for number, item in enumerate(lexemes):
        reads.append(
            f"ts_rank_cd('{parameters.weights}', p.search_text, CAST(? AS tsquery)) AS tf{number}"
        )
        parts.append(f"{item.idf!r} * {k1 + 1} * tf.tf{number} / (tf.tf{number} + {norm})")
        params.append(tsquery_literal(item.lexeme))
    if not lexemes:
        return "", "0", []
    # OFFSET 0 keeps the subquery apart, so each frequency is read once, not per use.
    join = f" CROSS JOIN LATERAL (SELECT {', '.join(reads)} OFFSET 0) tf"
    return join, " + ".join(parts), params


def any_of(lexemes: Sequence[WeighedLexeme]) -> str:
    """Return tsquery text matching papers holding any of the lexemes."""
    return " | ".join(tsquery_literal(item.lexeme) for item in lexemes)


def all_of(lexemes: Sequence[WeighedLexeme]) -> str:
    """Return tsquery text matching papers holding all of the lexemes."""
    return " & ".join(tsquery_literal(item.lexeme) for item in lexemes)


def plan_phases(
    lexemes: Sequence[WeighedLexeme], budget: int = SCORE_BUDGET
) -> tuple[list[WeighedLexeme], list[WeighedLexeme]]:
    """Split lexemes (rarest first) into those scored first and the common rest."""
    first: list[WeighedLexeme] = []
    papers = 0
    for item in lexemes:
        if first and papers + item.papers > budget:
            break
        first.append(item)
        papers += item.papers
    return first, list(lexemes[len(first) :])


def still_needed(rest: Sequence[WeighedLexeme], threshold: float, k1: float) -> bool:
    """Tell whether papers holding only these lexemes could score above the threshold."""
    return sum(item.idf * (k1 + 1) for item in rest) > threshold


def refresh_term_statistics(
    *,
    execute: Execute,
    transaction: Callable[[], Any],
    batch: int = REFRESH_BATCH,
) -> int:
    """Fold the papers added since the last refresh into the term statistics; return how many.

    Runs batch by batch, each under a lock on the statistics' one row, so two workers
    refreshing together never count a paper twice.
    """
    taken = 0
    while True:
        with transaction():
            through = execute("SELECT through_key FROM search_corpus_stats FOR UPDATE", ())[0][0]
            upper = execute(
                "SELECT max(search_key) FROM (SELECT search_key FROM papers"
                " WHERE search_key > ? ORDER BY search_key LIMIT ?) s",
                (through, batch),
            )[0][0]
            if upper is None:
                return taken
            execute(
                "INSERT INTO search_term_stats (lexeme, docs)"
                " SELECT t.lexeme, count(*) FROM papers p,"
                " unnest(tsvector_to_array(p.search_text)) AS t(lexeme)"
                " WHERE p.search_key > ? AND p.search_key <= ? GROUP BY t.lexeme"
                " ON CONFLICT (lexeme) DO UPDATE SET docs = search_term_stats.docs + excluded.docs",
                (through, upper),
            )
            added = execute(
                "SELECT count(*), COALESCE(sum(length(search_text)), 0) FROM papers"
                " WHERE search_key > ? AND search_key <= ?",
                (through, upper),
            )[0]
            execute(
                "UPDATE search_corpus_stats SET papers = papers + ?,"
                " total_length = total_length + ?, through_key = ?, refreshed_at = now()",
                (added[0], added[1], upper),
            )
        taken += int(added[0])
