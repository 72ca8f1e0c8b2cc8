"""Members' profiles, and the pages of moderators and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.accounts import Role
from dailypapers.domain.community import ClaimStatus
from dailypapers.services import moderation
from dailypapers.services.errors import InvalidInput, NotFound
from dailypapers.services.profiles import PROFILE_LIST_LENGTH, visible_profile
from dailypapers.web.accounts.auth import MemberDep, see_other
from dailypapers.web.accounts.sessions import current_viewer
from dailypapers.web.dependencies import NowDep, RendererDep, StorageDep
from dailypapers.web.row_ids import RowId

router = APIRouter(include_in_schema=False)


@router.get("/users/{username}", response_class=HTMLResponse)
def profile(username: str, storage: StorageDep, renderer: RendererDep) -> Response:
    """Show a member's papers and submissions, and what of their activity the viewer may see."""
    member = storage.find_user(username)
    if member is None:
        raise NotFound(f"there is no member named {username!r}")
    claims = storage.authorship_claims(status=ClaimStatus.APPROVED, user_id=member.id)
    shown = visible_profile(storage=storage, member=member, viewer=current_viewer())
    return renderer.page(
        "profile.html",
        member=member,
        shown=shown,
        authored=storage.featured_papers([claim.paper_id for claim in claims]),
        submitted=storage.featured_papers(
            storage.user_submission_ids(member.id, limit=PROFILE_LIST_LENGTH)
        ),
        upvoted=None if shown.upvoted is None else storage.featured_papers(shown.upvoted),
        memberships=[m for m in storage.user_memberships(member.id) if m.accepted],
        roles=list(Role),
    )


@router.post("/users/{username}/ban")
def ban(username: str, member: MemberDep, storage: StorageDep, now: NowDep) -> Response:
    """Ban a member (moderators)."""
    with storage.transaction():
        moderation.set_banned(
            storage=storage, moderator=member, username=username, banned=True, now=now
        )
    return see_other(f"/users/{username}")


@router.post("/users/{username}/unban")
def unban(username: str, member: MemberDep, storage: StorageDep, now: NowDep) -> Response:
    """Lift a member's ban (moderators)."""
    with storage.transaction():
        moderation.set_banned(
            storage=storage, moderator=member, username=username, banned=False, now=now
        )
    return see_other(f"/users/{username}")


@router.post("/users/{username}/role")
def set_role(
    username: str, member: MemberDep, storage: StorageDep, role: Annotated[str, Form()]
) -> Response:
    """Make a member a moderator, an admin or a plain member (admins)."""
    try:
        new_role = Role(role)
    except ValueError:
        raise InvalidInput(f"a role is one of {', '.join(Role)}") from None
    with storage.transaction():
        moderation.set_role(storage=storage, admin=member, username=username, role=new_role)
    return see_other(f"/users/{username}")


@router.get("/admin", response_class=HTMLResponse)
def admin_page(member: MemberDep, storage: StorageDep, renderer: RendererDep) -> Response:
    """Show the admins' page: authorship claims to decide, and the newest members."""
    moderation.require_admin(member)
    return renderer.page(
        "admin.html",
        claims=storage.authorship_claims(status=ClaimStatus.PENDING),
        users=storage.list_users(limit=100),
    )


@router.post("/admin/claims/{claim_id}")
def decide_claim(
    claim_id: RowId,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    decision: Annotated[str, Form()],
) -> Response:
    """Approve or reject an authorship claim (admins)."""
    if decision not in ("approve", "reject"):
        raise InvalidInput("decide approve or reject")
    with storage.transaction():
        moderation.decide_claim(
            storage=storage,
            admin=member,
            claim_id=claim_id,
            approve=decision == "approve",
            now=now,
        )
    return see_other("/admin")
