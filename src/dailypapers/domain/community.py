"""What members make together: comments, organizations and authorship claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

MAX_COMMENT_LENGTH = 10_000


class MemberRole(StrEnum):
    """A member's standing in an organization."""

    OWNER = "owner"  # also invites and removes members
    MEMBER = "member"


class ClaimStatus(StrEnum):
    """Where an authorship claim stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Comment:
    """A member's Markdown comment on a paper, or a reply to one."""

    id: int
    paper_id: str
    author_id: int
    author_username: str
    author_fullname: str
    body: str  # Markdown, as written; rendered and sanitized only when shown
    created_at: datetime
    parent_id: int | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    hidden: bool = False

    @property
    def visible(self) -> bool:
        """Tell whether everyone may read the comment."""
        return not (self.deleted or self.hidden)


@dataclass(frozen=True, slots=True)
class CommentThread:
    """A top-level comment and its replies, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def thread_comments(comments: Iterable[Comment]) -> list[CommentThread]:
    """Group comments into threads one level deep, oldest first.

    A deleted comment stays as a placeholder while it has replies, so the replies keep
    their context; without replies it is left out. A hidden one always stays: its
    author and the moderators still read it, others see that a moderator hid it.
    """
    ordered = sorted(comments, key=lambda comment: (comment.created_at, comment.id))
    threads = {c.id: CommentThread(c) for c in ordered if c.parent_id is None}
    for comment in ordered:
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return [
        thread
        for thread in threads.values()
        if not thread.comment.deleted or any(not reply.deleted for reply in thread.replies)
    ]


def validate_comment(body: str) -> str:
    """Return the comment's text trimmed; raise ValueError if it is empty or too long."""
    text = body.replace("\x00", "").strip()
    if not text:
        raise ValueError("a comment cannot be empty")
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValueError(f"a comment has at most {MAX_COMMENT_LENGTH} characters")
    return text


@dataclass(frozen=True, slots=True)
class Membership:
    """A member's place in an organization, or an invitation to one."""

    organization: str
    user_id: int
    username: str
    fullname: str
    role: MemberRole
    accepted: bool  # False while the invitation waits for an answer


@dataclass(frozen=True, slots=True)
class AuthorshipClaim:
    """A member's request to be listed as one of a paper's authors."""

    id: int
    paper_id: str
    user_id: int
    username: str
    author_name: str  # the name on the paper that the member says is theirs
    status: ClaimStatus
    created_at: datetime
    decided_at: datetime | None = None
