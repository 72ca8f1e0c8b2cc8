"""Schema state and index lag, read the same way on both backends."""

from __future__ import annotations

from importlib import resources

from dailypapers.storage.sql_values import SqlAccess


class OperationsSql(SqlAccess):
    """Readings for health checks and metrics over a SQL backend."""

    dialect: str

    def pending_migrations(self) -> list[str]:
        """Return the names of the schema migrations this code has and the database lacks."""
        folder = resources.files("dailypapers.storage") / "migrations" / self.dialect
        known = {item.name for item in folder.iterdir() if item.name.endswith(".sql")}
        applied = {row[0] for row in self._execute("SELECT name FROM schema_migrations")}
        return sorted(known - applied)
