"""The write API: upvotes, submissions and comments, authorized by personal access tokens.

Only `Authorization: Bearer TOKEN` counts here, never a cookie, so another site
cannot make a visitor's browser act through the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dailypapers.domain.accounts import User
from dailypapers.domain.community import Comment
from dailypapers.domain.rate_limits import Action
from dailypapers.services import comments, votes
from dailypapers.services.submissions import (
    check_may_submit,
    feature_submission,
    fetch_from_arxiv,
    typed_paper,
)
from dailypapers.web.accounts.auth import AccountsDep, ApiUserDep, enforce_rate_limit
from dailypapers.web.accounts.community_rendering import comment_html
from dailypapers.web.api.hf_json import paper_json, timestamp
from dailypapers.web.api.papers import PaperId, json_response
from dailypapers.web.dependencies import NowDep, SettingsDep, StorageDep
from dailypapers.web.row_ids import RowId, optional_row_id

router = APIRouter(prefix="/api", tags=["community"])


def user_json(user: User) -> dict[str, Any]:
    """Return a member as Hugging Face's API shows one."""
    return {
        "user": user.username,
        "name": user.username,
        "fullname": user.shown_name,
        "type": "user",
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    """Return a comment; a deleted or hidden one keeps its place but not its text."""
    return {
        "id": str(comment.id),
        "paperId": comment.paper_id,
        "parentId": str(comment.parent_id) if comment.parent_id else None,
        "author": {"user": comment.author_username, "fullname": comment.author_fullname},
        "createdAt": timestamp(comment.created_at),
        "editedAt": timestamp(comment.edited_at),
        "deleted": comment.deleted,
        "hidden": comment.hidden,
        "raw": comment.body if comment.visible else None,
        "html": str(comment_html(comment.body)) if comment.visible else None,
    }


@router.get("/whoami")
def whoami(user: ApiUserDep) -> Response:
    """Return the member the token belongs to."""
    return json_response({**user_json(user), "role": user.role.value})


def _vote(
    request: Request, user: User, storage: StorageDep, paper_id: str, voted: bool, now: Any
) -> Response:
    enforce_rate_limit(request, Action.VOTE, account=user.id)
    with storage.transaction():
        state = votes.set_vote(storage=storage, user=user, paper_id=paper_id, voted=voted, now=now)
    return json_response(
        {"paperId": state.paper_id, "upvotes": state.upvotes, "voted": state.voted}
    )


@router.post("/papers/{paper_id:arxiv_id}/upvote")
def upvote(
    paper_id: PaperId, request: Request, user: ApiUserDep, storage: StorageDep, now: NowDep
) -> Response:
    """Upvote the paper (again: no change); return its live count."""
    return _vote(request, user, storage, paper_id, True, now)


@router.delete("/papers/{paper_id:arxiv_id}/upvote")
def take_back_upvote(
    paper_id: PaperId, request: Request, user: ApiUserDep, storage: StorageDep, now: NowDep
) -> Response:
    """Take the upvote back (if there was none: no change); return the live count."""
    return _vote(request, user, storage, paper_id, False, now)


class SubmissionIn(BaseModel):
    """A paper to feature: an arXiv id or URL, or the details typed in."""

    paper: str = Field(description="arXiv id or URL")
    organization: str | None = None
    title: str | None = Field(None, description="with summary and authors: skip arXiv")
    summary: str = ""
    authors: list[str] = []
    link: str = ""


@router.post("/papers", status_code=201)
def submit(
    body: SubmissionIn,
    request: Request,
    user: ApiUserDep,
    storage: StorageDep,
    settings: SettingsDep,
    config: AccountsDep,
    now: NowDep,
) -> Response:
    """Feature a paper today; 200 with the paper if it was featured before."""
    enforce_rate_limit(request, Action.SUBMIT, account=user.id)
    check_may_submit(
        storage=storage, user=user, policy=config.submit_policy, organization=body.organization
    )
    if body.title is not None or config.fetcher is None:
        paper = typed_paper(
            text=body.paper,
            title=body.title or "",
            abstract=body.summary,
            authors=", ".join(name.replace(",", " ") for name in body.authors),
            link=body.link,
        )
    else:
        paper = fetch_from_arxiv(
            fetcher=config.fetcher, api_url=settings.arxiv_api_url, text=body.paper
        )
    with storage.transaction():
        submitted = feature_submission(
            storage=storage,
            user=user,
            paper=paper,
            organization=body.organization,
            now=now,
            refresh=body.title is None,
        )
    response = json_response(paper_json(submitted.featured))
    response.status_code = 200 if submitted.already_featured else 201
    return response


class CommentIn(BaseModel):
    """A comment's Markdown text, and the comment it replies to."""

    body: str
    parentId: str | None = None


@router.get("/papers/{paper_id:arxiv_id}/comments")
def list_comments(paper_id: PaperId, storage: StorageDep) -> Response:
    """Return the paper's comments as threads, oldest first."""
    threads = comments.comment_threads(storage=storage, paper_id=paper_id)
    return json_response(
        [
            {**comment_json(thread.comment), "replies": [comment_json(r) for r in thread.replies]}
            for thread in threads
        ]
    )


@router.post("/papers/{paper_id:arxiv_id}/comments", status_code=201)
def post_comment(
    paper_id: PaperId,
    body: CommentIn,
    request: Request,
    user: ApiUserDep,
    storage: StorageDep,
    now: NowDep,
) -> Response:
    """Comment on the paper (or reply to one of its comments)."""
    enforce_rate_limit(request, Action.COMMENT, account=user.id)
    parent = optional_row_id(body.parentId)
    with storage.transaction():
        comment = comments.post_comment(
            storage=storage, user=user, paper_id=paper_id, body=body.body, now=now, parent_id=parent
        )
    response = json_response(comment_json(comment))
    response.status_code = 201
    return response


@router.patch("/comments/{comment_id}")
def edit_comment(
    comment_id: RowId, body: CommentIn, user: ApiUserDep, storage: StorageDep, now: NowDep
) -> Response:
    """Replace the text of one's own comment."""
    with storage.transaction():
        comment = comments.edit_comment(
            storage=storage, user=user, comment_id=comment_id, body=body.body, now=now
        )
    return json_response(comment_json(comment))


@router.delete("/comments/{comment_id}", status_code=204)
def delete_comment(
    comment_id: RowId, user: ApiUserDep, storage: StorageDep, now: NowDep
) -> Response:
    """Delete one's own comment."""
    with storage.transaction():
        comments.delete_comment(storage=storage, user=user, comment_id=comment_id, now=now)
    return Response(status_code=204)
