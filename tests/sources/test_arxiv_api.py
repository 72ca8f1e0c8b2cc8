"""Parsing recorded arXiv API responses, current and legacy formats."""

import json
from datetime import UTC, date, datetime

import pytest

from dailypapers.domain.papers import PaperRecord
from dailypapers.sources.arxiv_api import ArxivApiError, parse_atom_page
from dailypapers.sources.records import InvalidRecord


@pytest.fixture
def recorded(shared_data):
    folder = shared_data / "fixtures" / "arxiv_api" / "recorded_2026"

    def body(prefix):
        (path,) = folder.glob(f"{prefix}_*.json")
        return json.loads(path.read_text())["body"].encode()

    return body


@pytest.fixture
def legacy(shared_data):
    return lambda name: (shared_data / "fixtures" / "arxiv_api" / "legacy_2021" / name).read_bytes()


def test_one_id(recorded):
    page = parse_atom_page(recorded("id_2104.12255v1"))
    assert (page.total, page.start) == (1, 0)
    (record,) = page.records
    paper = record.paper
    assert (paper.id, paper.version, paper.title) == ("2104.12255", 1, "0")
    assert paper.authors == ("Quan Thoi Minh Nguyen",)
    assert paper.categories == ("cs.CR",)
    assert paper.published_at == datetime(2021, 4, 20, 16, 7, 14, tzinfo=UTC)
    assert paper.abstract.startswith("What is the funniest number in cryptography?")
    assert record.entry.day == date(2021, 4, 21)  # submitted Tuesday noon Eastern
    assert not paper.withdrawn


def test_paging_reports_the_window(recorded):
    first, second = (
        parse_atom_page(recorded("q_testing_s0_m10")),
        parse_atom_page(recorded("q_testing_s10_m10")),
    )
    assert (first.start, second.start, first.total) == (0, 10, 214881)
    ids = [r.paper.id for r in first.records + second.records]
    assert len(ids) == len(set(ids)) == 20
    assert [r.paper.id for r in parse_atom_page(recorded("q_testing_s0_m100")).records[:20]] == ids


def test_old_style_id(recorded):
    (record,) = parse_atom_page(recorded("id_astro-ph_0601001")).records
    assert record.paper.id == "astro-ph/0601001"


def test_empty_result(recorded):
    page = parse_atom_page(recorded("id_0000.0000"))
    assert (page.records, page.total) == ([], 0)


def test_the_error_feed_raises_with_arxivs_message(recorded):
    with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
        parse_atom_page(recorded("id_abc"))


def test_legacy_format_with_primary_category_comment_and_journal(legacy):
    page = parse_atom_page(legacy("search_query_au_del_maestro.xml"))
    assert (page.total, len(page.records)) == (31, 10)
    paper = page.records[0].paper
    assert paper.id == "1201.4869"
    assert paper.categories == ("cond-mat.mes-hall", "cond-mat.other")
    assert paper.arxiv_comment == "26 pages, 10 figures"
    (checkerboard,) = parse_atom_page(
        legacy("search_query_au_del_maestro_AND_ti_checkerboard.xml")
    ).records
    assert checkerboard.paper.id == "cond-mat/0603029"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<feed><entry>", "malformed XML"),
        (b"<html><body>Service unavailable</body></html>", "expected an Atom feed"),
    ],
)
def test_what_is_not_a_feed_raises(body, message):
    with pytest.raises(ArxivApiError, match=message):
        parse_atom_page(body)


def test_an_entry_missing_a_field_is_named(recorded):
    body = recorded("id_2104.12255v1").replace(b"<title>0</title>", b"")
    (problem,) = parse_atom_page(body).records
    assert isinstance(problem, InvalidRecord)
    assert problem.field == "title"
    assert "2104.12255v1" in problem.location


def test_a_withdrawal_comment_marks_the_paper(recorded):
    body = recorded("id_2104.12255v1").replace(
        b"<arxiv:primary_category",
        b"<arxiv:comment>This paper has been withdrawn by the author</arxiv:comment>"
        b"<arxiv:primary_category",
    )
    (record,) = parse_atom_page(body).records
    assert isinstance(record, PaperRecord)
    assert record.paper.withdrawn
