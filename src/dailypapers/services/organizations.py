"""Organizations run by their members: create one, invite members, claim papers for it."""

from __future__ import annotations

from datetime import datetime

from dailypapers.domain.accounts import User, clean_fullname, validate_name
from dailypapers.domain.community import MemberRole, Membership
from dailypapers.domain.papers import Organization
from dailypapers.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dailypapers.storage.base import Storage
from dailypapers.storage.community_protocol import CommunityStore


def create_organization(
    *, storage: CommunityStore, user: User, name: str, fullname: str, now: datetime
) -> Organization:
    """Create an organization with the member as its owner."""
    if user.banned:
        raise NotAllowed("banned members cannot create organizations")
    try:
        slug = validate_name(name, what="organization name")
        shown = clean_fullname(fullname) or slug
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    organization = Organization(slug, shown)
    if not storage.create_organization(organization, now=now):
        raise Conflict(f"there is already an organization named {slug!r}")
    storage.save_membership(
        organization=slug,
        user_id=user.id,
        role=MemberRole.OWNER,
        invited_by=None,
        now=now,
        accepted=True,
    )
    return organization


def membership_of(
    storage: CommunityStore, user: User | None, organization: str
) -> Membership | None:
    """Return the member's accepted membership of the organization, if any."""
    if user is None or user.banned:
        return None
    membership = storage.get_membership(organization=organization, user_id=user.id)
    return membership if membership and membership.accepted else None


def require_member(storage: Storage, user: User, organization: str) -> Membership:
    """Return the member's membership of the organization; refuse if they are not in it."""
    if storage.get_organization(organization) is None:
        raise NotFound(f"there is no organization named {organization!r}")
    membership = membership_of(storage, user, organization)
    if membership is None:
        raise NotAllowed(f"you are not a member of {organization}")
    return membership


def _require_owner(storage: Storage, user: User, organization: str) -> None:
    if require_member(storage, user, organization).role is not MemberRole.OWNER:
        raise NotAllowed(f"only the owners of {organization} can do this")


def invite_member(
    *,
    storage: Storage,
    user: User,
    organization: str,
    username: str,
    role: MemberRole,
    now: datetime,
) -> Membership:
    """Invite a member to the organization (an owner's act); they join when they accept."""
    _require_owner(storage, user, organization)
    invitee = storage.find_user(username.strip())
    if invitee is None:
        raise NotFound(f"there is no member named {username!r}")
    if storage.get_membership(organization=organization, user_id=invitee.id) is not None:
        raise Conflict(f"{invitee.username} is already a member of {organization} or invited")
    storage.save_membership(
        organization=organization,
        user_id=invitee.id,
        role=role,
        invited_by=user.id,
        now=now,
        accepted=False,
    )
    membership = storage.get_membership(organization=organization, user_id=invitee.id)
    assert membership is not None
    return membership


def accept_invitation(
    *, storage: CommunityStore, user: User, organization: str, now: datetime
) -> None:
    """Join an organization the member was invited to."""
    if user.banned:
        raise NotAllowed("banned members cannot join organizations")
    if not storage.accept_membership(organization=organization, user_id=user.id, now=now):
        raise NotFound(f"you have no open invitation to {organization}")


def remove_member(*, storage: Storage, user: User, organization: str, username: str) -> None:
    """Remove a member or an invitation: owners remove anyone, members themselves."""
    target = storage.find_user(username)
    membership = (
        storage.get_membership(organization=organization, user_id=target.id) if target else None
    )
    if target is None or membership is None:
        raise NotFound(f"{username} is not in {organization}")
    if target.id != user.id:
        _require_owner(storage, user, organization)
    owners = [
        m
        for m in storage.organization_members(organization)
        if m.accepted and m.role is MemberRole.OWNER
    ]
    if membership.accepted and owners == [membership]:
        raise Conflict(f"{organization} needs another owner before its last one leaves")
    storage.delete_membership(organization=organization, user_id=target.id)


def claim_paper(*, storage: Storage, user: User, organization: str, paper_id: str) -> None:
    """Credit a featured paper to the member's organization, unless another has it."""
    require_member(storage, user, organization)
    entry = storage.get_entries([paper_id]).get(paper_id)
    if entry is None:
        raise NotFound(f"paper {paper_id} has not been featured here, so it cannot be claimed")
    if entry.organization not in (None, organization):
        raise Conflict(f"paper {paper_id} is already credited to {entry.organization}")
    storage.set_entry_organization(paper_id, organization)
