"""Digest rules: which period a digest covers, what it holds, retries, tokens, addresses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dailypapers.domain.digests import (
    MAX_DIGEST_PAPERS,
    MAX_PER_TOPIC,
    index_period_papers,
    period_due,
    plan_digest,
)
from dailypapers.domain.outbox import MAX_RETRY_DELAY, retry_delay
from dailypapers.domain.papers import DailyEntry, FeaturedPaper, Organization, Paper
from dailypapers.domain.subscriptions import (
    Frequency,
    Preferences,
    Topics,
    normalize_email,
    parse_topics,
)
from dailypapers.domain.tokens import TokenPurpose, read_token, sign_token, token_is_valid

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("today", "day"),
    [
        ("2026-11-23", "2026-11-20"),  # Monday: Friday's papers
        ("2026-11-24", "2026-11-23"),
        ("2026-11-28", "2026-11-27"),  # Saturday (if scheduled): Friday's
        ("2026-11-29", "2026-11-27"),  # Sunday: Friday's
    ],
)
def test_a_daily_digest_covers_the_previous_weekday(today: str, day: str) -> None:
    period = period_due(Frequency.DAILY, date.fromisoformat(today))
    assert period.key == day


def test_a_weekly_digest_covers_the_previous_iso_week() -> None:
    assert period_due(Frequency.WEEKLY, date(2026, 11, 30)).key == "2026-W48"
    assert period_due(Frequency.WEEKLY, date(2027, 1, 4)).key == "2026-W53"


def featured(
    paper_id: str,
    *,
    categories: tuple[str, ...] = (),
    authors: tuple[str, ...] = ("Someone",),
    organization: Organization | None = None,
) -> FeaturedPaper:
    """Return a featured paper with these traits."""
    moment = datetime(2026, 11, 24, 12, tzinfo=UTC)
    entry = DailyEntry(paper_id, moment.date(), moment, None, organization and organization.name)
    return FeaturedPaper(
        Paper(paper_id, f"Title {paper_id}", "", authors, categories=categories),
        entry,
        organization,
    )


PAPERS = index_period_papers(
    [
        featured("p1", categories=("cs.CL",), authors=("Zoë Ångström",)),
        featured("p2", categories=("cs.LG", "stat.ML")),
        featured("p3", organization=Organization("openai", "OpenAI")),
        featured("p4", categories=("cs.CL",)),
        featured("p5", categories=("math.CO",), authors=("zoe  angstrom",)),
    ]
)


def plan(top: int, topics: Topics, sent: set[str] | None = None, **matches: list[str]) -> object:
    """Plan a digest over PAPERS."""
    return plan_digest(
        preferences=Preferences(Frequency.DAILY, top, topics),
        papers=PAPERS,
        already_sent=sent or set(),
        query_matches={query.replace("_", " "): ids for query, ids in matches.items()},
        trending_heading="Top",
    )


def test_the_top_papers_come_first_then_each_topic_without_repeats() -> None:
    result = plan(
        2,
        Topics(categories=("cs.CL", "cs"), authors=("ZOE ANGSTROM",), organizations=("openai",)),
    )

    assert [(s.heading, s.paper_ids) for s in result.sections] == [  # type: ignore[attr-defined]
        ("Top", ("p1", "p2")),
        ("In cs.CL", ("p4",)),
        ("By ZOE ANGSTROM", ("p5",)),
        ("From openai", ("p3",)),
    ]


def test_an_author_followed_without_accents_finds_the_accented_name() -> None:
    result = plan(0, Topics(authors=("zoe angstrom",)))

    # p1 is by "Zoë Ångström": only folding accents puts it beside p5's "zoe  angstrom".
    assert [(s.heading, s.paper_ids) for s in result.sections] == [  # type: ignore[attr-defined]
        ("By zoe angstrom", ("p1", "p5")),
    ]


def test_an_organization_is_followed_by_its_name_or_whole_words_of_its_full_name() -> None:
    papers = index_period_papers(
        [
            featured("p1", organization=Organization("facebook", "AI at Meta")),
            featured("p2", organization=Organization("metamorph", "Metamorph Labs")),
            featured("p3", organization=Organization("metaresearch", "Meta Research")),
            featured("p4", organization=Organization("udem", "Université de Montréal (UdeM)")),
        ]
    )
    names = ("meta", "AI at", "facebook", "Metamorph Labs", "labs", "morph", "ai meta")
    found = {name: papers.of_organization(name) for name in (*names, "montreal", "UdeM", "")}

    # As `org:` matches in a search; trending first, whichever organization.
    assert found == {
        "meta": ("p1", "p3"),
        "AI at": ("p1",),
        "facebook": ("p1",),
        "Metamorph Labs": ("p2",),
        "labs": ("p2",),
        "morph": (),
        "ai meta": (),
        "montreal": ("p4",),  # accents, case and punctuation aside
        "UdeM": ("p4",),
        "": (),
    }


def test_papers_already_sent_are_left_out_everywhere() -> None:
    result = plan(3, Topics(categories=("cs.CL",)), sent={"p1", "p4"})

    assert result.paper_ids == ("p2", "p3", "p5")  # type: ignore[attr-defined]


def test_an_archive_matches_all_its_categories_and_saved_searches_use_their_matches() -> None:
    result = plan(0, Topics(categories=("stat",), queries=("graph theory",)), graph_theory=["p5"])

    assert [(s.heading, s.paper_ids) for s in result.sections] == [  # type: ignore[attr-defined]
        ("In stat", ("p2",)),
        ("Matching “graph theory”", ("p5",)),
    ]


def test_nothing_matching_makes_an_empty_plan() -> None:
    assert not plan(0, Topics(categories=("astro-ph",)))


def test_a_digest_is_capped_per_topic_and_in_all() -> None:
    many = index_period_papers([featured(f"x{n:02d}", categories=("cs.CV",)) for n in range(80)])
    result = plan_digest(
        preferences=Preferences(Frequency.DAILY, 30, Topics(categories=("cs.CV",))),
        papers=many,
        already_sent=set(),
        query_matches={},
        trending_heading="Top",
    )

    assert len(result.paper_ids) == MAX_DIGEST_PAPERS
    small = plan_digest(
        preferences=Preferences(Frequency.DAILY, 0, Topics(categories=("cs.CV",))),
        papers=many,
        already_sent=set(),
        query_matches={},
        trending_heading="Top",
    )
    assert len(small.paper_ids) == MAX_PER_TOPIC


def test_retry_delays_double_and_stop_at_six_hours() -> None:
    first = timedelta(seconds=60)
    assert [retry_delay(n, first=first).total_seconds() for n in range(1, 5)] == [60, 120, 240, 480]
    assert retry_delay(1000, first=first) == MAX_RETRY_DELAY
    assert retry_delay(3, first=timedelta(days=365)) == MAX_RETRY_DELAY


def test_tokens_are_bound_to_purpose_address_key_subscription_and_time() -> None:
    started = datetime(2025, 10, 1, 9, 30, 0, 123456, tzinfo=UTC)
    token = sign_token(
        KEY,
        TokenPurpose.CONFIRM,
        subscriber_id=7,
        email="A@x.org",
        subscribed_at=started,
        expires=100,
    )
    claim = read_token(token)

    def valid(key=KEY, purpose=TokenPurpose.CONFIRM, email="a@x.org", at=started, now=0):
        assert claim is not None
        return token_is_valid(key, purpose, claim, email=email, subscribed_at=at, now=now)

    assert claim is not None and claim.subscriber_id == 7 and claim.expires == 100
    assert valid(now=99)
    assert not valid(now=100)
    assert not valid(purpose=TokenPurpose.MANAGE)
    assert not valid(email="b@x.org")
    assert not valid(key=b"o" * 32)
    assert not valid(at=started + timedelta(microseconds=1))  # a later subscription
    assert "x.org" not in token


@pytest.mark.parametrize(
    "text", ["", ".", "7", "7.", "x.AAAA", "7-.AAAA", "7.%%%%", "7." + "A" * 8]
)
def test_malformed_tokens_are_not_read(text: str) -> None:
    assert read_token(text) is None


def test_unusual_addresses_are_kept_and_domains_normalized() -> None:
    assert normalize_email("  o'neil+news@Example.ORG ") == "o'neil+news@example.org"
    assert normalize_email("a/b=c!#$%&*^_`{|}~@x.org") == "a/b=c!#$%&*^_`{|}~@x.org"
    assert normalize_email("Name@bücher.de") == "Name@xn--bcher-kva.de"


def test_topics_are_cleaned_and_checked() -> None:
    topics = parse_topics(
        categories=["cs.CL", " cs.CL ", "", "cs"], authors=["Ada  Lovelace", "ada lovelace"]
    )
    assert topics == Topics(categories=("cs.CL", "cs"), authors=("Ada Lovelace",))
    with pytest.raises(ValueError, match="arXiv category"):
        parse_topics(categories=["Machine Learning"])
    with pytest.raises(ValueError, match="at most 20"):
        parse_topics(authors=[f"Author {n}" for n in range(21)])
