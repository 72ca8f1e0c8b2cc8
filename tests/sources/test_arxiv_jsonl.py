"""Parsing JSON Lines of arXiv metadata: daily listings, the Kaggle snapshot, HF lines."""

import gzip
import json
from datetime import UTC, date, datetime
from itertools import islice

from dailypapers.domain.papers import PaperRecord
from dailypapers.sources.arxiv_jsonl import parse_jsonl
from dailypapers.sources.records import InvalidRecord

# One line in the Kaggle arXiv snapshot's format (arXiv's first paper, metadata is CC0).
KAGGLE_LINE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": (
        "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    ),
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": (
        "  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n"
    ),
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", ""],
        ["Yuan", "C. -P.", ""],
    ],
}


def test_daily_listing_lines_are_featured_on_their_listing_day(shared_data):
    path = shared_data / "arxiv_daily" / "arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz"
    with gzip.open(path, "rb") as lines:
        records = list(islice(parse_jsonl(lines), 200))
    assert all(isinstance(record, PaperRecord) for record in records)
    first = records[0]
    assert first.paper.id == "2503.11731"
    assert first.paper.categories[:2] == ("cs.CV", "cs.RO")
    assert len(first.paper.authors) == 16
    assert first.paper.title.startswith("Industrial-Grade Sensor Simulation")
    assert first.entry.day == date(2025, 3, 18)
    assert records[1].paper.authors[0] == "Moreno D'Incà"


def test_raw_daily_file_takes_the_day_from_the_caller(shared_data):
    path = shared_data / "arxiv_daily" / "raw_sample" / "2026-07-01.jsonl"
    with path.open("rb") as lines:
        records = list(parse_jsonl(lines, day=date(2026, 7, 1)))
    assert len(records) == 371
    assert {record.entry.day for record in records} == {date(2026, 7, 1)}


def test_without_a_day_a_listing_line_is_stored_but_not_featured():
    line = {"id": "2606.30776", "title": "T", "summary": "S", "authors": ["A"]}
    (record,) = parse_jsonl([json.dumps(line)])
    assert record.entry is None


def test_kaggle_snapshot_line():
    (record,) = parse_jsonl([json.dumps(KAGGLE_LINE)])
    paper = record.paper
    assert paper.id == "0704.0001"
    assert paper.version == 2
    assert paper.title.endswith("at Tevatron and LHC energies")
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert paper.categories == ("hep-ph",)
    assert paper.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert paper.updated_at == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert paper.arxiv_comment == "37 pages, 15 figures; published version"
    assert record.entry.day == date(2007, 4, 2)


def test_kaggle_line_without_parsed_authors_splits_the_string():
    line = dict(KAGGLE_LINE, authors_parsed=None, authors="A. One, B. Two and C. Three")
    (record,) = parse_jsonl([json.dumps(line)])
    assert record.paper.authors == ("A. One", "B. Two", "C. Three")


def test_old_style_ids_in_the_snapshot():
    line = dict(KAGGLE_LINE, id="hep-th/9901001")
    (record,) = parse_jsonl([json.dumps(line)])
    assert record.paper.id == "hep-th/9901001"


def test_hugging_face_lines_with_their_archive_day(shared_data):
    path = shared_data / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
    with gzip.open(path, "rb") as lines:
        records = list(islice(parse_jsonl(lines), 50))
    assert all(isinstance(record, PaperRecord) for record in records)
    assert records[0].entry.day == date(2024, 5, 27)


def test_bad_lines_name_the_line_and_field():
    lines = [
        json.dumps({"id": "2501.00001", "title": "T", "summary": "S", "authors": ["A"]}),
        "",
        "{broken",
        json.dumps({"id": "2501.00002", "title": "T", "authors": ["A"]}),
        json.dumps({"id": "2501.00003", "title": "T", "summary": "S", "authors": "A, B"}),
        json.dumps(dict(KAGGLE_LINE, versions=[{"version": "v1"}])),
        json.dumps([1, 2]),
    ]
    results = list(parse_jsonl(lines))
    assert isinstance(results[0], PaperRecord)
    problems = [(r.location, r.field) for r in results if isinstance(r, InvalidRecord)]
    assert problems == [
        ("line 3", None),
        ("line 4", "summary"),
        ("line 5", "authors"),
        ("line 6", "versions[0].created"),
        ("line 7", None),
    ]
