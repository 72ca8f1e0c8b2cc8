"""Follow and unfollow, the Following page, and the member's follow settings.

Follow buttons are POST forms that work without JavaScript (they redirect back); with
the enhancement script (HX-Request: true) the answer is the new button, swapped in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.authors import normalize_author_name
from dailypapers.domain.follows import Follow, FollowKind, FollowSettings, follow_target
from dailypapers.services import follows
from dailypapers.services.authors import claimed_names
from dailypapers.services.errors import NotFound
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import (
    MemberDep,
    local_path,
    same_site_path,
    see_other,
    wants_fragment,
)
from dailypapers.web.accounts.sessions import current_viewer
from dailypapers.web.dependencies import NowDep, RendererDep, StorageDep
from dailypapers.web.feeds.topics import feed_secret
from dailypapers.web.rendering import Renderer

router = APIRouter(include_in_schema=False)
FOLLOWING_PAGE_SIZE = 50
Text = Annotated[str, Form()]


@router.get("/following", response_class=HTMLResponse)
def following_page(
    request: Request, member: MemberDep, storage: StorageDep, renderer: RendererDep
) -> Response:
    """Show what the member follows, and the newest papers from all of it."""
    followed = storage.user_follows(member.id)
    papers = follows.following_papers(
        storage=storage,
        follows=followed,
        limit=FOLLOWING_PAGE_SIZE,
        cache=request.app.state.follow_cache,
    )
    settings = storage.get_follow_settings(member.id)
    token = follows.feed_token(secret=feed_secret(request), user_id=member.id, settings=settings)
    return renderer.page(
        "following.html",
        follows=followed,
        papers=papers,
        feed_path=f"/feeds/private/{token}",
    )


def _answer(request: Request, renderer: Renderer, wanted: Follow, fallback: str) -> Response:
    if wants_fragment(request):
        return renderer.page("_follow_button.html", follow=wanted)
    path = same_site_path(request.headers.get("referer", ""), request)
    return see_other(local_path(path, fallback))


@router.post("/follows/add", response_class=HTMLResponse)
def add_follow(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    now: NowDep,
    kind: Text,
    target: Text,
) -> Response:
    """Follow an author, organization, category or search."""
    with storage.transaction():
        wanted = follows.follow(storage=storage, user=member, kind=kind, target=target, now=now)
    return _answer(request, renderer, wanted, "/following")


@router.post("/follows/remove", response_class=HTMLResponse)
def remove_follow(
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    kind: Text,
    target: Text,
) -> Response:
    """Stop following something."""
    wanted = follows.parse_follow(kind, target)
    # The button that comes back names it as it was followed (an organization's full name).
    shown = next(
        (
            f
            for f in storage.user_follows(member.id)
            if (f.kind, f.key) == (wanted.kind, wanted.key)
        ),
        wanted,
    )
    with storage.transaction():
        follows.unfollow(storage=storage, user=member, kind=kind, target=target)
    return _answer(request, renderer, shown, "/following")


@router.post("/settings/following")
def save_follow_settings(
    member: MemberDep, storage: StorageDep, public: Text = "", digest_following: Text = ""
) -> Response:
    """Show one's follows to others or not, and ask for them in the digest or not."""
    with storage.transaction():
        current = storage.get_follow_settings(member.id)
        storage.save_follow_settings(
            member.id,
            FollowSettings(
                public=public == "1",
                feed_version=current.feed_version,
                digest_following=digest_following == "1",
            ),
        )
    return see_other("/settings#following")


@router.post("/settings/following/feed")
def rotate_private_feed(member: MemberDep, storage: StorageDep) -> Response:
    """Give the member a new private feed address; the old one stops working."""
    with storage.transaction():
        follows.rotate_feed_token(storage=storage, user=member)
    return see_other("/settings#following")


@router.get("/users/{username}/following", response_class=HTMLResponse)
def member_follows(username: str, storage: StorageDep, renderer: RendererDep) -> Response:
    """Show what a member follows, to themselves, or to anyone if they made it public."""
    owner = storage.find_user(username)
    if owner is None:
        raise NotFound(f"there is no member named {username!r}")
    shown = follows.visible_follows(storage=storage, owner=owner, viewer=current_viewer())
    if shown is None:  # the same answer as for no such member: private means not there
        raise NotFound(f"{username} keeps what they follow private")
    return renderer.page("member_follows.html", owner=owner, follows=shown)


def saved_search_text(form: dict[str, Any]) -> str:
    """Write a search form's words and filter controls as one query of the search syntax."""
    parts = [str(form.get("q") or "").strip()]
    for name, field in (("author", "author"), ("cat", "cat"), ("org", "org")):
        value = str(form.get(field) or "").strip().replace('"', "")
        if value:
            parts.append(f'{name}:"{value}"' if " " in value else f"{name}:{value}")
    for name in ("after", "before"):
        if form.get(name):
            parts.append(f"{name}:{form[name]}")
    if form.get("has_code"):
        parts.append("has:code")
    return " ".join(part for part in parts if part)


def install_follow_helpers(
    renderer: Renderer, storage: Storage, request_secret: Callable[[], bytes]
) -> None:
    """Give templates the Follow button's state, verified authors and the follow settings."""

    def follow_state(follow: Follow) -> bool | None:
        viewer = current_viewer()
        if viewer is None:
            return None
        return follows.is_following(storage.user_follows(viewer.id), follow)

    def verified_authors(paper_id: str) -> dict[str, Any]:
        return claimed_names(storage, [paper_id]).get(paper_id, {})

    def my_follow_settings() -> dict[str, Any] | None:
        viewer = current_viewer()
        if viewer is None:
            return None
        settings = storage.get_follow_settings(viewer.id)
        token = follows.feed_token(secret=request_secret(), user_id=viewer.id, settings=settings)
        return {"settings": settings, "feed_path": f"/feeds/private/{token}"}

    def follow_of(kind: str, target: str) -> Follow | None:
        try:
            return follow_target(FollowKind(kind), target)
        except ValueError:
            return None

    renderer.environment.globals.update(
        follow_of=follow_of,
        saved_search_text=saved_search_text,
        follow_state=follow_state,
        verified_authors=verified_authors,
        my_follow_settings=my_follow_settings,
    )
    renderer.environment.filters["author_key"] = normalize_author_name
