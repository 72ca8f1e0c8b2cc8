"""The member's own API: For you recommendations, "not interested", collections, and what
others may see of a member.

Authorized by personal access tokens (`Authorization: Bearer TOKEN`) only. A private
collection answers 404 to anyone but its owner, exactly as if it did not exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dailypapers.domain.accounts import User
from dailypapers.domain.collections import Collection
from dailypapers.services import collections, recommendations
from dailypapers.services.citation_formats import MEDIA_TYPES, CitedPaper
from dailypapers.services.errors import NotFound
from dailypapers.services.profiles import visible_profile
from dailypapers.web.accounts.auth import ApiUserDep, get_api_user
from dailypapers.web.api.follows import follow_json
from dailypapers.web.api.hf_json import paper_json, timestamp
from dailypapers.web.api.papers import json_response
from dailypapers.web.dependencies import MembersDep, NowDep, RankingsDep, StorageDep
from dailypapers.web.pages.collections import FORMATS
from dailypapers.web.row_ids import RowId

router = APIRouter(prefix="/api", tags=["your feed"])
MAX_WINDOW_DAYS = 92
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class ErrorOut(BaseModel):
    """Every error of the API: one sentence saying what was wrong."""

    error: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        400: "bad input, said in `error`",
        401: "no valid personal access token",
        404: "no such paper, collection or member (a private collection of another member"
        " included)",
        409: "a collection of that name exists",
        422: "a parameter could not be read",
    }
    return {code: {"model": ErrorOut, "description": meaning[code]} for code in codes}


def _optional_api_user(request: Request) -> User | None:
    """Return the token's member if the request sends a token; None for an anonymous call."""
    if not request.headers.get("authorization"):
        return None
    return get_api_user(request)


# -- For you ------------------------------------------------------------------------------


def _day(text: str | None, name: str) -> date | None:
    """Return the day a parameter names; 400 for a date that does not exist (2025-02-31)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text} is not a day of the calendar") from None


@router.get("/me/recommendations", responses=_errors(400, 401, 422))
def my_recommendations(
    user: ApiUserDep,
    storage: StorageDep,
    rankings: RankingsDep,
    members: MembersDep,
    now: NowDep,
    after: Annotated[
        str | None,
        Query(
            pattern=DAY_PATTERN, description="first day featured, YYYY-MM-DD (default: 6 days ago)"
        ),
    ] = None,
    before: Annotated[
        str | None,
        Query(
            pattern=DAY_PATTERN, description="day after the last, YYYY-MM-DD (default: tomorrow)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="papers to return")] = 20,
) -> Response:
    """Return the member's recommended papers among those featured in [after, before)."""
    first, following = _day(after, "after"), _day(before, "before")
    default_start, default_end = recommendations.window_ending(storage, days=7, today=now.date())
    end = following or (first + timedelta(days=7) if first else default_end)
    start = first or end - (default_end - default_start)
    if start >= end:
        raise HTTPException(400, "after must be earlier than before")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise HTTPException(400, f"a window spans at most {MAX_WINDOW_DAYS} days")
    found = recommendations.recommend_for_member(
        storage=storage,
        user_id=user.id,
        start=start,
        end=end,
        limit=limit,
        now=now,
        rankings=rankings,
        members=members,
    )
    return json_response(
        {
            "after": start.isoformat(),
            "before": end.isoformat(),
            "personal": found.personal,
            "papers": [
                {
                    "paper": paper_json(item.item),
                    "score": item.score,
                    "because": (
                        {
                            "id": item.because.paper.id,
                            "title": item.because.paper.title,
                            "sharedAuthor": item.because_author,
                        }
                        if item.because
                        else None
                    ),
                }
                for item in found.items
            ],
        }
    )


@router.post("/me/not-interested/{paper_id:path}", responses=_errors(401, 404))
def not_interested(paper_id: str, user: ApiUserDep, storage: StorageDep, now: NowDep) -> Response:
    """Hide the paper from the member's recommendations and learn from it."""
    with storage.transaction():
        recommendations.dismiss(storage=storage, user_id=user.id, paper_id=paper_id, now=now)
    return json_response({"paperId": paper_id, "notInterested": True})


@router.delete("/me/not-interested/{paper_id:path}", responses=_errors(401))
def undo_not_interested(paper_id: str, user: ApiUserDep, storage: StorageDep) -> Response:
    """Take back a "not interested"."""
    with storage.transaction():
        undone = recommendations.undo_dismiss(storage=storage, user_id=user.id, paper_id=paper_id)
    return json_response({"paperId": paper_id, "notInterested": False, "changed": undone})


# -- collections --------------------------------------------------------------------------


class CollectionIn(BaseModel):
    """A collection to make or change."""

    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    public: bool = Field(False, strict=True)


class CollectionPaperIn(BaseModel):
    """A paper to put in a collection, with an optional note."""

    paper: str = Field(description="arXiv id of a paper on this site")
    note: str | None = Field(None, max_length=5000)


def collection_json(collection: Collection) -> dict[str, Any]:
    """Return a collection's summary."""
    return {
        "id": collection.id,
        "name": collection.name,
        "description": collection.description,
        "public": collection.public,
        "default": collection.is_default,
        "papers": collection.paper_count,
        "createdAt": timestamp(collection.created_at),
        "updatedAt": timestamp(collection.updated_at),
    }


