"""Where papers live: one interface, a SQLite and a PostgreSQL backend."""

from dailypapers.storage.base import Storage, open_storage

__all__ = ["Storage", "open_storage"]
