"""Upvote a paper and take the vote back: one vote per member and paper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dailypapers.domain.accounts import User
from dailypapers.services.errors import NotAllowed, NotFound
from dailypapers.storage.base import Storage


@dataclass(frozen=True, slots=True)
class VoteState:
    """A paper's live upvote count and whether the member's vote is in it."""

    paper_id: str
    upvotes: int
    voted: bool


def set_vote(
    *, storage: Storage, user: User, paper_id: str, voted: bool, now: datetime
) -> VoteState:
    """Cast or take back the member's vote; doing it twice changes nothing.

    The database's primary key on (member, paper) settles racing clicks, and the
    paper's count changes in the same transaction as the vote row.
    """
    if user.banned:
        raise NotAllowed("banned members cannot vote")
    if not storage.get_papers([paper_id]):
        raise NotFound(f"paper {paper_id} is not on this site")
    if voted:
        storage.add_vote(user_id=user.id, paper_id=paper_id, now=now)
    else:
        storage.remove_vote(user_id=user.id, paper_id=paper_id)
    storage.mark_signals_changed(user.id)  # For you: refit this member's model
    return vote_state(storage=storage, user=user, paper_id=paper_id)


def vote_state(*, storage: Storage, user: User | None, paper_id: str) -> VoteState:
    """Return the paper's live count and whether this member (if any) voted for it."""
    paper = storage.get_papers([paper_id]).get(paper_id)
    if paper is None:
        raise NotFound(f"paper {paper_id} is not on this site")
    voted = user is not None and bool(storage.voted_paper_ids(user.id, [paper_id]))
    return VoteState(paper_id, paper.upvotes, voted)
