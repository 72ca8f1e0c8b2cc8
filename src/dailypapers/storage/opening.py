"""Pick and open the backend a database URL names."""

from __future__ import annotations

from pathlib import Path

from dailypapers.storage.base import Storage, StorageError


def open_storage(url: str, *, migrate: bool = True, word_index_folder: str = "") -> Storage:
    """Open the database the URL names, applying migrations unless told not to.

    On PostgreSQL the word index of the papers lives in `word_index_folder` (empty: in
    memory); SQLite keeps it beside the database file.
    """
    storage: Storage
    if url.startswith("sqlite:"):
        from dailypapers.storage.sqlite import SqliteStorage

        storage = SqliteStorage(url)
    elif url.startswith(("postgresql:", "postgres:")):
        from dailypapers.storage.postgresql import PostgresStorage

        storage = PostgresStorage(
            url, word_index_folder=Path(word_index_folder) if word_index_folder else None
        )
    else:
        raise StorageError(
            f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://..."
        )
    if migrate:
        storage.migrate()
    return storage
