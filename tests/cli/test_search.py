"""`dailypapers search`, `reindex` and `import --embed`, with the packaged model."""

from __future__ import annotations

import json

from support.commands import run


def test_import_embed_then_search_and_reindex(tmp_path, monkeypatch, shared_data):
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", f"sqlite:///{tmp_path / 'site.db'}")
    day = shared_data / "fixtures" / "hf_daily_papers" / "daily_papers_2025-10-17.json"
    imported = run("import", "--embed", str(day))
    assert imported.exit_code == 0, imported.output
    assert "embedded 35 paper(s)" in imported.output

    found = run("search", "Agentic", "Entropy-Balanced", "Policy", "Optimization", "--limit", "3")
    assert found.exit_code == 0
    assert found.stdout.splitlines()[0].split()[:2] == ["1.", "2510.14545"]
    assert "hybrid" in found.stderr

    as_json = run("search", "2510.14545", "--json", "--limit", "1")
    assert json.loads(as_json.stdout.splitlines()[0])["id"] == "2510.14545"

    bad = run("search", "after:someday")
    assert bad.exit_code == 2 and "after:" in bad.output

    again = run("reindex")
    assert again.exit_code == 0 and "embedded 0; 35 of 35 papers" in again.output
    assert "word index: 0 changed paper(s) taken" in again.output  # the searches took them
    full = run("reindex", "--full")
    assert "dropped 35 vectors" in full.output and "embedded 35; 35 of 35" in full.output
