"""Recommendation queries both backends share: signals, member models, vectors by the batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import orjson

from dailypapers.domain.recommendations import MemberModel, MemberSignals, MemberVersions
from dailypapers.storage.search_types import Vectors
from dailypapers.storage.sql_values import Row, SqlAccess, batches, iso, to_datetime

# A member's positives, newest first: upvotes, papers in any of their collections, seeds.
_POSITIVES = (
    "SELECT paper_id, MAX(at) AS latest FROM ("
    " SELECT paper_id, created_at AS at FROM votes WHERE user_id = ?"
    " UNION ALL SELECT cp.paper_id, cp.added_at FROM collection_papers cp"
    "  JOIN collections c ON c.id = cp.collection_id WHERE c.user_id = ?"
    " UNION ALL SELECT paper_id, created_at FROM interest_seeds WHERE user_id = ?"
    ") signals GROUP BY paper_id ORDER BY latest DESC, paper_id LIMIT ?"
)


class RecommendationsSql(SqlAccess):
    """The recommendations part of SqlStorage."""

    dialect: str

    def dismiss_paper(self, *, user_id: int, paper_id: str, now: datetime) -> None:
        """Record that the member is not interested in the paper (again: no change)."""
        self._execute(
            "INSERT INTO dismissals (user_id, paper_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, paper_id) DO NOTHING",
            (user_id, paper_id, iso(now)),
        )

    def undismiss_paper(self, *, user_id: int, paper_id: str) -> bool:
        """Forget a "not interested"; False if there was none."""
        rows = self._execute(
            "DELETE FROM dismissals WHERE user_id = ? AND paper_id = ? RETURNING paper_id",
            (user_id, paper_id),
        )
        return bool(rows)

    def add_interest_seeds(self, *, user_id: int, paper_ids: Sequence[str], now: datetime) -> int:
        """Record papers the member named as interesting; return how many were new."""
        added = 0
        for paper_id in dict.fromkeys(paper_ids):
            rows = self._execute(
                "INSERT INTO interest_seeds (user_id, paper_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING paper_id",
                (user_id, paper_id, iso(now)),
            )
            added += len(rows)
        return added

    def member_signals(self, user_id: int, *, limit: int) -> MemberSignals:
        """Return the member's positives (votes, saves, seeds) and negatives, newest first."""
        positives = self._execute(_POSITIVES, (user_id, user_id, user_id, limit))
        negatives = self._execute(
            "SELECT paper_id FROM dismissals WHERE user_id = ?"
            " ORDER BY created_at DESC, paper_id LIMIT ?",
            (user_id, limit),
        )
        disliked = {row[0] for row in negatives}
        return MemberSignals(
            # A paper saved and then dismissed counts as what the member said last: dismissed.
            positives=tuple(row[0] for row in positives if row[0] not in disliked),
            negatives=tuple(row[0] for row in negatives),
        )

    def has_dismissed(self, user_id: int, paper_id: str) -> bool:
        """Return whether the member said "not interested" in the paper."""
        return bool(
            self._execute(
                "SELECT 1 FROM dismissals WHERE user_id = ? AND paper_id = ?", (user_id, paper_id)
            )
        )

    def mark_signals_changed(self, user_id: int) -> None:
        """Note that the member's signals changed, so their model gets refitted."""
        self._execute(
            "INSERT INTO member_models (user_id) VALUES (?) ON CONFLICT (user_id)"
            " DO UPDATE SET signals_version = member_models.signals_version + 1",
            (user_id,),
        )

    def stale_member_models(self, *, limit: int) -> list[tuple[int, int]]:
        """Return (member id, signals version) of members whose model is out of date."""
        rows = self._execute(
            "SELECT user_id, signals_version FROM member_models"
            " WHERE signals_version > fitted_version ORDER BY user_id LIMIT ?",
            (limit,),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    def any_member_models(self) -> bool:
        """Return whether any member has a For you model (fitted or waiting to be)."""
        return bool(
            self._execute(
                "SELECT 1 FROM member_models"
                " WHERE weights IS NOT NULL OR signals_version > fitted_version LIMIT 1"
            )
        )

    def save_member_model(self, model: MemberModel, *, fitted_version: int) -> None:
        """Store the member's fitted model as of that signals version."""
        weights = np.asarray(model.weights, dtype="<f4").tobytes()
        # orjson: a request parses these few thousand weights, five times faster than json
        words = orjson.dumps(
            {"terms": model.terms, "authors": model.authors, "liked_by": model.liked_by}
        ).decode()
        self._execute(
            "INSERT INTO member_models (user_id, signals_version, fitted_version, model, weights,"
            " bias, words, positives, negatives, fitted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET fitted_version = excluded.fitted_version,"
            " model = excluded.model, weights = excluded.weights, bias = excluded.bias,"
            " words = excluded.words, positives = excluded.positives,"
            " negatives = excluded.negatives, fitted_at = excluded.fitted_at",
            (
                model.user_id,
                fitted_version,
                fitted_version,
                model.model,
                weights,
                float(model.bias),
                words,
                model.positives,
                model.negatives,
                iso(model.fitted_at),
            ),
        )

    def forget_member_model(self, user_id: int, *, fitted_version: int) -> None:
        """Drop the member's model (they have no likes left) as of that signals version."""
        self._execute(
            "UPDATE member_models SET fitted_version = ?, model = NULL, weights = NULL,"
            " words = NULL, positives = 0, negatives = 0 WHERE user_id = ?",
            (fitted_version, user_id),
        )

    def get_member_model(self, user_id: int) -> MemberModel | None:
        """Return the member's fitted model, if one was fitted."""
        rows = self._execute(
            "SELECT model, weights, bias, words, positives, negatives, fitted_at FROM member_models"
            " WHERE user_id = ? AND weights IS NOT NULL",
            (user_id,),
        )
        if not rows:
            return None
        model, weights, bias, words, positives, negatives, fitted_at = rows[0]
        parts = orjson.loads(words) if words else {}
        return MemberModel(
            user_id=user_id,
            model=model,
            weights=np.frombuffer(bytes(weights), dtype="<f4").astype(np.float32),
            bias=float(bias),
            positives=int(positives),
            negatives=int(negatives),
            fitted_at=to_datetime(fitted_at),
            terms=parts.get("terms", {}),
            authors=parts.get("authors", {}),
            liked_by=parts.get("liked_by", {}),
        )

    def member_versions(self, user_id: int) -> MemberVersions | None:
        """Return the member's signals version and which fit their model is, if any."""
        rows = self._execute(
            "SELECT signals_version, fitted_version, fitted_at, weights IS NOT NULL"
            " FROM member_models WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return None
        signals, fitted, fitted_at, has_weights = rows[0]
        fit = (int(fitted), to_datetime(fitted_at)) if has_weights else None
        return MemberVersions(int(signals), fit)

    def set_digest_for_you(self, user_id: int, *, enabled: bool, now: datetime) -> None:
        """Turn the member's "For you" digest section on or off."""
        if enabled:
            self._execute(
                "INSERT INTO digest_for_you (user_id, created_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, iso(now)),
            )
        else:
            self._execute("DELETE FROM digest_for_you WHERE user_id = ?", (user_id,))

    def digest_for_you_members(self, emails: Sequence[str]) -> dict[str, int]:
        """Return, among these addresses, the unbanned members who want a "For you" section."""
        found: dict[str, int] = {}
        for batch in batches(emails):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                "SELECT u.email, u.id FROM users u JOIN digest_for_you d ON d.user_id = u.id"
                f" WHERE u.banned_at IS NULL AND u.email IN ({marks})",
                batch,
            )
            found.update((row[0], int(row[1])) for row in rows)
        return found

    # -- vectors by the batch ---------------------------------------------------------------

    def featured_vectors(
        self, *, model: str, start: date, end: date, limit: int | None = None
    ) -> tuple[list[str], Vectors]:
        """Return ids and vectors of papers featured in [start, end), newest first if limited."""
        window = "e.day >= ? AND e.day < ? AND e.hidden_at IS NULL"
        order = " ORDER BY e.day DESC, e.paper_id LIMIT ?" if limit is not None else ""
        tail: list[object] = [] if limit is None else [limit]
        if self.dialect == "postgresql":
            sql = (
                "SELECT e.paper_id, vector_send(v.embedding) FROM daily_entries e"
                " JOIN paper_embeddings v ON v.paper_id = e.paper_id AND v.model = ?"
                f" WHERE {window}{order}"
            )
        else:
            # CROSS JOIN fixes SQLite's join order: the day's entries first, by their index.
            # Left free, it may scan every vector of the model and look each entry up.
            sql = (
                "SELECT e.paper_id, v.vector FROM daily_entries e"
                " CROSS JOIN paper_keys k CROSS JOIN paper_embeddings v"
                " WHERE k.paper_id = e.paper_id AND v.paper_key = k.key AND v.model = ?"
                f" AND {window}{order}"
            )
        rows = self._execute(sql, [model, start.isoformat(), end.isoformat(), *tail])
        return self._unpack_vectors(rows)

    def paper_vectors(self, *, model: str, paper_ids: Sequence[str]) -> tuple[list[str], Vectors]:
        """Return the ids (in the order given) and vectors of those papers that have one."""
        found: dict[str, Row] = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            if self.dialect == "postgresql":
                sql = (
                    "SELECT paper_id, vector_send(embedding) FROM paper_embeddings"
                    f" WHERE model = ? AND paper_id IN ({marks})"
                )
            else:
                sql = (
                    "SELECT k.paper_id, v.vector FROM paper_keys k CROSS JOIN paper_embeddings v"
                    f" WHERE v.paper_key = k.key AND v.model = ? AND k.paper_id IN ({marks})"
                )
            rows = self._execute(sql, [model, *batch])
            found.update((row[0], row) for row in rows)
        return self._unpack_vectors([found[i] for i in dict.fromkeys(paper_ids) if i in found])

    def paper_texts(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Return "title. abstract" and the authors of those papers that are stored, by id."""
        found: dict[str, tuple[str, tuple[str, ...]]] = {}
        for batch in batches(paper_ids):
            marks = ", ".join("?" * len(batch))
            rows = self._execute(
                f"SELECT id, title, abstract, authors FROM papers WHERE id IN ({marks})", batch
            )
            found.update(
                (row[0], (f"{row[1]}. {row[2]}", tuple(json.loads(row[3])))) for row in rows
            )
        return found

    def _unpack_vectors(self, rows: Sequence[Row]) -> tuple[list[str], Vectors]:
        """Turn (paper id, vector bytes) rows into ids and one float32 matrix."""
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        ids = [row[0] for row in rows]
        if self.dialect == "postgresql":
            # pgvector's binary form: a 2-byte dimension, 2 unused bytes, big-endian float32s.
            blob = b"".join(bytes(row[1])[4:] for row in rows)
            matrix = np.frombuffer(blob, dtype=">f4").reshape(len(rows), -1)
        else:
            blob = b"".join(row[1] for row in rows)
            matrix = np.frombuffer(blob, dtype="<f4").reshape(len(rows), -1)
        return ids, matrix.astype(np.float32)
