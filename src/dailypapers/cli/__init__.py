"""The `dailypapers` command, one module per group of subcommands."""

from __future__ import annotations

import click

from dailypapers.cli import (
    accounts,
    database,  # operations: db copy, backup, restore
    digests,
    importing,
    ingesting,
    mail_tools,
    search,
    site,
    worker,
)


@click.group()
@click.version_option(package_name="dailypapers")
def cli() -> None:
    """A self-hosted Daily Papers site. Settings come from DAILYPAPERS_* variables."""


for module in (site, importing, ingesting, worker, search, accounts, digests, database, mail_tools):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Run the command line."""
    cli()