@router.get("/collections", responses=_errors(401))
def list_collections(user: ApiUserDep, storage: StorageDep) -> Response:
    """List the member's collections."""
    return json_response([collection_json(c) for c in storage.user_collections(user.id)])


@router.post("/collections", status_code=201, responses=_errors(400, 401, 409, 422))
def create_collection(
    body: CollectionIn, user: ApiUserDep, storage: StorageDep, now: NowDep
) -> Response:
    """Make a collection (private unless `public`)."""
    with storage.transaction():
        made = collections.create_collection(
            storage=storage,
            user_id=user.id,
            name=body.name,
            description=body.description,
            public=body.public,
            now=now,
        )
    response = json_response(collection_json(made))
    response.status_code = 201
    return response


@router.get("/collections/{collection_id:int}.{fmt}", responses=_errors(401, 404))
def export_collection(
    collection_id: RowId, fmt: str, request: Request, storage: StorageDep
) -> Response:
    """Download a collection as BibTeX (.bib), RIS (.ris) or CSL-JSON (.json)."""
    viewer = _optional_api_user(request)
    collection = collections.visible_collection(
        storage=storage, collection_id=collection_id, viewer_id=viewer.id if viewer else None
    )
    writer = FORMATS.get(fmt)
    if writer is None:
        raise HTTPException(404, f"no export as .{fmt}: choose .bib, .ris or .json")
    pairs = collections.collection_papers(storage=storage, collection=collection)
    return Response(
        writer([CitedPaper(item, entry.note) for item, entry in pairs]),
        media_type=MEDIA_TYPES[fmt],
    )


@router.get("/collections/{collection_id:int}", responses=_errors(401, 404))
def get_collection(collection_id: RowId, request: Request, storage: StorageDep) -> Response:
    """Return a collection with its papers: the member's own, or a public one."""
    viewer = _optional_api_user(request)
    collection = collections.visible_collection(
        storage=storage, collection_id=collection_id, viewer_id=viewer.id if viewer else None
    )
    pairs = collections.collection_papers(storage=storage, collection=collection)
    return json_response(
        {
            **collection_json(collection),
            "items": [
                {
                    "paper": paper_json(item),
                    "note": entry.note,
                    "addedAt": timestamp(entry.added_at),
                }
                for item, entry in pairs
            ],
        }
    )


@router.patch("/collections/{collection_id:int}", responses=_errors(400, 401, 404, 409, 422))
def update_collection(
    collection_id: RowId,
    body: CollectionIn,
    user: ApiUserDep,
    storage: StorageDep,
    now: NowDep,
) -> Response:
    """Rename, describe, share (`public: true`) or unshare one of the member's collections."""
    with storage.transaction():
        updated = collections.update_collection(
            storage=storage,
            user_id=user.id,
            collection_id=collection_id,
            name=body.name,
            description=body.description,
            public=body.public,
            now=now,
        )
    return json_response(collection_json(updated))


@router.delete("/collections/{collection_id:int}", responses=_errors(401, 404))
def delete_collection(collection_id: RowId, user: ApiUserDep, storage: StorageDep) -> Response:
    """Delete one of the member's collections."""
    with storage.transaction():
        collections.delete_collection(storage=storage, user_id=user.id, collection_id=collection_id)
    return json_response({"deleted": collection_id})


@router.post("/collections/{collection_id:int}/papers", responses=_errors(400, 401, 404, 422))
def add_to_collection(
    collection_id: RowId,
    body: CollectionPaperIn,
    user: ApiUserDep,
    storage: StorageDep,
    now: NowDep,
) -> Response:
    """Put a paper in one of the member's collections (again: only the note changes)."""
    with storage.transaction():
        collections.add_paper(
            storage=storage,
            user_id=user.id,
            collection_id=collection_id,
            paper_id=body.paper.strip(),
            note=body.note,
            now=now,
        )
    return json_response({"collection": collection_id, "paper": body.paper.strip()})


@router.delete(
    "/collections/{collection_id:int}/papers/{paper_id:path}", responses=_errors(401, 404)
)
def remove_from_collection(
    collection_id: RowId, paper_id: str, user: ApiUserDep, storage: StorageDep
) -> Response:
    """Take a paper out of one of the member's collections."""
    with storage.transaction():
        removed = collections.remove_paper(
            storage=storage, user_id=user.id, collection_id=collection_id, paper_id=paper_id
        )
    if not removed:
        raise HTTPException(404, f"paper {paper_id} is not in collection {collection_id}")
    return json_response({"collection": collection_id, "paper": paper_id, "removed": True})


# -- profiles -----------------------------------------------------------------------------


@router.get("/users/{username}", responses=_errors(401, 404))
def member_profile(username: str, request: Request, storage: StorageDep) -> Response:
    """Return a member's profile: upvotes and follows are null unless made public (or yours)."""
    member = storage.find_user(username)
    if member is None:
        raise NotFound(f"there is no member named {username!r}")
    shown = visible_profile(storage=storage, member=member, viewer=_optional_api_user(request))
    upvoted = None if shown.upvoted is None else storage.featured_papers(shown.upvoted)
    return json_response(
        {
            "username": member.username,
            "fullname": member.fullname,
            "upvotes": None if upvoted is None else [paper_json(item) for item in upvoted],
            "follows": None if shown.follows is None else [follow_json(f) for f in shown.follows],
            "collections": [collection_json(c) for c in shown.collections],
        }
    )
