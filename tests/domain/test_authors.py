"""Folding author names for matching, and what a member's follows match."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dailypapers.domain.authors import family_name, normalize_author_name, paper_authors
from dailypapers.domain.follows import Follow, FollowKind, follow_target, papers_followed
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Paper


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Łukasz Kaiser", "lukasz kaiser"),
        ("Lukasz  KAISER", "lukasz kaiser"),
        ("José Hernández-Orallo", "jose hernandez orallo"),
        ("Søren Hauberg", "soren hauberg"),
        ("Jürgen Schmidhuber", "jurgen schmidhuber"),
        ("Y. LeCun", "y lecun"),
        ("Sean O’Brien", "sean obrien"),
        ("王小明", "王小明"),  # other scripts are kept, not transliterated
        ("  ", ""),
    ],
)
def test_names_fold_accents_case_and_punctuation(written: str, folded: str) -> None:
    assert normalize_author_name(written) == folded


def test_the_family_name_skips_generational_suffixes() -> None:
    assert family_name("martin luther king jr") == "king"
    assert family_name("lecun") == "lecun"
    assert family_name("") == ""


def test_index_rows_keep_order_and_leave_out_empty_names() -> None:
    rows = paper_authors("2401.00001", ("Ada Lovelace", "—", "Łukasz Kaiser"))
    assert [(r.position, r.normalized, r.family) for r in rows] == [
        (0, "ada lovelace", "lovelace"),
        (2, "lukasz kaiser", "kaiser"),
    ]


def test_follow_targets_are_checked_and_keyed() -> None:
    assert follow_target(FollowKind.AUTHOR, " Łukasz  Kaiser ").key == "lukasz kaiser"
    assert follow_target(FollowKind.CATEGORY, "cs.CL").key == "cs.CL"
    assert follow_target(FollowKind.SEARCH, "diffusion cat:cs.CV").reason == (
        "matches your search: diffusion cat:cs.CV"
    )
    for kind, bad in [
        (FollowKind.CATEGORY, "not a category!"),
        (FollowKind.SEARCH, "after:someday"),
        (FollowKind.AUTHOR, "..."),
        (FollowKind.AUTHOR, ""),
    ]:
        with pytest.raises(ValueError):
            follow_target(kind, bad)


def test_papers_followed_match_each_kind_in_the_papers_order() -> None:
    day, at = date(2025, 10, 17), datetime(2025, 10, 17, tzinfo=UTC)

    def featured(paper_id: str, authors: tuple[str, ...], category: str, org: str | None):
        paper = Paper(paper_id, "T", "A", authors, categories=(category,))
        return FeaturedPaper(paper, DailyEntry(paper_id, day, at, organization=org))

    papers = [
        featured("1", ("Lukasz KAISER",), "cs.LG", None),
        featured("2", ("Ada Lovelace",), "cs.CL", None),
        featured("3", ("Grace Hopper",), "math.AG", "meta"),
        featured("4", ("Alan Turing",), "cs.AI", None),
        featured("5", ("Nobody",), "cs.CV", None),
    ]
    follows = [
        follow_target(FollowKind.SEARCH, "turing"),
        Follow(FollowKind.ORGANIZATION, "meta", "Meta"),
        follow_target(FollowKind.CATEGORY, "cs.CL"),
        follow_target(FollowKind.AUTHOR, "Łukasz Kaiser"),
    ]
    searched = {"turing": ["4"]}
    assert papers_followed(follows, papers, searched.__getitem__) == ["1", "2", "3", "4"]
    assert papers_followed(follows[:3], papers, searched.__getitem__) == ["2", "3", "4"]
    assert papers_followed([], papers, searched.__getitem__) == []
