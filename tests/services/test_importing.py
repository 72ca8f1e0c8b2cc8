"""Importing files: idempotent, atomic per file, and clear about bad records."""

import gzip
import json
from pathlib import Path

import pytest

from dailypapers.services.importing import (
    InvalidFile,
    find_importable_files,
    import_file,
)


def entry(paper_id, upvotes=1, title="A title", day="2025-10-17T08:00:00.000Z", **paper):
    return {
        "paper": {
            "id": paper_id,
            "title": title,
            "summary": "An abstract.",
            "authors": [{"name": "Ada Lovelace"}],
            "upvotes": upvotes,
            "submittedOnDailyAt": day,
            **paper,
        },
        "numComments": 0,
    }


def write(path: Path, entries) -> Path:
    path.write_text(json.dumps(entries))
    return path


def run_import(storage, path, **options):
    with storage.transaction():
        return import_file(storage=storage, path=path, **options)


def test_reimporting_the_same_files_changes_nothing(storage, shared_data):
    files = sorted((shared_data / "fixtures" / "hf_daily_papers").glob("*.json"))
    first = [run_import(storage, path) for path in files]
    count = storage.count_papers()
    assert count == sum(report.added for report in first) == 100
    again = [run_import(storage, path) for path in files]
    assert storage.count_papers() == count
    assert sum(report.added + report.updated for report in again) == 0
    assert sum(report.unchanged for report in again) == count


def test_newer_counts_update_the_row(storage, tmp_path):
    run_import(storage, write(tmp_path / "a.json", [entry("2510.00001", upvotes=3)]))
    report = run_import(storage, write(tmp_path / "b.json", [entry("2510.00001", upvotes=9)]))
    assert (report.added, report.updated) == (0, 1)
    assert storage.get_papers(["2510.00001"])["2510.00001"].upvotes == 9
    stale = run_import(storage, write(tmp_path / "c.json", [entry("2510.00001", upvotes=2)]))
    assert stale.unchanged == 1
    assert storage.get_papers(["2510.00001"])["2510.00001"].upvotes == 9


def test_a_newer_version_updates_title_and_keeps_the_featured_day(storage, tmp_path):
    run_import(storage, write(tmp_path / "a.json", [entry("2510.00001v1", title="First")]))
    later = entry("2510.00001v2", title="Second", day="2025-11-02T08:00:00.000Z")
    run_import(storage, write(tmp_path / "b.json", [later]))
    paper = storage.get_papers(["2510.00001"])["2510.00001"]
    assert (paper.title, paper.version) == ("Second", 2)
    assert storage.get_entries(["2510.00001"])["2510.00001"].day.isoformat() == "2025-10-17"


def test_a_bad_record_rolls_back_the_whole_file(storage, tmp_path):
    path = write(tmp_path / "bad.json", [entry("2510.00001"), entry("2510.00002"), {"paper": {}}])
    with pytest.raises(InvalidFile) as raised:
        run_import(storage, path)
    message = str(raised.value)
    assert str(path) in message and "entry 2" in message and "paper.id" in message
    assert storage.count_papers() == 0


def test_a_bad_record_in_a_later_batch_still_rolls_back_everything(storage, tmp_path):
    lines = [
        json.dumps(
            {
                "id": f"2510.{n:05d}",
                "title": "T",
                "summary": "S",
                "authors": ["A"],
                "listing_date": "2025-10-17",
            }
        )
        for n in range(2500)
    ]
    lines.append('{"id": "2510.99999", "title": "T", "authors": ["A"]}')
    path = tmp_path / "listing.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(InvalidFile, match="line 2501, field 'summary': missing"):
        run_import(storage, path)
    assert storage.count_papers() == 0


def test_skip_invalid_imports_the_rest_and_reports_each(storage, tmp_path):
    path = write(tmp_path / "mixed.json", [entry("2510.00001"), {"paper": {}}, entry("bad id")])
    report = run_import(storage, path, skip_invalid=True)
    assert report.added == 1
    assert [(p.location, p.field) for p in report.skipped] == [
        ("entry 1", "paper.id"),
        ("entry 2", "paper.id"),
    ]
    assert storage.count_papers() == 1


