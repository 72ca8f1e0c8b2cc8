"""`dailypapers user create` and `dailypapers token create`."""

from click.testing import CliRunner

from dailypapers.cli import cli
from dailypapers.services.accounts import access_token_user
from dailypapers.services.passwords import make_hasher, verify_password
from dailypapers.storage import open_storage

from support.sites import NOW


def invoke(*args: str, stdin: str = ""):
    """Run the command line with this standard input."""
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def test_user_create_reads_the_password_from_stdin_and_token_create_prints_a_token(database_url):
    created = invoke(
        "user", "create", "ada", "--email", "Ada@example.org", "--admin", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "created admin ada <ada@example.org>" in created.output
    assert "a long enough password" not in created.output

    issued = invoke("token", "create", "ada")
    assert issued.exit_code == 0
    secret = issued.output.strip()
    storage = open_storage(database_url)
    try:
        user = storage.find_user("ada")
        assert user is not None and user.is_admin
        hashed = storage.get_password_hash(user.id)
        assert hashed is not None and hashed.startswith("$argon2id$")
        assert verify_password(make_hasher(), hashed, "a long enough password")
        assert access_token_user(storage=storage, secret=secret, now=NOW) == user
    finally:
        storage.close()


def test_user_create_refuses_bad_input_clearly(database_url):
    short = invoke("user", "create", "ada", "--email", "a@example.org", stdin="short\n")
    assert short.exit_code == 1 and "at least 10" in short.output
    invoke("user", "create", "ada", "--email", "a@example.org", stdin="long enough pw\n")
    taken = invoke("user", "create", "ADA", "--email", "b@example.org", stdin="long enough pw\n")
    assert taken.exit_code == 1 and "already taken" in taken.output
    missing = invoke("token", "create", "nobody")
    assert missing.exit_code == 1 and "no member named" in missing.output
