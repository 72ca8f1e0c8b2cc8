"""What moderators and admins do: hide, ban, set roles and decide authorship claims."""

from __future__ import annotations

from datetime import datetime

from dailypapers.domain.accounts import Role, User
from dailypapers.domain.community import AuthorshipClaim, ClaimStatus, Comment
from dailypapers.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dailypapers.storage.accounts_protocol import AccountStore
from dailypapers.storage.base import Storage
from dailypapers.storage.community_protocol import CommunityStore


def require_moderator(user: User) -> None:
    """Refuse unless the member is a moderator or an admin."""
    if not user.can_moderate or user.banned:
        raise NotAllowed("only moderators can do this")


def require_admin(user: User) -> None:
    """Refuse unless the member is an admin."""
    if not user.is_admin or user.banned:
        raise NotAllowed("only admins can do this")


def set_comment_hidden(
    *, storage: CommunityStore, moderator: User, comment_id: int, hidden: bool, now: datetime
) -> Comment:
    """Hide a comment from everyone but its author and the moderators, or show it again;
    return the comment (as it was: its paper and id are what a caller links to)."""
    require_moderator(moderator)
    comment = storage.get_comment(comment_id)
    if comment is None:
        raise NotFound(f"there is no comment {comment_id}")
    storage.set_comment_hidden(comment_id, hidden_by=moderator.id if hidden else None, now=now)
    return comment


def set_submission_hidden(
    *, storage: Storage, moderator: User, paper_id: str, hidden: bool, now: datetime
) -> None:
    """Take a paper off the listings, or put it back."""
    require_moderator(moderator)
    if paper_id not in storage.get_entries([paper_id]):
        raise NotFound(f"paper {paper_id} has no submission")
    storage.set_entry_hidden(paper_id, hidden_by=moderator.id if hidden else None, now=now)


def set_banned(
    *, storage: AccountStore, moderator: User, username: str, banned: bool, now: datetime
) -> User:
    """Ban a member (ending their sessions) or lift the ban; staff are not banned by staff."""
    require_moderator(moderator)
    target = storage.find_user(username)
    if target is None:
        raise NotFound(f"there is no member named {username!r}")
    if target.id == moderator.id:
        raise Conflict("you cannot ban yourself")
    if target.can_moderate and not moderator.is_admin:
        raise NotAllowed("only admins can ban moderators and admins")
    storage.set_user_banned(target.id, now if banned else None)
    if banned:
        storage.delete_user_sessions(target.id)
    updated = storage.get_user(target.id)
    assert updated is not None
    return updated


def set_role(*, storage: AccountStore, admin: User, username: str, role: Role) -> None:
    """Make a member a moderator, an admin, or a plain member again."""
    require_admin(admin)
    target = storage.find_user(username)
    if target is None:
        raise NotFound(f"there is no member named {username!r}")
    if target.id == admin.id:
        raise Conflict("ask another admin to change your own role")
    storage.set_user_role(target.id, role)


def claim_authorship(
    *, storage: Storage, user: User, paper_id: str, author_name: str, now: datetime
) -> AuthorshipClaim:
    """Ask to be recognized as one of the paper's authors; an admin decides."""
    if user.banned:
        raise NotAllowed("banned members cannot claim papers")
    paper = storage.get_papers([paper_id]).get(paper_id)
    if paper is None:
        raise NotFound(f"paper {paper_id} is not on this site")
    if author_name not in paper.authors:
        raise InvalidInput(f"{author_name!r} is not one of the paper's authors")
    claim_id = storage.save_authorship_claim(
        paper_id=paper_id, user_id=user.id, author_name=author_name, now=now
    )
    if claim_id is None:
        raise Conflict(f"you have already claimed paper {paper_id}")
    claim = storage.get_authorship_claim(claim_id)
    assert claim is not None
    return claim


def decide_claim(
    *, storage: CommunityStore, admin: User, claim_id: int, approve: bool, now: datetime
) -> AuthorshipClaim:
    """Approve or reject a pending authorship claim."""
    require_admin(admin)
    claim = storage.get_authorship_claim(claim_id)
    if claim is None:
        raise NotFound(f"there is no claim {claim_id}")
    if claim.status is not ClaimStatus.PENDING:
        raise Conflict(f"claim {claim_id} was already {claim.status.value}")
    status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    storage.decide_authorship_claim(claim_id, status=status, decided_by=admin.id, now=now)
    decided = storage.get_authorship_claim(claim_id)
    assert decided is not None
    return decided
