"""The trending formula and the sort orders."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from dailypapers.domain.ranking import (
    AGE_OFFSET_HOURS,
    COMMENT_WEIGHT,
    GRAVITY,
    Rankable,
    SortMode,
    age_in_hours,
    rank,
    top_ranked,
    trending_score,
)

NOW = datetime(2025, 10, 17, 18, 0, tzinfo=UTC)


def featured(paper_id, upvotes, hours_ago, comments=0):
    return Rankable(paper_id, upvotes, comments, NOW - timedelta(hours=hours_ago))


def test_score_is_the_documented_formula():
    score = trending_score(upvotes=20, num_comments=4, age_hours=10)
    assert score == pytest.approx((20 + COMMENT_WEIGHT * 4) / (10 + AGE_OFFSET_HOURS) ** GRAVITY)


def test_more_attention_scores_higher_and_age_decays():
    assert trending_score(upvotes=10, num_comments=0, age_hours=5) > trending_score(
        upvotes=9, num_comments=0, age_hours=5
    )
    assert trending_score(upvotes=10, num_comments=2, age_hours=5) > trending_score(
        upvotes=10, num_comments=0, age_hours=5
    )
    assert trending_score(upvotes=10, num_comments=0, age_hours=5) > trending_score(
        upvotes=10, num_comments=0, age_hours=50
    )


def test_future_features_count_as_brand_new():
    assert age_in_hours(NOW + timedelta(hours=3), NOW) == 0
    assert trending_score(upvotes=3, num_comments=0, age_hours=-5) == trending_score(
        upvotes=3, num_comments=0, age_hours=0
    )


def test_trending_prefers_a_fresh_paper_over_an_old_one_with_a_few_more_votes():
    old, fresh = featured("old", 60, hours_ago=46), featured("fresh", 20, hours_ago=10, comments=4)
    assert [item.paper_id for item in rank([old, fresh], sort=SortMode.TRENDING, now=NOW)] == [
        "fresh",
        "old",
    ]
    assert [item.paper_id for item in rank([old, fresh], sort=SortMode.UPVOTES, now=NOW)] == [
        "old",
        "fresh",
    ]


def test_newest_orders_by_featured_time_then_id():
    items = [featured("b", 1, 5), featured("a", 9, 5), featured("c", 0, 1)]
    assert [i.paper_id for i in rank(items, sort=SortMode.NEWEST, now=NOW)] == ["c", "a", "b"]


def test_ties_go_to_the_newer_then_the_lower_id():
    items = [featured("2", 5, 3), featured("1", 5, 3), featured("0", 5, 8)]
    assert [i.paper_id for i in rank(items, sort=SortMode.UPVOTES, now=NOW)] == ["1", "2", "0"]


def test_sort_mode_names_match_the_query_values():
    assert [mode.value for mode in SortMode] == ["trending", "upvotes", "newest"]


@pytest.mark.parametrize("sort", list(SortMode))
def test_the_top_of_a_ranking_is_the_ranking_cut_short(sort):
    # Few distinct counts and times, so that ties on every part of the order abound.
    draw = random.Random(7)
    items = [
        Rankable(
            f"2501.{number:05d}",
            draw.choice([0, 1, 2, 5]),
            draw.choice([0, 2]),
            NOW - timedelta(hours=draw.choice([0, 1, 30])),
        )
        for number in draw.sample(range(100_000), 300)
    ]
    ranked = rank(items, sort=sort, now=NOW)
    for count in (1, 7, 50, 299, 300, 400):
        # a generator: read once, as a listing reads its rows
        top = top_ranked((item for item in items), sort=sort, now=NOW, count=count)
        assert top == ranked[:count]
