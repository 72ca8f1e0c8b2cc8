"""Bounds on one paper's record: each names the field and the bound it broke."""

from datetime import UTC, date, datetime

import pytest

from dailypapers.domain.paper_checks import MAX_AUTHORS, InvalidPaper, check_record
from dailypapers.domain.papers import DailyEntry, Organization, Paper, PaperRecord


def _record(**fields: object) -> PaperRecord:
    values: dict = {"title": "T", "abstract": "A", "authors": ("A",), **fields}
    return PaperRecord(Paper(id="2510.00001", **values))


def test_a_real_sized_record_passes_unchanged():
    record = _record(authors=tuple(f"Author {n}" for n in range(MAX_AUTHORS)), upvotes=10**9)
    assert check_record(record) is record


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        (_record(title="t" * 1_001), "title", "1,001 characters"),
        (_record(abstract="caf\udce9"), "abstract", "lone surrogate U+DCE9 at character 3"),
        (_record(authors=("ok", "n" * 1_001)), "authors[1]", "more than the 1,000 allowed"),
        (_record(authors=("a",) * (MAX_AUTHORS + 1)), "authors", "10,001 of them"),
        (_record(upvotes=2**63), "upvotes", "not a count"),
        (_record(num_comments=-1), "num_comments", "-1 is not a count"),
        (_record(version=10**6), "version", "not a count"),
        (_record(categories=("c" * 301,)), "categories[0]", "301 characters"),
    ],
)
def test_a_record_past_a_bound_names_field_and_bound(record, field, reason):
    with pytest.raises(InvalidPaper) as raised:
        check_record(record)
    assert raised.value.field == field and reason in raised.value.reason


def test_organization_and_submitter_are_checked_too():
    paper = _record().paper
    with pytest.raises(InvalidPaper, match=r"organization\.name"):
        check_record(PaperRecord(paper, organization=Organization("\ud800", "X")))
    day = date(2025, 10, 17)
    entry = DailyEntry(paper.id, day, datetime(2025, 10, 17, tzinfo=UTC), submitted_by="s" * 301)
    with pytest.raises(InvalidPaper, match="submitted_by"):
        check_record(PaperRecord(paper, entry))
