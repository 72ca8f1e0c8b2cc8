"""Names, addresses, passwords, who may submit, comment threads and the rate-limit arithmetic."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dailypapers.domain.accounts import (
    Role,
    SubmitPolicy,
    User,
    may_submit,
    normalize_email,
    validate_name,
    validate_password,
)
from dailypapers.domain.community import Comment, thread_comments
from dailypapers.domain.papers import Paper, merge_paper
from dailypapers.domain.rate_limits import (
    DEFAULT_LIMITS,
    Action,
    RateLimit,
    Scope,
    estimate,
    parse_rate_limits,
    retry_after,
    window_start,
)

T0 = datetime(2026, 8, 22, tzinfo=UTC)
ADA = User(1, "ada", "Ada", "ada@example.org", Role.MEMBER, T0)


@pytest.mark.parametrize("name", ["ada", "Ada-Lovelace", "a_1", "x" * 39])
def test_valid_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name", ["a", "-ada", "ada lovelace", "<script>", "ada'; --", "x" * 40, "admin", "ADMIN", ""]
)
def test_names_with_anything_else_are_refused(name):
    with pytest.raises(ValueError):
        validate_name(name)


def test_emails_are_trimmed_and_lowercased_and_must_look_like_addresses():
    assert normalize_email("  Ada@Example.ORG ") == "ada@example.org"
    for bad in ("ada", "ada@", "@example.org", "a b@example.org", "ada@example"):
        with pytest.raises(ValueError):
            normalize_email(bad)


def test_passwords_need_ten_characters():
    with pytest.raises(ValueError, match="at least 10"):
        validate_password("short")
    assert validate_password("long enough") == "long enough"


def test_who_may_submit_follows_the_policy():
    admin = replace(ADA, role=Role.ADMIN)
    banned = replace(ADA, banned_at=T0)
    assert may_submit(ADA, SubmitPolicy.SIGNED_IN, organization_count=0)
    assert not may_submit(banned, SubmitPolicy.SIGNED_IN, organization_count=3)
    assert not may_submit(ADA, SubmitPolicy.MEMBERS, organization_count=0)
    assert may_submit(ADA, SubmitPolicy.MEMBERS, organization_count=1)
    assert not may_submit(ADA, SubmitPolicy.ADMINS, organization_count=5)
    assert may_submit(admin, SubmitPolicy.ADMINS, organization_count=0)


def comment(id, parent=None, minutes=0, **flags):
    return Comment(
        id, "p", 1, "ada", "", f"c{id}", T0 + timedelta(minutes=minutes), parent, **flags
    )


def test_threads_are_one_level_deep_and_oldest_first():
    threads = thread_comments(
        [comment(3, 1, 5), comment(1), comment(2, minutes=1), comment(4, 1, 2)]
    )
    assert [t.comment.id for t in threads] == [1, 2]
    assert [r.id for r in threads[0].replies] == [4, 3]


def test_a_deleted_comment_stays_only_while_it_has_replies_and_a_hidden_one_stays():
    threads = thread_comments(
        [comment(1, deleted=True), comment(2, 1), comment(3, hidden=True), comment(5, deleted=True)]
    )
    assert [t.comment.id for t in threads] == [1, 3]


def test_imports_and_local_votes_never_clobber_each_other():
    stored = Paper("p", "T", "", (), upvotes=15, local_upvotes=5, num_comments=3, local_comments=1)
    # 10 imported and 5 cast here; an older import with 8 changes nothing.
    merged = merge_paper(stored, Paper("p", "T", "", (), upvotes=8, num_comments=1))
    assert (merged.upvotes, merged.local_upvotes) == (15, 5)
    merged = merge_paper(stored, Paper("p", "T", "", (), upvotes=30, num_comments=9))
    assert (merged.upvotes, merged.imported_upvotes, merged.local_upvotes) == (35, 30, 5)
    assert (merged.num_comments, merged.local_comments) == (10, 1)


def test_rate_limit_overrides_are_parsed_and_checked():
    limits = parse_rate_limits("signin.ip=100/60, vote.account=0, signin.account_ip=5/60")
    assert limits[(Action.SIGNIN, Scope.IP)] == RateLimit(100, 60)
    assert limits[(Action.VOTE, Scope.ACCOUNT)].count == 0
    assert limits[(Action.SIGNUP, Scope.IP)] == DEFAULT_LIMITS[(Action.SIGNUP, Scope.IP)]
    assert limits[(Action.SIGNIN, Scope.ACCOUNT_IP)] == RateLimit(5, 60)
    bad_ones = ("login.ip=1/1", "vote.account_ip=1/1", "vote.ip=many", "vote.ip=1/0", "vote=1/1")
    for bad in (*bad_ones, "vote.ip=-1/5"):
        with pytest.raises(ValueError, match="bad rate limit"):
            parse_rate_limits(bad)


def test_the_sliding_window_weighs_the_previous_window_by_its_overlap():
    assert window_start(125.0, 60) == 120
    assert estimate(previous=10, current=2, elapsed=15, seconds=60) == pytest.approx(9.5)
    assert estimate(previous=10, current=2, elapsed=60, seconds=60) == 2


def test_retry_after_is_when_one_more_action_fits():
    limit = RateLimit(10, 60)
    # Over only because of the previous window: wait until enough of it slid out.
    wait = retry_after(limit=limit, previous=20, current=5, elapsed=0)
    assert estimate(previous=20, current=5, elapsed=wait, seconds=60) <= 9
    assert estimate(previous=20, current=5, elapsed=wait - 1, seconds=60) > 9
    # This window alone is over: wait into the next one.
    wait = retry_after(limit=limit, previous=0, current=12, elapsed=30)
    assert wait == 30 + 15  # 12 * (1 - 15/60) = 9 fits
    # A limit of one: the current window must slide out entirely.
    assert retry_after(limit=RateLimit(1, 60), previous=0, current=1, elapsed=10) == 110
