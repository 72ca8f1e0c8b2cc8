"""Members' fitted models as For you's requests use them: read, scored and explained once.

A request for a member with a model needs the model (parsed from its row: 0.4 ms at 200
likes), the window's papers scored by it (1.4 ms for a week of 4,795 papers) and the vectors
of the likes that name the reasons (1.2 ms). Each stays the same from one request to the
next until the model is refitted (after any like or dislike), the window is read afresh
(once a minute) or the likes change, so it is kept for the members who asked last and
checked on every request against the model's version (one short row read) and the window's
read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dailypapers.domain.recommendations import MemberModel
from dailypapers.search.member_model import FittedMember, score_member
from dailypapers.storage.base import Storage
from dailypapers.storage.search_types import Vectors

if TYPE_CHECKING:
    from dailypapers.services.recommendations import Window

# Members kept, the least recently asked for forgotten first: each is about 0.7 MB at 200
# likes and a week of 4,795 papers (the model's words and authors, the likes' vectors, the
# scores), so at most about 22 MB. A window's papers are not kept here, only which read of
# them the scores are of: a member gone for an hour must not hold an old week in memory.
KEPT_MEMBERS = 32


@dataclass(frozen=True, slots=True)
class Scored:
    """A window's papers as one member's model scores them."""

    window: int  # the window's serial
    scores: NDArray[np.float32]
    ranked: NDArray[np.intp]  # the window's rows, best score first


@dataclass(frozen=True, slots=True)
class Likes:
    """The vectors of a member's newest likes, as read with a window."""

    window: int  # the window's serial: a like's vector stored since is read within a minute
    likes: tuple[str, ...]
    ids: list[str]  # those likes that have a vector, in order
    vectors: Vectors


class KeptMember:
    """A member's model, its scores of the last window asked for, the last likes' vectors.

    Requests of one member may run at once: each part is replaced whole, never changed, so
    at worst two requests compute the same part.
    """

    def __init__(self, model: MemberModel) -> None:
        self.model = model
        self._scored: Scored | None = None
        self._likes: Likes | None = None

    def scored(self, window: Window) -> Scored:
        """Return the window's papers scored by the model (kept while it is the same window)."""
        kept = self._scored
        if kept is None or kept.window != window.serial:
            model = self.model
            scores = score_member(
                window.vectors,
                window.words.terms,
                window.words.authors,
                FittedMember(model.weights, model.bias, model.terms, model.authors),
            )
            ranked = np.argsort(-scores, kind="stable")
            kept = self._scored = Scored(window.serial, scores, ranked)
        return kept

    def like_vectors(
        self, storage: Storage, likes: tuple[str, ...], window: Window
    ) -> tuple[list[str], Vectors]:
        """Return the ids (in order) and vectors of those likes that have one."""
        kept = self._likes
        if kept is None or kept.likes != likes or kept.window != window.serial:
            ids, vectors = storage.paper_vectors(model=self.model.model, paper_ids=likes)
            kept = self._likes = Likes(window.serial, likes, ids, vectors)
        return kept.ids, kept.vectors


def read_member(storage: Storage, user_id: int) -> KeptMember | None:
    """Return the member's model read afresh, kept by nobody (None: none is fitted)."""
    model = storage.get_member_model(user_id)
    return KeptMember(model) if model is not None else None


class MemberModels:
    """The models of the members who asked last, each kept while it is the one fitted."""

    def __init__(self, *, kept: int = KEPT_MEMBERS) -> None:
        self.kept = kept
        self._members: OrderedDict[int, tuple[tuple[int, datetime], KeptMember]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, storage: Storage, user_id: int) -> KeptMember | None:
        """Return the member's current model (None: none is fitted)."""
        # The version first: the model read after it is never older than it (a refit in
        # between is kept under the older version, and so read again next time).
        version = storage.member_model_version(user_id)
        if version is None:
            return None
        with self._lock:
            kept = self._members.get(user_id)
            if kept is not None and kept[0] == version:
                self._members.move_to_end(user_id)
                return kept[1]
        member = read_member(storage, user_id)
        if member is None:  # forgotten since the version was read
            return None
        with self._lock:
            self._members[user_id] = (version, member)
            self._members.move_to_end(user_id)
            while len(self._members) > self.kept:
                self._members.popitem(last=False)
        return member
