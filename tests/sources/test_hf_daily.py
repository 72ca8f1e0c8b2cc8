"""Parsing real Hugging Face daily_papers responses, archive quirks included."""

import json
from datetime import UTC, date, datetime

import pytest

from dailypapers.domain.papers import PaperRecord
from dailypapers.sources.hf_daily import parse_daily_papers
from dailypapers.sources.records import InvalidRecord


def parse(data, **kwargs):
    return list(parse_daily_papers(data, **kwargs))


@pytest.fixture
def fixtures(shared_data):
    return shared_data / "fixtures" / "hf_daily_papers"


def test_newest_schema_gives_every_field(fixtures):
    records = parse((fixtures / "daily_papers_2025-10-17.json").read_bytes())
    assert len(records) == 35
    assert all(isinstance(record, PaperRecord) for record in records)
    first = records[0]
    assert first.paper.id == "2510.14545"
    assert first.paper.title == "Agentic Entropy-Balanced Policy Optimization"
    assert first.paper.abstract.startswith("Recently, Agentic Reinforcement Learning")
    assert "\n" not in first.paper.abstract  # hard wraps joined
    assert first.paper.authors[:2] == ("Guanting Dong", "Licheng Bao")
    assert len(first.paper.authors) == 14
    assert (first.paper.upvotes, first.paper.num_comments) == (61, 2)
    assert first.paper.github_repo == "https://github.com/RUC-NLPIR/ARPO/blob/main/"
    assert first.paper.github_stars == 663
    assert "AEPO" in first.paper.ai_keywords
    assert first.paper.published_at == datetime(2025, 10, 16, 10, 40, 52, tzinfo=UTC)
    assert first.entry is not None
    assert first.entry.day == date(2025, 10, 17)
    assert first.entry.submitted_by == "dongguanting"
    assert first.organization is not None
    assert (first.organization.name, first.organization.fullname) == (
        "RUC",
        "Renmin University of China",
    )
    assert first.entry.organization == "RUC"
    assert sum(record.organization is not None for record in records) == 30


def test_old_schema_is_dated_by_the_day_asked_for(fixtures):
    records = parse((fixtures / "daily_papers_2024-05-27.json").read_bytes(), day=date(2024, 5, 27))
    assert len(records) == 13
    record = records[0]
    assert record.paper.id == "2405.15738"
    assert record.paper.title == (
        "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    )
    assert record.entry.day == date(2024, 5, 27)
    assert record.entry.featured_at == datetime(2024, 5, 27, 3, 50, 58, 348000, tzinfo=UTC)
    assert record.organization is None


def test_python_repr_quirk(fixtures):
    records = parse((fixtures / "archiver_quirk_python_repr_2024-12-11.json").read_bytes())
    assert len(records) == 26
    assert all(isinstance(record, PaperRecord) for record in records)
    assert records[0].paper.id == "2412.07730"
    assert records[0].entry.day == date(2024, 12, 11)


def test_wrapped_quirk_takes_its_day_from_the_wrapper(fixtures):
    records = parse((fixtures / "archiver_quirk_wrapped_2025-01-10.json").read_bytes())
    assert len(records) == 9
    assert records[0].paper.id == "2501.05441"
    assert {record.entry.day for record in records} == {date(2025, 1, 10)}


def test_wrapped_data_may_be_a_json_string():
    entry = {"paper": {"id": "2501.00001", "title": "T", "summary": "S", "authors": []}}
    wrapped = {"status": "success", "date": "2025-01-10", "data": json.dumps([entry])}
    (record,) = parse(json.dumps(wrapped).encode())
    assert record.entry.day == date(2025, 1, 10)


@pytest.mark.parametrize(
    ("entry", "field", "reason"),
    [
        ({"title": "x"}, "paper", "missing"),
        ({"paper": {"title": "T", "summary": "S"}}, "paper.id", "missing"),
        (
            {"paper": {"id": "nonsense", "title": "T", "summary": "S"}},
            "paper.id",
            "not an arXiv id",
        ),
        ({"paper": {"id": "2501.00001", "summary": "S"}}, "paper.title", "missing"),
        ({"paper": {"id": "2501.00001", "title": "T"}}, "paper.summary", "missing"),
        (
            {"paper": {"id": "2501.00001", "title": "T", "summary": "S", "upvotes": "many"}},
            "paper.upvotes",
            "expected int",
        ),
        (
            {"paper": {"id": "2501.00001", "title": "T", "summary": "S", "authors": [{"x": 1}]}},
            "paper.authors[0].name",
            "missing",
        ),
        (
            {
                "paper": {
                    "id": "2501.00001",
                    "title": "T",
                    "summary": "S",
                    "submittedOnDailyAt": "yesterday",
                }
            },
            "paper.submittedOnDailyAt",
            "ISO 8601",
        ),
    ],
)
def test_bad_entries_name_the_entry_and_field(entry, field, reason):
    good = {"paper": {"id": "2501.00002", "title": "T", "summary": "S"}}
    records = parse(json.dumps([good, entry]).encode())
    assert isinstance(records[0], PaperRecord)
    problem = records[1]
    assert isinstance(problem, InvalidRecord)
    assert problem.location == "entry 1"
    assert problem.field == field
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"{not json", "not JSON"), (b'{"a": 1}', "JSON array"), (b"42", "JSON array")],
)
def test_a_file_that_is_not_a_response_is_one_problem(data, reason):
    (problem,) = parse(data)
    assert problem.location == "file"
    assert reason in problem.reason
