"""The member's own data: download all of it as JSON, or delete the account."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from dailypapers.services.errors import NotAllowed
from dailypapers.services.member_data import delete_account, export_member_data
from dailypapers.web.accounts.auth import AccountsDep, ApiUserDep, AuthDep, MemberDep
from dailypapers.web.dependencies import NowDep, RendererDep, StorageDep

router = APIRouter()


def _download(data: dict[str, object], username: str) -> Response:
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{username}-data.json"'},
    )


@router.get("/settings/export.json", include_in_schema=False)
def export_page(member: MemberDep, storage: StorageDep, now: NowDep) -> Response:
    """Download everything the site holds about the member as one JSON file."""
    return _download(export_member_data(storage=storage, user=member, now=now), member.username)


@router.get("/api/me/export", tags=["your feed"])
def export_api(user: ApiUserDep, storage: StorageDep, now: NowDep) -> Response:
    """Return everything the site holds about the member (votes, collections, comments, ...)."""
    return _download(export_member_data(storage=storage, user=user, now=now), user.username)


@router.post("/settings/delete-account", response_class=HTMLResponse, include_in_schema=False)
def delete_my_account(
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    config: AccountsDep,
    auth: AuthDep,
    now: NowDep,
    password: Annotated[str, Form()],
    comments: Annotated[str, Form()] = "keep",
) -> Response:
    """Delete the account once the password is confirmed; sign out."""
    try:
        delete_account(
            storage=storage,
            hasher=config.hasher,
            user=member,
            password=password,
            remove_comments=comments == "remove",
            now=now,
        )
    except NotAllowed as error:
        return renderer.page(
            "message.html", status=403, title="Account not deleted", message=str(error)
        )
    auth.end_session()
    return renderer.page(
        "message.html",
        title="Account deleted",
        message=(
            "Your account and everything it held are gone"
            + (
                "; your comments were removed."
                if comments == "remove"
                else "; your comments remain, signed “deleted member”."
            )
        ),
    )
