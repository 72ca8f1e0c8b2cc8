"""The `dailypapers` command line, run as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dailypapers.cli import cli
from dailypapers.storage import open_storage

from support.http_server import Reply, serving


@pytest.fixture
def database_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", url)
    return url


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def count_papers(url):
    storage = open_storage(url)
    try:
        return storage.count_papers()
    finally:
        storage.close()


def test_import_a_folder_then_again(database_url, shared_data):
    folder = shared_data / "fixtures" / "hf_daily_papers"
    result = run("import", str(folder))
    assert result.exit_code == 0, result.output
    assert "5 file(s): 100 added, 0 updated, 0 unchanged, 0 skipped" in result.output
    again = run("import", str(folder))
    assert "0 added, 0 updated, 100 unchanged" in again.output
    assert count_papers(database_url) == 100


def test_a_bad_file_names_file_entry_and_field_and_writes_nothing(database_url, tmp_path):
    good = {"paper": {"id": "2510.00001", "title": "T", "summary": "S"}}
    bad = {"paper": {"id": "2510.00002", "title": "T", "summary": "S", "upvotes": -1}}
    path = tmp_path / "day.json"
    path.write_text(json.dumps([good, bad]))
    result = run("import", str(path))
    assert result.exit_code == 1
    assert f"error: {path}: entry 1, field 'paper.upvotes'" in result.output
    assert f"nothing from {path} was imported" in result.output
    assert count_papers(database_url) == 0


def test_skip_invalid_reports_each_skipped_record(database_url, tmp_path):
    path = tmp_path / "listing.jsonl"
    lines = [
        {"id": "2510.00001", "title": "T", "summary": "S", "authors": ["A"]},
        {"id": "2510.00002", "title": "T", "authors": ["A"]},
        {"id": "x", "title": "T", "summary": "S", "authors": ["A"]},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = run("import", "--skip-invalid", str(path))
    assert result.exit_code == 0
    assert f"skipped: {path}: line 2, field 'summary': missing" in result.output
    assert f"skipped: {path}: line 3, field 'id'" in result.output
    assert "1 added" in result.output and "2 skipped" in result.output
    assert count_papers(database_url) == 1


def test_missing_and_unknown_files_are_usage_errors(database_url, tmp_path):
    assert run("import", str(tmp_path / "nope.json")).exit_code == 2
    (tmp_path / "notes.txt").write_text("x")
    result = run("import", str(tmp_path / "notes.txt"))
    assert result.exit_code == 2 and "expected .json" in result.output


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


def test_ingest_hf_pulls_each_day_from_the_api(database_url, shared_data, monkeypatch):
    days = {
        "2025-10-17": (shared_data / "fixtures/hf_daily_papers/daily_papers_2025-10-17.json"),
        "2025-10-18": None,  # a Saturday: no papers
    }

    def answer(request):
        if request.path != "/api/daily_papers":
            return Reply(404)
        source = days.get(request.query["date"])
        return Reply(200, source.read_bytes() if source else b"[]")

    with serving(answer) as (url, log):
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-18")
        again = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
    assert result.exit_code == 0, result.output
    assert "2 day(s)" in result.output and "35 added" in result.output
    assert "0 added" in again.output and "35 unchanged" in again.output
    assert [request.query["date"] for request in log] == ["2025-10-17", "2025-10-18", "2025-10-17"]
    assert log[0].headers["User-Agent"].startswith("dailypapers/")
    assert count_papers(database_url) == 35


def test_ingest_hf_reports_an_unreachable_api(database_url, monkeypatch):
    with serving(lambda request: Reply(403, b"denied")) as (url, _):
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
    assert result.exit_code == 1
    assert "answered 403" in result.output


def test_ingest_hf_refuses_a_backwards_range(database_url):
    result = run("ingest", "hf", "--since", "2025-10-18", "--until", "2025-10-17")
    assert result.exit_code == 2 and "is after --until" in result.output


def test_the_console_script_is_installed(tmp_path):
    executable = Path(sys.executable).with_name("dailypapers")
    result = subprocess.run(
        [str(executable), "settings"], capture_output=True, text=True, check=True
    )
    assert "DAILYPAPERS_DATABASE_URL" in result.stdout
