"""arXiv ids in the forms people paste them."""

import pytest

from dailypapers.domain.arxiv_ids import ArxivId, is_arxiv_id, normalize_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.12345", ArxivId("2401.12345")),
        ("2401.12345v2", ArxivId("2401.12345", 2)),
        ("arXiv:2401.12345v2", ArxivId("2401.12345", 2)),
        ("  ARXIV:0704.0001 ", ArxivId("0704.0001")),
        ("https://arxiv.org/abs/2401.12345", ArxivId("2401.12345")),
        ("http://arxiv.org/abs/2401.12345v3", ArxivId("2401.12345", 3)),
        ("https://arxiv.org/pdf/2401.12345.pdf", ArxivId("2401.12345")),
        ("https://arxiv.org/pdf/2401.12345v1", ArxivId("2401.12345", 1)),
        ("https://export.arxiv.org/abs/2401.12345?context=cs", ArxivId("2401.12345")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.gt/0309136", ArxivId("math.GT/0309136")),
        ("https://arxiv.org/abs/astro-ph/0601001", ArxivId("astro-ph/0601001")),
    ],
)
def test_parses_the_forms_people_paste(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2401.123",
        "2401.1234567",
        "https://example.org/abs/2401.12345",
        "hep-th/99",
        "1234",
    ],
)
def test_refuses_what_is_not_an_id(text):
    with pytest.raises(ValueError, match="not an arXiv id"):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


def test_normalize_drops_version_and_prefix():
    assert normalize_arxiv_id("arXiv:2510.14545v3") == "2510.14545"
