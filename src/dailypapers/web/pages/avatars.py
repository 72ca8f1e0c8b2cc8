"""Serve the organization avatars this site keeps."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from dailypapers.web.dependencies import StorageDep

router = APIRouter(include_in_schema=False)


@router.get("/organizations/{name}/avatar")
def avatar(name: str, storage: StorageDep) -> Response:
    """Return the organization's stored avatar; 404 when none is kept (pages show the initial)."""
    stored = storage.get_avatar(name)
    if stored is None:
        raise HTTPException(404, f"no avatar kept for {name}")
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )
