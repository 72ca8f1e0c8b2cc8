"""What members do on a paper's page: upvote, comment, claim it, and moderate it.

Every action is a POST form that works without JavaScript (it redirects back);
with the enhancement script (HX-Request: true) a vote answers with the new button
and a comment with the new comment section, swapped in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.rate_limits import Action
from dailypapers.services import comments, moderation, organizations, votes
from dailypapers.services.comments import comment_threads
from dailypapers.services.errors import NotAllowed, NotFound
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import (
    MemberDep,
    enforce_rate_limit,
    local_path,
    same_site_path,
    see_other,
    wants_fragment,
)
from dailypapers.web.accounts.sessions import current_viewer
from dailypapers.web.dependencies import NowDep, RendererDep, StorageDep
from dailypapers.web.rendering import Renderer
from dailypapers.web.row_ids import RowId, optional_row_id

router = APIRouter(include_in_schema=False)


class Visibility(Convertor[str]):
    """Match the last path segment of moderation actions: hide or unhide."""

    regex = "hide|unhide"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("visibility", Visibility())

OptionalText = Annotated[str, Form()]


def paper_page_context(storage: Storage, item: FeaturedPaper) -> dict[str, Any]:
    """Return what the paper page shows of the community: comments and the viewer's options."""
    viewer = current_viewer()
    memberships = [m for m in storage.user_memberships(viewer.id) if m.accepted] if viewer else []
    claims = storage.authorship_claims(user_id=viewer.id, paper_id=item.paper.id) if viewer else []
    return {
        "threads": comment_threads(storage=storage, paper_id=item.paper.id),
        "viewer_organizations": [m.organization for m in memberships],
        "viewer_claim": claims[0] if claims else None,
        "dismissed": bool(viewer and storage.has_dismissed(viewer.id, item.paper.id)),
    }


def _back(request: Request, fallback: str) -> Response:
    """Redirect to the page the form was on (its Referer, if on this site), else the fallback."""
    path = same_site_path(request.headers.get("referer", ""), request)
    return see_other(local_path(path, fallback))


def _paper_path(paper_id: str) -> str:
    return f"/papers/{paper_id}"


# -- votes --------------------------------------------------------------------------------


@router.post("/papers/{paper_id:path}/upvote", response_class=HTMLResponse)
def upvote(
    paper_id: str,
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    now: NowDep,
    voted: OptionalText = "1",
    style: OptionalText = "card",
) -> Response:
    """Cast the member's vote (voted=1) or take it back (voted=0)."""
    enforce_rate_limit(request, Action.VOTE, account=member.id)
    with storage.transaction():
        state = votes.set_vote(
            storage=storage, user=member, paper_id=paper_id, voted=voted != "0", now=now
        )
    if wants_fragment(request):
        return renderer.page(
            "_vote.html",
            vote_paper_id=state.paper_id,
            vote_count=state.upvotes,
            vote_voted=state.voted,
            vote_style="inline" if style == "inline" else "card",
        )
    return _back(request, _paper_path(paper_id))


# -- comments -------------------------------------------------------------------------------


def _comments_fragment(renderer: Renderer, storage: Storage, paper_id: str) -> Response:
    found = storage.featured_papers([paper_id])
    if not found:
        raise NotFound(f"paper {paper_id} is not on this site")
    return renderer.page("_comments.html", item=found[0], **paper_page_context(storage, found[0]))


@router.post("/papers/{paper_id:path}/comments", response_class=HTMLResponse)
def post_comment(
    paper_id: str,
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    renderer: RendererDep,
    now: NowDep,
    body: Annotated[str, Form()],
    parent_id: OptionalText = "",
) -> Response:
    """Add a comment (or a reply) to the paper."""
    enforce_rate_limit(request, Action.COMMENT, account=member.id)
    parent = optional_row_id(parent_id)
    with storage.transaction():
        comment = comments.post_comment(
            storage=storage, user=member, paper_id=paper_id, body=body, now=now, parent_id=parent
        )
    if wants_fragment(request):
        return _comments_fragment(renderer, storage, paper_id)
    return see_other(f"{_paper_path(paper_id)}#comment-{comment.id}")


@router.get("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_comment_form(
    comment_id: RowId, member: MemberDep, storage: StorageDep, renderer: RendererDep
) -> Response:
    """Show the form that edits one's own comment."""
    comment = storage.get_comment(comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"there is no comment {comment_id}")
    if comment.author_id != member.id:
        raise NotAllowed("only its author can change a comment")
    return renderer.page("comment_edit.html", comment=comment)


@router.post("/comments/{comment_id}/edit")
def edit_comment(
    comment_id: RowId,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    body: Annotated[str, Form()],
) -> Response:
    """Replace the text of one's own comment."""
    with storage.transaction():
        comment = comments.edit_comment(
            storage=storage, user=member, comment_id=comment_id, body=body, now=now
        )
    return see_other(f"{_paper_path(comment.paper_id)}#comment-{comment.id}")


@router.post("/comments/{comment_id}/delete")
def delete_comment(
    comment_id: RowId, member: MemberDep, storage: StorageDep, now: NowDep
) -> Response:
    """Delete one's own comment."""
    with storage.transaction():
        comment = comments.delete_comment(
            storage=storage, user=member, comment_id=comment_id, now=now
        )
    return see_other(f"{_paper_path(comment.paper_id)}#comments")


@router.post("/comments/{comment_id}/{action:visibility}")
def hide_comment(
    comment_id: RowId, action: str, member: MemberDep, storage: StorageDep, now: NowDep
) -> Response:
    """Hide a comment, or show it again (moderators)."""
    with storage.transaction():
        comment = moderation.set_comment_hidden(
            storage=storage,
            moderator=member,
            comment_id=comment_id,
            hidden=action == "hide",
            now=now,
        )
    return see_other(f"{_paper_path(comment.paper_id)}#comment-{comment.id}")


# -- submissions, organizations, authorship ---------------------------------------------------


@router.post("/papers/{paper_id:path}/{action:visibility}")
def hide_submission(
    paper_id: str, action: str, member: MemberDep, storage: StorageDep, now: NowDep
) -> Response:
    """Take a submission off the listings, or put it back (moderators)."""
    with storage.transaction():
        moderation.set_submission_hidden(
            storage=storage, moderator=member, paper_id=paper_id, hidden=action == "hide", now=now
        )
    return see_other(_paper_path(paper_id))


@router.post("/papers/{paper_id:path}/organization")
def claim_for_organization(
    paper_id: str,
    member: MemberDep,
    storage: StorageDep,
    organization: Annotated[str, Form()],
) -> Response:
    """Credit the paper to one of the member's organizations."""
    with storage.transaction():
        organizations.claim_paper(
            storage=storage, user=member, organization=organization, paper_id=paper_id
        )
    return see_other(_paper_path(paper_id))


@router.post("/papers/{paper_id:path}/authorship")
def claim_authorship(
    paper_id: str,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    author_name: Annotated[str, Form()],
) -> Response:
    """Ask to be recognized as one of the paper's authors."""
    with storage.transaction():
        moderation.claim_authorship(
            storage=storage, user=member, paper_id=paper_id, author_name=author_name, now=now
        )
    return see_other(f"{_paper_path(paper_id)}#authorship")
