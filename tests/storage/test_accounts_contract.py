"""The accounts and community storage contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from threading import Barrier

from dailypapers.domain.accounts import Role, User
from dailypapers.domain.community import ClaimStatus, MemberRole
from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.storage import Storage

NOW = datetime(2026, 8, 22, 12, tzinfo=UTC)
TRICKY = '\'; DROP TABLE users; -- 100% %s %(name)s ? $1 \\ "quoted" <b>'


def member(storage: Storage, name: str, **fields: object) -> User:
    """Insert a member named so, with an address of their own."""
    with storage.transaction():
        user = storage.create_user(
            username=name,
            fullname=str(fields.get("fullname", "")),
            email=f"{name.lower()}@example.org",
            password_hash="$argon2id$fake",
            role=Role(str(fields.get("role", "member"))),
            now=NOW,
        )
    assert user is not None
    return user


def featured(storage: Storage, paper_id: str, *, upvotes: int = 0, comments: int = 0) -> None:
    """Store a paper with imported counts, featured today."""
    with storage.transaction():
        storage.save_papers(
            [Paper(paper_id, "T", "A", ("Ada",), upvotes=upvotes, num_comments=comments)]
        )
        storage.save_entries([DailyEntry(paper_id, NOW.date(), NOW)])


def test_members_are_unique_by_name_ignoring_case_and_by_address(storage: Storage) -> None:
    ada = member(storage, "Ada", fullname=TRICKY)
    assert storage.find_user("ada") == ada == storage.get_user(ada.id)
    assert storage.find_user_by_email("ada@example.org") == ada
    assert ada.fullname == TRICKY and ada.created_at == NOW
    for name, email in (("ADA", "other@example.org"), ("grace", "ada@example.org")):
        with storage.transaction():
            taken = storage.create_user(
                username=name,
                fullname="",
                email=email,
                password_hash="h",
                role=Role.MEMBER,
                now=NOW,
            )
        assert taken is None
    storage.set_user_role(ada.id, Role.ADMIN)
    storage.set_password_hash(ada.id, "new")
    assert storage.get_user(ada.id).role is Role.ADMIN  # type: ignore[union-attr]
    assert storage.get_password_hash(ada.id) == "new"


def test_sessions_end_when_they_expire_are_deleted_or_the_member_is_banned(
    storage: Storage,
) -> None:
    ada = member(storage, "ada")
    storage.save_session(
        token_hash="h1", user_id=ada.id, created_at=NOW, expires_at=NOW + timedelta(days=1)
    )
    storage.save_session(
        token_hash="h2", user_id=ada.id, created_at=NOW, expires_at=NOW + timedelta(days=1)
    )
    assert storage.user_for_session("h1", now=NOW) == ada
    assert storage.user_for_session("h1", now=NOW + timedelta(days=2)) is None
    storage.delete_session("h1")
    assert storage.user_for_session("h1", now=NOW) is None
    storage.set_user_banned(ada.id, NOW)
    assert storage.user_for_session("h2", now=NOW) is None
    storage.set_user_banned(ada.id, None)
    assert storage.delete_user_sessions(ada.id) == 1
    assert storage.user_for_session("h2", now=NOW) is None


def test_access_tokens_are_found_by_digest_and_revoked_by_their_owner_only(
    storage: Storage,
) -> None:
    ada, grace = member(storage, "ada"), member(storage, "grace")
    token = storage.save_access_token(user_id=ada.id, name=TRICKY, token_hash="t", now=NOW)
    assert storage.user_for_access_token("t", now=NOW) == ada
    assert storage.list_access_tokens(ada.id)[0].last_used_at == NOW
    assert storage.list_access_tokens(ada.id)[0].name == TRICKY
    assert not storage.delete_access_token(user_id=grace.id, token_id=token.id)
    assert storage.delete_access_token(user_id=ada.id, token_id=token.id)
    assert storage.user_for_access_token("t", now=NOW) is None


def test_a_mailed_link_works_once_and_not_after_it_expires(storage: Storage) -> None:
    ada = member(storage, "ada")
    for token, expires in (("live", NOW + timedelta(hours=1)), ("old", NOW)):
        storage.save_mailed_link(
            token_hash=token,
            purpose="reset",
            user_id=ada.id,
            payload="{}",
            created_at=NOW,
            expires_at=expires,
        )
    assert storage.peek_mailed_link("live", purpose="signup", now=NOW) is None
    assert storage.peek_mailed_link("live", purpose="reset", now=NOW) == (ada.id, "{}")
    assert storage.take_mailed_link("live", purpose="reset", now=NOW) == (ada.id, "{}")
    assert storage.take_mailed_link("live", purpose="reset", now=NOW) is None
    assert storage.take_mailed_link("old", purpose="reset", now=NOW) is None


def test_one_vote_per_member_and_paper_counted_on_top_of_the_imported_count(
    storage: Storage,
) -> None:
    featured(storage, "2401.00001", upvotes=10)
    ada, grace = member(storage, "ada"), member(storage, "grace")
    with storage.transaction():
        assert storage.add_vote(user_id=ada.id, paper_id="2401.00001", now=NOW)
        assert not storage.add_vote(user_id=ada.id, paper_id="2401.00001", now=NOW)
        assert storage.add_vote(user_id=grace.id, paper_id="2401.00001", now=NOW)
    paper = storage.get_papers(["2401.00001"])["2401.00001"]
    assert (paper.upvotes, paper.local_upvotes) == (12, 2)
    assert storage.rankables()[0].upvotes == 12
    assert storage.featured_papers(["2401.00001"])[0].paper.upvotes == 12
    assert storage.voted_paper_ids(ada.id, ["2401.00001", "2401.99999"]) == {"2401.00001"}
    assert storage.user_vote_ids(ada.id, limit=10) == ["2401.00001"]

    # A newer import brings more upvotes from the source: the local ones stay on top.
    with storage.transaction():
        storage.save_papers([Paper("2401.00001", "T", "A", ("Ada",), upvotes=20)])
    assert storage.get_papers(["2401.00001"])["2401.00001"].upvotes == 22
    # Saving the paper as read (a metadata change) keeps the count too.
    with storage.transaction():
        storage.save_papers([replace(paper, title="New title")])
    assert storage.get_papers(["2401.00001"])["2401.00001"].upvotes == 12

    with storage.transaction():
        assert storage.remove_vote(user_id=ada.id, paper_id="2401.00001")
        assert not storage.remove_vote(user_id=ada.id, paper_id="2401.00001")
    assert storage.get_papers(["2401.00001"])["2401.00001"].upvotes == 11


def test_concurrent_double_votes_count_once_each(storage: Storage) -> None:
    featured(storage, "2401.00002")
    voters = [member(storage, f"voter{i}") for i in range(12)]
    barrier = Barrier(len(voters) * 2)

    def vote(user: User) -> None:
        barrier.wait()
        with storage.transaction():
            storage.add_vote(user_id=user.id, paper_id="2401.00002", now=NOW)

    with ThreadPoolExecutor(max_workers=len(voters) * 2) as pool:
        for result in [pool.submit(vote, user) for user in voters * 2]:
            result.result()
    assert storage.get_papers(["2401.00002"])["2401.00002"].upvotes == len(voters)


def test_comments_are_counted_while_visible(storage: Storage) -> None:
    featured(storage, "2401.00003", comments=4)
    ada = member(storage, "ada")
    with storage.transaction():
        first = storage.add_comment(
            paper_id="2401.00003", user_id=ada.id, parent_id=None, body=TRICKY, now=NOW
        )
        reply = storage.add_comment(
            paper_id="2401.00003", user_id=ada.id, parent_id=first, body="re", now=NOW
        )
    assert storage.get_papers(["2401.00003"])["2401.00003"].num_comments == 6
    assert [c.body for c in storage.paper_comments("2401.00003")] == [TRICKY, "re"]
    assert storage.get_comment(reply).parent_id == first  # type: ignore[union-attr]
    with storage.transaction():
        storage.set_comment_hidden(first, hidden_by=ada.id, now=NOW)
        storage.set_comment_hidden(first, hidden_by=ada.id, now=NOW)  # twice: counted once
        storage.delete_comment(first, now=NOW)  # hidden already: not uncounted again
        storage.delete_comment(reply, now=NOW)
    assert storage.get_papers(["2401.00003"])["2401.00003"].num_comments == 4
    gone = storage.get_comment(first)
    assert gone is not None and gone.deleted and gone.hidden and gone.body == ""
    with storage.transaction():
        storage.set_comment_hidden(first, hidden_by=None, now=NOW)  # deleted: stays uncounted
    assert storage.get_papers(["2401.00003"])["2401.00003"].num_comments == 4


def test_hidden_submissions_leave_the_listings(storage: Storage) -> None:
    featured(storage, "2401.00004")
    ada = member(storage, "ada")
    with storage.transaction():
        storage.set_entry_submitter("2401.00004", ada.id)
        storage.set_entry_hidden("2401.00004", hidden_by=ada.id, now=NOW)
    assert storage.rankables() == []
    assert storage.latest_day() is None
    assert storage.get_entries(["2401.00004"])["2401.00004"].hidden
    assert storage.user_submission_ids(ada.id, limit=5) == ["2401.00004"]
    with storage.transaction():
        storage.set_entry_hidden("2401.00004", hidden_by=None, now=NOW)
    assert [r.paper_id for r in storage.rankables()] == ["2401.00004"]


def test_organizations_members_invitations_and_claims(storage: Storage) -> None:
    ada, grace = member(storage, "ada"), member(storage, "grace")
    with storage.transaction():
        assert storage.create_organization(Organization("lab", TRICKY), now=NOW)
        assert not storage.create_organization(Organization("LAB", "again"), now=NOW)
        storage.save_membership(
            organization="lab", user_id=ada.id, role=MemberRole.OWNER, invited_by=None, now=NOW,
            accepted=True,
        )  # fmt: skip
        storage.save_membership(
            organization="lab", user_id=grace.id, role=MemberRole.MEMBER, invited_by=ada.id,
            now=NOW, accepted=False,
        )  # fmt: skip
    assert storage.get_organization("lab") == Organization("lab", TRICKY)
    assert [(m.username, m.accepted) for m in storage.organization_members("lab")] == [
        ("ada", True),
        ("grace", False),
    ]
    assert storage.accept_membership(organization="lab", user_id=grace.id, now=NOW)
    assert not storage.accept_membership(organization="lab", user_id=grace.id, now=NOW)
    assert storage.user_memberships(grace.id)[0].accepted
    assert storage.delete_membership(organization="lab", user_id=grace.id)
    assert storage.get_membership(organization="lab", user_id=grace.id) is None

    featured(storage, "2401.00005")
    with storage.transaction():
        storage.set_entry_organization("2401.00005", "lab")
        claim = storage.save_authorship_claim(
            paper_id="2401.00005", user_id=ada.id, author_name="Ada", now=NOW
        )
        again = storage.save_authorship_claim(
            paper_id="2401.00005", user_id=ada.id, author_name="Ada", now=NOW
        )
    assert claim is not None and again is None
    assert [r.paper_id for r in storage.rankables(organization="lab")] == ["2401.00005"]
    assert storage.authorship_claims(status=ClaimStatus.PENDING)[0].username == "ada"
    storage.decide_authorship_claim(claim, status=ClaimStatus.APPROVED, decided_by=ada.id, now=NOW)
    decided = storage.get_authorship_claim(claim)
    assert decided is not None and decided.status is ClaimStatus.APPROVED
    assert storage.authorship_claims(status=ClaimStatus.PENDING) == []


def test_rate_limit_counters_report_this_and_the_previous_window(storage: Storage) -> None:
    assert storage.hit_rate_limit("vote:ip:1", window_start=60, seconds=60) == (0, 1)
    assert storage.hit_rate_limit("vote:ip:1", window_start=60, seconds=60) == (0, 2)
    assert storage.hit_rate_limit("vote:ip:2", window_start=60, seconds=60) == (0, 1)
    assert storage.hit_rate_limit("vote:ip:1", window_start=120, seconds=60) == (2, 1)
    assert storage.hit_rate_limit("vote:ip:1", window_start=240, seconds=60) == (0, 1)
    generation = storage.generation()
    storage.hit_rate_limit("vote:ip:1", window_start=240, seconds=60)
    assert storage.generation() == generation  # counting does not empty the page cache
