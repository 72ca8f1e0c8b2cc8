"""Run the `dailypapers` command in-process and look at the database it wrote."""

from __future__ import annotations

from click.testing import CliRunner, Result

from dailypapers.cli import cli
from dailypapers.storage import open_storage


def run(*args: str) -> Result:
    """Run the command line with these arguments, as a user would type them."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def count_papers(url: str) -> int:
    """Return how many papers the database at this URL holds."""
    storage = open_storage(url)
    try:
        return storage.count_papers()
    finally:
        storage.close()
