"""`dailypapers serve`, `migrate` and `settings`, and the installed console script."""

import subprocess
import sys
from pathlib import Path

from support.commands import run


def test_migrate_reports_what_it_applied(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    assert "applied 0001_papers.sql" in run("migrate").output
    assert "up to date" in run("migrate").output


def test_a_bad_database_url_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", "mysql://nope")
    (tmp_path / "day.json").write_text("[]")
    result = run("import", str(tmp_path / "day.json"))
    assert result.exit_code == 1
    assert "unsupported database URL 'mysql://nope'" in result.output


def test_a_bad_setting_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_PORT", "eighty")
    result = run("serve")
    assert result.exit_code == 2
    assert "DAILYPAPERS_PORT='eighty' is not a valid int" in result.output


def test_the_console_script_is_installed(tmp_path):
    executable = Path(sys.executable).with_name("dailypapers")
    result = subprocess.run(
        [str(executable), "settings"], capture_output=True, text=True, check=True
    )
    assert "DAILYPAPERS_DATABASE_URL" in result.stdout
