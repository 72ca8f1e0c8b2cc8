"""A member's settings: password, personal access tokens, organizations and invitations,
and who sees their upvotes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.accounts import User
from dailypapers.services import accounts
from dailypapers.services.errors import InvalidInput, NotAllowed
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import AccountsDep, AuthDep, MemberDep, see_other
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep
from dailypapers.web.feeds.documents import base_url
from dailypapers.web.rendering import Renderer
from dailypapers.web.row_ids import RowId

router = APIRouter(include_in_schema=False)


def _settings_page(
    renderer: Renderer,
    storage: Storage,
    member: User,
    site_address: str,  # for the private feed's whole address
    *,
    status: int = 200,
    new_token: str | None = None,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    return renderer.page(
        "settings.html",
        status=status,
        member=member,
        site_address=site_address,
        tokens=storage.list_access_tokens(member.id),
        memberships=storage.user_memberships(member.id),
        upvotes_public=storage.upvotes_public(member.id),
        new_token=new_token,
        message=message,
        error=error,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    settings: SettingsDep,
) -> Response:
    """Show the member's settings."""
    return _settings_page(renderer, storage, member, base_url(request, settings))


@router.post("/settings/upvotes")
def share_upvotes(
    member: MemberDep, storage: StorageDep, now: NowDep, public: Annotated[str, Form()] = ""
) -> Response:
    """Show the member's upvotes to anyone on their profile (public=1), or to them alone."""
    with storage.transaction():
        storage.set_upvotes_public(member.id, public=public == "1", now=now)
    return see_other("/settings#public-upvotes")


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    now: NowDep,
    name: Annotated[str, Form()] = "",
) -> Response:
    """Issue a personal access token and show its secret, this once."""
    with storage.transaction():
        _, secret = accounts.create_access_token(storage=storage, user=member, name=name, now=now)
    return _settings_page(renderer, storage, member, base_url(request, settings), new_token=secret)


@router.post("/settings/tokens/{token_id}/delete")
def delete_token(token_id: RowId, member: MemberDep, storage: StorageDep) -> Response:
    """Revoke one of the member's tokens."""
    with storage.transaction():
        storage.delete_access_token(user_id=member.id, token_id=token_id)
    return see_other("/settings#tokens")


@router.post("/settings/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    auth: AuthDep,
    now: NowDep,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
) -> Response:
    """Change the password; every session ends, and this one starts afresh."""
    try:
        with storage.transaction():
            accounts.change_password(
                storage=storage, hasher=config.hasher, user=member, current=current, new=new
            )
            lifetime = accounts.session_lifetime(settings.session_days)
            token = accounts.start_session(storage=storage, user=member, now=now, lifetime=lifetime)
    except (InvalidInput, NotAllowed) as error:
        return _settings_page(
            renderer, storage, member, base_url(request, settings), status=400, error=str(error)
        )
    auth.start_session(token, lifetime)
    return _settings_page(
        renderer, storage, member, base_url(request, settings), message="Your password was changed."
    )
