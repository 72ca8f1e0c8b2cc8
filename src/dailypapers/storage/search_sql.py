"""Search SQL both backends share: the filters, written once with `?` placeholders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from dailypapers.domain.authors import filter_keys, normalize_author_name
from dailypapers.domain.search_query import SearchFilters, SearchQuery, normalize_title
from dailypapers.storage.sql import SqlStorage
from dailypapers.storage.sql_values import Row, batches

SCOPE_LIMIT = 5000  # an `author:` or `org:` filter matching more papers filters as it goes


def like_pattern(text: str) -> str:
    """Return a LIKE pattern matching the text anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_conditions(filters: SearchFilters) -> tuple[list[str], list[Any]]:
    """Return SQL conditions on the papers table (alias p) and their parameters."""
    conditions: list[str] = []
    params: list[Any] = []
    for author in filters.authors:
        # The folded-name index (see storage/follows_sql.py): a whole name, or one word
        # naming the family, accents and case aside.
        normalized, family = filter_keys(author)
        conditions.append(
            "p.id IN (SELECT a.paper_id FROM paper_authors a WHERE a.norm_name = ? OR a.family = ?)"
        )
        params.extend([normalized, family or ""])
    if filters.categories:
        parts = []
        for category in filters.categories:
            # Categories are stored as a JSON array: match a whole quoted entry, and a bare
            # archive name ("cs") matches every category in it ("cs.CL", "cs.LG").
            parts.append("LOWER(p.categories) LIKE ? ESCAPE '\\'")
            params.append(like_pattern(f'"{category.lower()}"'))
            if "." not in category:
                parts.append("LOWER(p.categories) LIKE ? ESCAPE '\\'")
                params.append(like_pattern(f'"{category.lower()}.'))
        conditions.append(f"({' OR '.join(parts)})")
    if filters.organizations:
        match, match_params = organization_match(filters.organizations)
        conditions.append(
            f"EXISTS (SELECT 1 FROM daily_entries e WHERE e.paper_id = p.id AND {match})"
        )
        params.extend(match_params)
    if filters.after is not None:
        conditions.append("p.published_at >= ?")
        params.append(_midnight(filters.after))
    if filters.before is not None:
        conditions.append("p.published_at < ?")
        params.append(_midnight(filters.before))
    if filters.has_code:
        conditions.append("COALESCE(p.github_repo, '') <> ''")
    return conditions, params


def organization_match(names: Sequence[str]) -> tuple[str, list[Any]]:
    """Return a condition on daily entries (alias e) featured for one of these organizations,
    found by whole words of its short or full name ("meta": "AI at Meta"; accents, case and
    punctuation aside, see Organization.folded_names), and its parameters."""
    # Folded names hold only letters, digits and single spaces, so the patterns need no
    # escaping; a name that folds to nothing gives "%  %", which no folded names hold.
    patterns = [f"% {normalize_author_name(name)} %" for name in names]
    words = " OR ".join(["o.folded_names LIKE ?"] * len(patterns))
    # The names are looked up in the small organizations table first: joined to the daily
    # entries under one OR, PostgreSQL read every entry for each search.
    return f"e.organization IN (SELECT o.name FROM organizations o WHERE {words})", patterns


def _midnight(day: date) -> str:
    # A full UTC timestamp: PostgreSQL would read a bare date in the session's time zone,
    # and SQLite compares it as text with the stored UTC timestamps.
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


class SqlSearch(SqlStorage):
    """The search queries both backends run the same way."""

    def _filter_scope(
        self, query: SearchQuery, within: Sequence[str] | None, *, by_authors: bool = True
    ) -> tuple[SearchQuery, Sequence[str] | None]:
        """Narrow a search to the papers its `author:` (unless told not to) and `org:`
        filters name, when few.

        The name index and the daily entries find them at once; ranking only those is faster
        than ranking every match of the words and keeping the few that pass (an `org:`
        matching nothing made PostgreSQL score every match of the words in SQL). Returns the
        query without the filters the scope answers (they would be checked again), and the
        scope.
        """
        filters = query.filters
        if within is not None or not ((filters.authors and by_authors) or filters.organizations):
            return query, within
        scopes, rest = [], filters
        if filters.authors and by_authors:
            authors = self.papers_by_author_filter(filters.authors, limit=SCOPE_LIMIT)
            if authors is not None:
                scopes.append(authors)
                rest = replace(rest, authors=())
        if filters.organizations:
            organizations = self._papers_of_organizations(filters.organizations)
            if organizations is not None:
                scopes.append(organizations)
                rest = replace(rest, organizations=())
        if not scopes:
            return query, None
        common = set(scopes[0]).intersection(*scopes[1:])
        scope = [paper_id for paper_id in scopes[0] if paper_id in common]  # authors' newest first
        return replace(query, filters=rest), scope

    def _papers_of_organizations(self, names: Sequence[str]) -> list[str] | None:
        """Return the papers featured for these organizations; None if more than SCOPE_LIMIT."""
        match, params = organization_match(names)
        rows = self._execute(
            f"SELECT e.paper_id FROM daily_entries e WHERE {match} LIMIT ?",
            [*params, SCOPE_LIMIT + 1],
        )
        return None if len(rows) > SCOPE_LIMIT else [row[0] for row in rows]

    def filter_papers(self, ids: Sequence[str], filters: SearchFilters) -> list[str]:
        """Return those of the ids whose papers pass the filters, in the order given."""
        if not filters or not ids:
            return list(ids)
        conditions, params = filter_conditions(filters)
        kept: set[str] = set()
        for batch in batches(ids):
            marks = ", ".join("?" * len(batch))
            rows: list[Row] = self._execute(
                f"SELECT p.id FROM papers p WHERE p.id IN ({marks}) AND {' AND '.join(conditions)}",
                [*batch, *params],
            )
            kept.update(row[0] for row in rows)
        return [paper_id for paper_id in ids if paper_id in kept]

    def _filtered_newest(self, conditions: list[str], params: list[Any], limit: int) -> list[str]:
        """Return the newest papers that meet the conditions: a query of filters alone."""
        rows = self._execute(
            f"SELECT p.id FROM papers p WHERE {' AND '.join(conditions)}"
            " ORDER BY p.published_at DESC NULLS LAST, p.id LIMIT ?",
            [*params, limit],
        )
        return [row[0] for row in rows]

    def count_embeddings(self) -> dict[str, int]:
        """Return how many papers have a vector, per model."""
        rows = self._execute("SELECT model, COUNT(*) FROM paper_embeddings GROUP BY model")
        return {model: int(count) for model, count in rows}

    def embedding_models(self) -> list[str]:
        """Return the models that have vectors, by name, without counting the vectors."""
        # One index seek per model (a loose index scan): DISTINCT would read every row.
        rows = self._execute(
            "WITH RECURSIVE models (model) AS ("
            " SELECT MIN(model) FROM paper_embeddings"
            " UNION ALL SELECT (SELECT MIN(e.model) FROM paper_embeddings e"
            " WHERE e.model > m.model) FROM models m WHERE m.model IS NOT NULL)"
            " SELECT model FROM models WHERE model IS NOT NULL"
        )
        return [row[0] for row in rows]

    def find_titled(self, title: str) -> list[str]:
        """Return the ids of papers with this exact title, ignoring case and a final period."""
        wanted = normalize_title(title)
        if not wanted:
            return []
        rows = self._execute(
            "SELECT id FROM papers WHERE lower(rtrim(title, '.')) = ? ORDER BY id LIMIT 10",
            (wanted,),
        )
        return [row[0] for row in rows]
