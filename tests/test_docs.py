"""The documentation tells the truth about settings and commands."""

from pathlib import Path

from click.testing import CliRunner

from dailypapers.cli import cli
from dailypapers.settings import describe_settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_with_its_default():
    documented = (ROOT / "docs" / "settings.md").read_text()
    table = CliRunner().invoke(cli, ["settings", "--markdown"]).output
    assert table.strip() in documented, "regenerate: dailypapers settings --markdown"
    for variable, _, _ in describe_settings():
        assert f"`{variable}`" in documented


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = []
    for name, command in cli.commands.items():
        subcommands = getattr(command, "commands", None)
        commands += (
            [f"dailypapers {name} {sub}" for sub in subcommands]
            if subcommands
            else [f"dailypapers {name}"]
        )
    for command in commands:
        assert command in readme, f"README.md does not mention `{command}`"


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
