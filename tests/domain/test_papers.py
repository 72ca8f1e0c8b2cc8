"""Merging a stored paper with a newly imported copy."""

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime

from dailypapers.domain.papers import DailyEntry, Paper, merge_entry, merge_paper
from dailypapers.domain.text import clean_abstract, clean_title, excerpt

BASE = Paper(
    id="2510.14545",
    title="Old title",
    abstract="Old abstract",
    authors=("A",),
    version=1,
    published_at=datetime(2025, 10, 16, tzinfo=UTC),
    github_repo="https://github.com/x/y",
    upvotes=10,
    num_comments=2,
)


def test_a_new_paper_is_taken_as_is():
    assert merge_paper(None, BASE) is BASE


def test_a_newer_version_replaces_the_metadata_but_counts_only_grow():
    v2 = replace(
        BASE, title="New title", authors=("A", "B"), version=2, upvotes=3, github_repo=None
    )
    merged = merge_paper(BASE, v2)
    assert (merged.title, merged.authors, merged.version) == ("New title", ("A", "B"), 2)
    assert merged.upvotes == 10  # a stale count never lowers the stored one
    assert merged.github_repo == "https://github.com/x/y"  # a gap does not erase a link


def test_an_unknown_version_never_overrides_a_known_one():
    unknown = replace(BASE, title="From a listing", version=0, upvotes=25, num_comments=7)
    merged = merge_paper(BASE, unknown)
    assert merged.title == "Old title"
    assert (merged.upvotes, merged.num_comments) == (25, 7)


def test_merging_is_order_independent_for_counts_and_dates():
    later = replace(BASE, upvotes=30, published_at=datetime(2025, 10, 17, tzinfo=UTC))
    assert merge_paper(BASE, later) == merge_paper(later, BASE)


def test_the_first_featured_day_is_kept():
    first = DailyEntry("x", date(2025, 1, 2), datetime(2025, 1, 2, tzinfo=UTC))
    second = DailyEntry("x", date(2025, 1, 9), datetime(2025, 1, 9, tzinfo=UTC), "ak", "org")
    merged = merge_entry(first, second)
    assert merged.day == date(2025, 1, 2)
    assert (merged.submitted_by, merged.organization) == ("ak", "org")


def test_text_cleaning():
    assert (
        clean_title("ConvLLaVA: Hierarchical\n  Backbones ") == "ConvLLaVA: Hierarchical Backbones"
    )
    assert (
        clean_abstract("line one\nline two\n\n second  para") == "line one line two\n\nsecond para"
    )
    assert excerpt("word " * 100, 30).endswith("…")
    assert len(excerpt("word " * 100, 30)) <= 31
    assert excerpt("short", 30) == "short"
    assert clean_title("nul\x00 inside") == "nul inside"  # PostgreSQL refuses NUL in text
    assert clean_title(r"AutoCoder with \textsc{AIEV-Instruct}") == "AutoCoder with AIEV-Instruct"
    assert clean_title(r"Costs of $\mathcal{O}(n)$") == r"Costs of $\mathcal{O}(n)$"
    assert clean_abstract("a\x00b") == "ab"


def test_an_excerpt_is_cut_from_the_text_with_every_run_of_spaces_squeezed():
    words = ["Graph", "neural,", "networks;", "scale.", "x" * 40]
    spaces = [" ", "  ", "\n", "\t\n ", "\u00a0", "\u3000", "\x1c", " " * 900]
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randrange(200)))
        text = rng.choice(spaces) + text
        for limit in (5, 30, 280):
            flat = re.sub(r"\s+", " ", text).strip()  # the whole text, squeezed
            if len(flat) <= limit:
                assert excerpt(text, limit) == flat
            else:
                cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
                assert excerpt(text, limit) == cut + "…"
