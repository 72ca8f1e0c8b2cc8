"""`dailypapers import`: whole files or nothing, clear errors, idempotent."""

import json

from support.commands import count_papers, run


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
