"""Database URLs as the site prints them: never with a password."""

from __future__ import annotations

import pytest

from dailypapers.storage import open_storage
from dailypapers.storage.base import StorageError
from dailypapers.storage.opening import without_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://site:s3cret@db:5432/papers", "postgresql://site:***@db:5432/papers"),
        ("postgresql://site:p%40ss:w@db/papers", "postgresql://site:***@db/papers"),
        (
            "postgresql://db/papers?user=site&password=s3cret&sslmode=require",
            "postgresql://db/papers?user=site&password=***&sslmode=require",
        ),
        ("postgresql://site@db/papers", "postgresql://site@db/papers"),
        ("sqlite:////var/lib/dailypapers/site.db", "sqlite:////var/lib/dailypapers/site.db"),
        ("sqlite:///site.db", "sqlite:///site.db"),
    ],
)
def test_the_password_is_masked_and_nothing_else_changes(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_an_unsupported_url_is_named_without_its_password() -> None:
    with pytest.raises(StorageError) as refused:
        open_storage("mysql://site:s3cret@db/papers")
    assert "mysql://site:***@db/papers" in str(refused.value)
    assert "s3cret" not in str(refused.value)
