"""Schema state and index lag, read the same way on both backends."""

from __future__ import annotations

from importlib import resources

from dailypapers.storage.sql_values import SqlAccess

_LAG_COUNTED_UP_TO = 10_000_000  # past this, "very far behind" needs no exact figure


class OperationsSql(SqlAccess):
    """Readings for health checks and metrics over a SQL backend."""

    dialect: str

    def pending_migrations(self) -> list[str]:
        """Return the names of the schema migrations this code has and the database lacks."""
        folder = resources.files("dailypapers.storage") / "migrations" / self.dialect
        known = {item.name for item in folder.iterdir() if item.name.endswith(".sql")}
        applied = {row[0] for row in self._execute("SELECT name FROM schema_migrations")}
        return sorted(known - applied)

    def word_index_lag(self) -> int:
        """Return how many papers changed since the word index beside the database saw them."""
        words = getattr(self, "_word_index", None)
        if words is None:  # PostgreSQL: its word index is inside the database, never behind
            return 0
        rows = self._execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM paper_text_changes WHERE seq > ? LIMIT ?)",
            (words.refresh_seq(), _LAG_COUNTED_UP_TO),
        )
        return int(rows[0][0])
