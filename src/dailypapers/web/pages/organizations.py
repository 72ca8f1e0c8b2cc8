"""Organizations run by their members: create one, invite, accept, remove."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dailypapers.domain.community import MemberRole
from dailypapers.services import organizations
from dailypapers.services.errors import InvalidInput
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import MemberDep, see_other
from dailypapers.web.accounts.sessions import current_viewer
from dailypapers.web.dependencies import NowDep, RendererDep, StorageDep

router = APIRouter(include_in_schema=False)


def to_organization_in_its_case(
    storage: Storage, name: str, request: Request, path: str
) -> Response:
    """Redirect a name written in another case ("Tencent") to the organization's own
    address (`path` with "{}" for the name); 404 when no organization has it."""
    found = storage.find_organization(name)
    if found is None:
        raise HTTPException(404, f"no organization named {name!r}")
    query = f"?{request.url.query}" if request.url.query else ""
    # Temporary: another organization may take this spelling later.
    return RedirectResponse(path.format(quote(found.name, safe="")) + query, status_code=307)


def organization_page_context(storage: Storage, name: str) -> dict[str, Any]:
    """Return what the organization page shows of its members, and the viewer's place there."""
    viewer = current_viewer()
    members = storage.organization_members(name)
    place = next((m for m in members if viewer and m.user_id == viewer.id), None)
    return {
        "members": [m for m in members if m.accepted],
        "invited": [m for m in members if not m.accepted],
        "viewer_membership": place,
        "viewer_is_owner": bool(place and place.accepted and place.role is MemberRole.OWNER),
    }


@router.get("/organizations/new", response_class=HTMLResponse)
def new_organization_form(member: MemberDep, renderer: RendererDep) -> Response:
    """Show the form that creates an organization."""
    return renderer.page("organization_new.html", form={}, error=None)


@router.post("/organizations", response_class=HTMLResponse)
def create_organization(
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    now: NowDep,
    name: Annotated[str, Form()],
    fullname: Annotated[str, Form()] = "",
) -> Response:
    """Create an organization with the member as its owner."""
    with storage.transaction():
        organization = organizations.create_organization(
            storage=storage, user=member, name=name.strip(), fullname=fullname, now=now
        )
    return see_other(f"/organizations/{organization.name}")


@router.post("/organizations/{name}/invitations")
def invite(
    name: str,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()] = MemberRole.MEMBER.value,
) -> Response:
    """Invite a member (owners only)."""
    try:
        member_role = MemberRole(role)
    except ValueError:
        raise InvalidInput("a role is owner or member") from None
    with storage.transaction():
        organizations.invite_member(
            storage=storage,
            user=member,
            organization=name,
            username=username,
            role=member_role,
            now=now,
        )
    return see_other(f"/organizations/{name}#members")


@router.post("/organizations/{name}/invitation/accept")
def accept(name: str, member: MemberDep, storage: StorageDep, now: NowDep) -> Response:
    """Join an organization one was invited to."""
    with storage.transaction():
        organizations.accept_invitation(storage=storage, user=member, organization=name, now=now)
    return see_other(f"/organizations/{name}")


@router.post("/organizations/{name}/members/{username}/remove")
def remove(name: str, username: str, member: MemberDep, storage: StorageDep) -> Response:
    """Remove a member or an invitation (owners), or leave (oneself)."""
    with storage.transaction():
        organizations.remove_member(
            storage=storage, user=member, organization=name, username=username
        )
    return see_other(f"/organizations/{name}#members")
