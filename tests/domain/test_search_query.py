"""The query syntax: words, phrases, exclusions, filters, ids; odd input is never an error."""

from datetime import date

import pytest

from dailypapers.domain.search_query import (
    MAX_RANKED_TERMS,
    QueryError,
    SearchFilters,
    normalize_title,
    parse_query,
)


def test_plain_words_become_ranked_terms_without_stopwords():
    query = parse_query("The diffusion Transformers for video")
    assert query.terms == ("diffusion", "transformers", "video")
    assert query.text == "The diffusion Transformers for video"
    assert not query.phrases and not query.excluded and not query.filters


def test_phrases_exclusions_and_every_filter():
    query = parse_query(
        '"flow matching" -survey -"state space" author:"Yann LeCun" cat:cs.CL cat:cs.LG'
        " org:meta after:2024-06 before:2025 has:code"
    )
    assert query.phrases == ("flow matching",)
    assert query.excluded == ("survey", "state space")
    assert query.terms == ("flow", "matching")
    assert query.filters == SearchFilters(
        authors=("Yann LeCun",),
        categories=("cs.CL", "cs.LG"),
        organizations=("meta",),
        after=date(2024, 6, 1),
        before=date(2025, 1, 1),
        has_code=True,
    )
    assert query.text == "flow matching"


@pytest.mark.parametrize(
    "text",
    [
        "2510.14545",
        "arXiv:2510.14545v2",
        "https://arxiv.org/abs/2510.14545",
        "arxiv.org/pdf/2510.14545v1.pdf",
    ],
)
def test_an_arxiv_id_or_url_names_the_paper(text):
    assert parse_query(f"  {text} ").arxiv_id == "2510.14545"


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"unterminated phrase',
        "NEAR(a b)",
        "*",
        "-",
        "--",
        "a OR b AND NOT c",
        "foo:bar",
        "'; DROP TABLE papers; --",
        "%s ? $1",
        "\x00",
        "🚀 数学",
        "a" * 5000,
        "author:",
        'author:""',
    ],
)
def test_odd_input_parses_without_error(text):
    query = parse_query(text)
    assert len(query.raw) <= 4000
    assert all(term.strip() for term in query.terms)


def test_unknown_fields_count_as_words_and_filters_alone_rank_nothing():
    assert parse_query("foo:bar").terms == ("foo", "bar")
    only_filters = parse_query("cat:cs.CL has:code")
    assert only_filters.is_empty and only_filters.filters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("after:yesterday", "after:"),
        ("before:2024-13", "before:"),
        ("has:data", "has:"),
        ("cat:not/a/category", "cat:"),
    ],
)
def test_a_filter_that_cannot_be_read_is_a_clear_error(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_long_queries_rank_a_bounded_number_of_terms():
    text = " ".join(f"word{i}" for i in range(500))
    assert len(parse_query(text).terms) == MAX_RANKED_TERMS


def test_form_filters_merge_with_typed_ones():
    typed = parse_query("agents after:2024 cat:cs.CL")
    merged = typed.with_filters(SearchFilters(categories=("cs.AI",), after=date(2025, 3, 1)))
    assert merged.filters.categories == ("cs.CL", "cs.AI")
    assert merged.filters.after == date(2025, 3, 1)  # the later bound is the stricter one


def test_highlight_terms_include_phrase_words():
    assert parse_query('"Flow Matching" -survey').highlight_terms == ("flow", "matching")


def test_titles_compare_without_case_spaces_or_final_period():
    assert normalize_title("  Attention Is  All You Need. ") == "attention is all you need"
