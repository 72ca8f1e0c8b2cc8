"""The storage interface of the community: votes, comments, organizations, claims, moderation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dailypapers.domain.community import (
    AuthorshipClaim,
    ClaimStatus,
    Comment,
    MemberRole,
    Membership,
)
from dailypapers.domain.papers import Organization


class CommunityStore(Protocol):
    """What the community services read and write."""

    # -- votes: the row and the paper's count change in one statement pair ------------

    def add_vote(self, *, user_id: int, paper_id: str, now: datetime) -> bool:
        """Record the member's vote for the paper; return False if it was already there."""
        ...

    def remove_vote(self, *, user_id: int, paper_id: str) -> bool:
        """Take the member's vote back; return False if there was none."""
        ...

    def voted_paper_ids(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        """Return those of the papers the member has voted for."""
        ...

    def user_vote_ids(self, user_id: int, *, limit: int) -> list[str]:
        """Return the papers the member voted for, latest vote first."""
        ...

    def set_upvotes_public(self, user_id: int, *, public: bool, now: datetime) -> None:
        """Let anyone see the member's upvotes on their profile, or only the member."""
        ...

    def upvotes_public(self, user_id: int) -> bool:
        """Tell whether the member made their upvotes public."""
        ...

    # -- comments --------------------------------------------------------------------

    def add_comment(
        self, *, paper_id: str, user_id: int, parent_id: int | None, body: str, now: datetime
    ) -> int:
        """Insert a comment, count it on its paper, and return its id."""
        ...

    def get_comment(self, comment_id: int) -> Comment | None:
        """Return one comment, whatever its state."""
        ...

    def paper_comments(self, paper_id: str) -> list[Comment]:
        """Return every comment on the paper, oldest first."""
        ...

    def edit_comment(self, comment_id: int, *, body: str, now: datetime) -> None:
        """Replace a comment's text."""
        ...

    def delete_comment(self, comment_id: int, *, now: datetime) -> None:
        """Mark a comment deleted and uncount it."""
        ...

    def set_comment_hidden(self, comment_id: int, *, hidden_by: int | None, now: datetime) -> None:
        """Hide a comment for a moderator (or show it again with None), keeping the count right."""
        ...

    # -- submissions -------------------------------------------------------------------

    def set_entry_submitter(self, paper_id: str, user_id: int) -> None:
        """Note which member submitted the paper's entry."""
        ...

    def set_entry_hidden(self, paper_id: str, *, hidden_by: int | None, now: datetime) -> None:
        """Take the paper's entry off the listings for a moderator, or put it back with None."""
        ...

    def set_entry_organization(self, paper_id: str, organization: str | None) -> None:
        """Credit the paper's entry to an organization."""
        ...

    def user_submission_ids(self, user_id: int, *, limit: int) -> list[str]:
        """Return the papers the member submitted, newest first."""
        ...

    # -- organizations -----------------------------------------------------------------

    def create_organization(self, organization: Organization, *, now: datetime) -> bool:
        """Insert a new organization; return False if one of that name (any case) exists."""
        ...

    def save_membership(
        self,
        *,
        organization: str,
        user_id: int,
        role: MemberRole,
        invited_by: int | None,
        now: datetime,
        accepted: bool,
    ) -> None:
        """Insert or replace a member's place (or invitation) in an organization."""
        ...

    def accept_membership(self, *, organization: str, user_id: int, now: datetime) -> bool:
        """Accept an open invitation; return False if there was none."""
        ...

    def delete_membership(self, *, organization: str, user_id: int) -> bool:
        """Remove a member or an invitation; return whether there was one."""
        ...

    def get_membership(self, *, organization: str, user_id: int) -> Membership | None:
        """Return the member's place or invitation in the organization."""
        ...

    def organization_members(self, organization: str) -> list[Membership]:
        """Return the organization's members and open invitations, owners first."""
        ...

    def user_memberships(self, user_id: int) -> list[Membership]:
        """Return the member's organizations and open invitations."""
        ...

    # -- authorship claims ---------------------------------------------------------------

    def save_authorship_claim(
        self, *, paper_id: str, user_id: int, author_name: str, now: datetime
    ) -> int | None:
        """Insert a pending claim; return its id, or None if the member already claimed."""
        ...

    def get_authorship_claim(self, claim_id: int) -> AuthorshipClaim | None:
        """Return one claim."""
        ...

    def authorship_claims(
        self,
        *,
        status: ClaimStatus | None = None,
        user_id: int | None = None,
        paper_id: str | None = None,
        limit: int = 100,
        claim_id: int | None = None,
    ) -> list[AuthorshipClaim]:
        """Return claims that match, oldest first."""
        ...

    def decide_authorship_claim(
        self, claim_id: int, *, status: ClaimStatus, decided_by: int, now: datetime
    ) -> None:
        """Approve or reject a claim."""
        ...
