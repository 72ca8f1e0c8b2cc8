"""Comment on papers in Markdown, reply one level deep, edit and delete one's own."""

from __future__ import annotations

from datetime import datetime

from dailypapers.domain.accounts import User
from dailypapers.domain.community import Comment, CommentThread, thread_comments, validate_comment
from dailypapers.services.errors import InvalidInput, NotAllowed, NotFound
from dailypapers.storage.base import Storage
from dailypapers.storage.community_protocol import CommunityStore


def _checked_body(body: str) -> str:
    try:
        return validate_comment(body)
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def post_comment(
    *,
    storage: Storage,
    user: User,
    paper_id: str,
    body: str,
    now: datetime,
    parent_id: int | None = None,
) -> Comment:
    """Add the member's comment to the paper; a reply to a reply joins the top-level thread."""
    if user.banned:
        raise NotAllowed("banned members cannot comment")
    text = _checked_body(body)
    if not storage.get_papers([paper_id]):
        raise NotFound(f"paper {paper_id} is not on this site")
    if parent_id is not None:
        parent = storage.get_comment(parent_id)
        if parent is None or parent.paper_id != paper_id:
            raise NotFound(f"paper {paper_id} has no comment {parent_id}")
        parent_id = parent.parent_id or parent.id  # threads are one level deep
    comment_id = storage.add_comment(
        paper_id=paper_id, user_id=user.id, parent_id=parent_id, body=text, now=now
    )
    comment = storage.get_comment(comment_id)
    assert comment is not None  # just written, in this transaction
    return comment


def _own_comment(storage: CommunityStore, user: User, comment_id: int) -> Comment:
    """Return the comment if it is the member's and still there; refuse otherwise."""
    comment = storage.get_comment(comment_id)
    if comment is None or comment.deleted:
        raise NotFound(f"there is no comment {comment_id}")
    if comment.author_id != user.id or user.banned:
        raise NotAllowed("only its author can change a comment")
    return comment


def edit_comment(
    *, storage: CommunityStore, user: User, comment_id: int, body: str, now: datetime
) -> Comment:
    """Replace the text of the member's own comment."""
    _own_comment(storage, user, comment_id)
    storage.edit_comment(comment_id, body=_checked_body(body), now=now)
    comment = storage.get_comment(comment_id)
    assert comment is not None
    return comment


def delete_comment(
    *, storage: CommunityStore, user: User, comment_id: int, now: datetime
) -> Comment:
    """Delete the member's own comment; its replies stay under a placeholder."""
    comment = _own_comment(storage, user, comment_id)
    storage.delete_comment(comment_id, now=now)
    return comment


def comment_threads(*, storage: CommunityStore, paper_id: str) -> list[CommentThread]:
    """Return the paper's comments as threads, oldest first."""
    return thread_comments(storage.paper_comments(paper_id))
