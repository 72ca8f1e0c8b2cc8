"""The follow API: what the token's member follows, and the new papers from it.

Only `Authorization: Bearer TOKEN` counts here, never a cookie. What a member follows
is theirs alone: every route answers for the token's member, and for no one else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dailypapers.domain.follows import Follow
from dailypapers.services import follows
from dailypapers.services.errors import NotFound
from dailypapers.web.accounts.auth import ApiUserDep
from dailypapers.web.api.hf_json import paper_json, timestamp
from dailypapers.web.api.papers import json_response
from dailypapers.web.dependencies import NowDep, StorageDep

router = APIRouter(prefix="/api/me", tags=["follows"])


class ErrorOut(BaseModel):
    """The shape of every error answer."""

    error: str = Field(description="what was wrong, naming the parameter")


class FollowIn(BaseModel):
    """Something to follow (or stop following)."""

    kind: str = Field(description="author, organization, category or search")
    target: str = Field(
        description="an author's name, an organization's name, an arXiv category such as"
        " cs.CL, or a query of the search syntax (/search/help)"
    )


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        400: "the kind or target cannot be followed",
        401: "no valid personal access token",
        404: "no such organization, or the member did not follow it",
        422: "the body or a parameter is malformed",
    }
    return {code: {"model": ErrorOut, "description": reasons[code]} for code in codes}


def follow_json(follow: Follow) -> dict[str, Any]:
    """Return a follow as the API shows it."""
    return {
        "kind": follow.kind.value,
        "target": follow.label,
        "key": follow.key,
        "url": follow.page_path,
        "createdAt": timestamp(follow.created_at),
    }


@router.get("/follows", responses=_errors(401))
def list_follows(user: ApiUserDep, storage: StorageDep) -> Response:
    """Return what the token's member follows, most recent first."""
    return json_response([follow_json(f) for f in storage.user_follows(user.id)])


@router.post("/follows", status_code=201, responses=_errors(400, 401, 404, 422))
def add_follow(body: FollowIn, user: ApiUserDep, storage: StorageDep, now: NowDep) -> Response:
    """Follow something; 200 (not 201) if the member already followed it."""
    with storage.transaction():
        before = storage.user_follows(user.id)
        wanted = follows.follow(
            storage=storage, user=user, kind=body.kind, target=body.target, now=now
        )
    stored = next(
        (f for f in storage.user_follows(user.id) if (f.kind, f.key) == (wanted.kind, wanted.key)),
        wanted,
    )
    response = json_response(follow_json(stored))
    response.status_code = 200 if follows.is_following(before, wanted) else 201
    return response


@router.delete("/follows", status_code=204, responses=_errors(400, 401, 404, 422))
def remove_follow(
    user: ApiUserDep,
    storage: StorageDep,
    kind: Annotated[str, Query(description="author, organization, category or search")],
    target: Annotated[str, Query(description="what was followed, as given when following")],
) -> Response:
    """Stop following something; 404 if the member did not follow it."""
    with storage.transaction():
        removed = follows.unfollow(storage=storage, user=user, kind=kind, target=target)
    if not removed:
        raise NotFound(f"you do not follow the {kind} {target!r}")
    return Response(status_code=204)


@router.get("/following", responses=_errors(401, 422))
def following(
    request: Request,
    user: ApiUserDep,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=100, description="papers")] = 50,
) -> Response:
    """Return the newest papers from what the member follows, each with its reasons."""
    papers = follows.following_papers(
        storage=storage,
        follows=storage.user_follows(user.id),
        limit=limit,
        cache=request.app.state.follow_cache,
    )
    return json_response(
        [
            {
                "paper": paper_json(followed.item),
                "reasons": [
                    {"kind": r.kind.value, "target": r.label, "text": r.reason}
                    for r in followed.reasons
                ],
            }
            for followed in papers
        ]
    )
