"""Manage members from the terminal: create them and issue their access tokens."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.domain.accounts import Role
from dailypapers.services.accounts import create_access_token, create_user
from dailypapers.services.errors import ActionRefused
from dailypapers.services.passwords import make_hasher


@click.group()
def user() -> None:
    """Manage the site's members."""


@user.command("create")
@click.argument("name")
@click.option("--email", required=True, help="The member's email address.")
@click.option("--fullname", default="", help="The name shown for the member.")
@click.option("--admin", is_flag=True, help="Make the member an admin.")
@click.option("--moderator", is_flag=True, help="Make the member a moderator.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
def create(
    name: str, email: str, fullname: str, admin: bool, moderator: bool, password_stdin: bool
) -> None:
    """Create a member; the password is read from standard input, never from the command line."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    role = Role.ADMIN if admin else Role.MODERATOR if moderator else Role.MEMBER
    storage = open_configured_storage(load_settings())
    try:
        with storage.transaction():
            member = create_user(
                storage=storage,
                hasher=make_hasher(),
                username=name,
                email=email,
                password=password,
                fullname=fullname,
                role=role,
                now=datetime.now(UTC),
            )
    except ActionRefused as error:
        raise click.ClickException(str(error)) from None
    finally:
        storage.close()
    click.echo(f"created {member.role.value} {member.username} <{member.email}>")


@click.group()
def token() -> None:
    """Manage personal access tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="command line", help="What the token is for.")
def create_token(name: str, label: str) -> None:
    """Issue a personal access token for the member NAME and print it, this once."""
    storage = open_configured_storage(load_settings())
    try:
        member = storage.find_user(name)
        if member is None:
            raise click.ClickException(f"there is no member named {name!r}")
        with storage.transaction():
            _, secret = create_access_token(
                storage=storage, user=member, name=label, now=datetime.now(UTC)
            )
    finally:
        storage.close()
    click.echo(secret)


COMMANDS = [user, token]