def test_skip_invalid_cannot_rescue_a_file_that_is_not_json(storage, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{oops")
    with pytest.raises(InvalidFile, match="file: not JSON"):
        run_import(storage, path, skip_invalid=True)


def test_the_file_name_dates_entries_that_do_not_say(storage, shared_data, tmp_path):
    source = shared_data / "fixtures" / "hf_daily_papers" / "daily_papers_2024-05-27.json"
    renamed = tmp_path / "2024-05-28.json"  # as in the archive: one file per day asked for
    renamed.write_bytes(source.read_bytes())
    run_import(storage, renamed)
    entries = storage.get_entries(["2405.15738"])
    assert entries["2405.15738"].day.isoformat() == "2024-05-28"


def test_finding_files_expands_folders_and_refuses_unknown_kinds(tmp_path):
    (tmp_path / "days").mkdir()
    for name in ("b.json", "a.jsonl.gz", "notes.txt"):
        (tmp_path / "days" / name).write_text("")
    found = find_importable_files([tmp_path / "days"])
    assert [path.name for path in found] == ["a.jsonl.gz", "b.json"]
    with pytest.raises(ValueError, match=r"expected \.json"):
        find_importable_files([tmp_path / "days" / "notes.txt"])
    with pytest.raises(FileNotFoundError, match="no such file"):
        find_importable_files([tmp_path / "missing.json"])


@pytest.mark.parametrize("name", ["day.json", "day.jsonl", "day.jsonl.gz", "day.json.gz"])
def test_reading_reports_every_byte_of_the_file_for_a_progress_bar(storage, tmp_path, name):
    lines = [json.dumps(entry(f"2510.{n:05d}")) for n in range(3000)]
    text = "\n".join(lines) if ".jsonl" in name else json.dumps([json.loads(x) for x in lines])
    data = gzip.compress(text.encode()) if name.endswith(".gz") else text.encode()
    path = tmp_path / name
    path.write_bytes(data)
    reads, batches = [], []

    report = run_import(storage, path, read=reads.append, progress=batches.append)

    assert report.added == 3000 and sum(batches) == 3000
    assert sum(reads) == len(data)
    if name.endswith(".jsonl.gz"):
        assert len(reads) > 2  # read as it goes, so the bar moves during the import


def _arxiv_listing(path: Path, *ids: str) -> Path:
    lines = [
        {
            "id": paper_id,
            "title": "A title",
            "summary": "An abstract.",
            "authors": ["Ada Lovelace"],
            "categories": ["cs.CV", "cs.LG"],
            "listing_date": "2025-10-16",
        }
        for paper_id in ids
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    return path


@pytest.mark.parametrize("arxiv_first", [True, False])
def test_arxiv_categories_reach_hugging_face_papers_in_either_order(storage, tmp_path, arxiv_first):
    hf = write(tmp_path / "hf.json", [entry("2510.00001", upvotes=7)])
    arxiv = _arxiv_listing(tmp_path / "arxiv.jsonl", "2510.00001")
    for path in (arxiv, hf) if arxiv_first else (hf, arxiv):
        run_import(storage, path)

    paper = storage.get_papers(["2510.00001"])["2510.00001"]
    assert paper.categories == ("cs.CV", "cs.LG") and paper.upvotes == 7


def test_an_update_only_import_fills_known_papers_and_adds_none(storage, tmp_path):
    run_import(storage, write(tmp_path / "hf.json", [entry("2510.00001", upvotes=7)]))
    arxiv = _arxiv_listing(tmp_path / "arxiv.jsonl", "2510.00001", "2510.00002", "2510.00003")

    report = run_import(storage, arxiv, only_known=True)

    assert (report.added, report.updated, report.not_here) == (0, 1, 2)
    assert "2 not on this site" in report.summary()
    assert storage.count_papers() == 1
    paper = storage.get_papers(["2510.00001"])["2510.00001"]
    assert paper.categories == ("cs.CV", "cs.LG") and paper.upvotes == 7
    # The featured day stays the Hugging Face one, not the arXiv listing's.
    assert storage.get_entries(["2510.00001"])["2510.00001"].day.isoformat() == "2025-10-17"
