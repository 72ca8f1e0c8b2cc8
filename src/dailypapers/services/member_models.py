"""Members' For you as requests use it: signals, model, scores and picks, kept per member.

A request for a member with a model needs every paper they acted on (to leave out: a fifth
of a request at 900 likes), the model (parsed from its row: 0.4 ms at 200 likes), the
window's papers scored by it (1.4 ms for a week of 4,795 papers), and the picks: the best
unseen papers and the like that names each one's reason (a tenth of a request). Each stays
the same until the member likes or dislikes something, the model is refitted (after that)
or the window is read afresh (once a minute), so it is kept for the members who asked last
and checked on every request against one short row (`member_versions`) and the window's
read. The papers themselves (their votes, their comments) are read on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dailypapers.domain.recommendations import MemberModel, MemberSignals, MemberVersions
from dailypapers.search.member_model import FittedMember, score_member
from dailypapers.storage.base import Storage
from dailypapers.storage.search_types import Vectors

if TYPE_CHECKING:
    from dailypapers.services.recommendations import Window

MAX_SEEN = 50_000  # papers acted on that a request leaves out (all of them, in practice)
# Members kept, the least recently asked for forgotten first: each is about 0.7 MB at 200
# likes and a week of 4,795 papers (the model's words and authors, the likes' vectors, the
# scores), so at most about 22 MB. A window's papers are not kept here, only which read of
# them the scores are of: a member gone for an hour must not hold an old week in memory.
KEPT_MEMBERS = 32
# What a member's picks are of: the window's read, the signals version, how many, and the
# papers left out besides those acted on.
PicksKey = tuple[int, int | None, int, frozenset[str]]


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


@dataclass(frozen=True, slots=True)
class Picks:
    """What For you shows a member from a window: its rows, best first, and their reasons."""

    rows: list[int]
    scores: list[float]
    because: dict[int, tuple[str, str | None]]  # per place in rows: a like, a shared author
    excluded: int  # papers of the window left out as already seen


class KeptMember:
    """A member's model, its scores of the last window asked for, the last likes' vectors,
    the last picks.

    Requests of one member may run at once: each part is replaced whole, never changed, so
    at worst two requests compute the same part.
    """

    def __init__(self, model: MemberModel) -> None:
        self.model = model
        self._scored: Scored | None = None
        self._likes: Likes | None = None
        self._picks: tuple[PicksKey, Picks] | None = None

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

    def picks(self, key: PicksKey, pick: Callable[[], Picks]) -> Picks:
        """Return the picks of `key`, picked by `pick` unless they are the ones kept."""
        kept = self._picks
        if kept is None or kept[0] != key:
            kept = self._picks = (key, pick())
        return kept[1]


@dataclass(frozen=True, slots=True)
class Member:
    """A member's signals and model, as a request reads them."""

    signals: MemberSignals
    signals_version: int | None  # None: read afresh, or they never acted on a paper
    model: KeptMember | None  # None: no model is fitted


def read_member(storage: Storage, user_id: int) -> Member:
    """Return the member's signals and model read afresh, kept by nobody."""
    model = storage.get_member_model(user_id)
    signals = storage.member_signals(user_id, limit=MAX_SEEN)
    return Member(signals, None, KeptMember(model) if model is not None else None)


class MemberModels:
    """The signals and models of the members who asked last, each kept while current."""

    def __init__(self, *, kept: int = KEPT_MEMBERS) -> None:
        self.kept = kept
        self._members: OrderedDict[int, tuple[MemberVersions, Member]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, storage: Storage, user_id: int) -> Member:
        """Return the member's current signals and model."""
        # The versions first: what is read after them is never older (a change in between
        # is kept under the older version, and so read again next time).
        versions = storage.member_versions(user_id)
        if versions is None:  # nothing to keep: they never acted on a paper
            return read_member(storage, user_id)
        with self._lock:
            kept = self._members.get(user_id)
            if kept is not None:
                self._members.move_to_end(user_id)
        if kept is not None and kept[0] == versions:
            return kept[1]
        if kept is not None and kept[0].signals == versions.signals:
            signals = kept[1].signals
        else:
            signals = storage.member_signals(user_id, limit=MAX_SEEN)
        if kept is not None and kept[0].fit == versions.fit:
            model = kept[1].model
        else:
            fitted = storage.get_member_model(user_id) if versions.fit else None
            model = KeptMember(fitted) if fitted is not None else None
        member = Member(signals, versions.signals, model)
        with self._lock:
            self._members[user_id] = (versions, member)
            self._members.move_to_end(user_id)
            while len(self._members) > self.kept:
                self._members.popitem(last=False)
        return member
