"""Pick and open the backend a database URL names."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dailypapers.storage.base import Storage, StorageError

_PASSWORD_PARAMETER = re.compile(r"(?i)(^|&)(password=)[^&]*")


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
            f"unsupported database URL {without_password(url)!r}:"
            " use sqlite:///path.db or postgresql://..."
        )
    if migrate:
        storage.migrate()
    return storage


def without_password(url: str) -> str:
    """Return the database URL with its password masked, fit to print or log."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, _PASSWORD_PARAMETER.sub(r"\1\2***", parts.query)
    if parts.password is not None:
        credentials, _, host = netloc.rpartition("@")
        netloc = f"{credentials.split(':', 1)[0]}:***@{host}"
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to hide: the URL exactly as given
    return urlunsplit(parts._replace(netloc=netloc, query=query))
