"""Where papers live: one interface, a SQLite and a PostgreSQL backend."""

from dailypapers.storage.base import Storage
from dailypapers.storage.opening import open_storage

__all__ = ["Storage", "open_storage"]
