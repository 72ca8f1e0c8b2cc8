"""Pick and open the backend a database URL names."""

from __future__ import annotations

from dailypapers.storage.base import Storage, StorageError


def open_storage(url: str, *, migrate: bool = True) -> Storage:
    """Open the database the URL names, applying migrations unless told not to."""
    storage: Storage
    if url.startswith("sqlite:"):
        from dailypapers.storage.sqlite import SqliteStorage

        storage = SqliteStorage(url)
    elif url.startswith(("postgresql:", "postgres:")):
        from dailypapers.storage.postgresql import PostgresStorage

        storage = PostgresStorage(url)
    else:
        raise StorageError(
            f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://..."
        )
    if migrate:
        storage.migrate()
    return storage
