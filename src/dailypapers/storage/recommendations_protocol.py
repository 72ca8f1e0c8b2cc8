"""The storage interface of recommendations: signals, fitted member models, paper vectors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from dailypapers.domain.recommendations import MemberModel, MemberSignals, MemberVersions
from dailypapers.storage.search_types import Vectors


class RecommendationStore(Protocol):
    """What the recommender reads and writes."""

    def dismiss_paper(self, *, user_id: int, paper_id: str, now: datetime) -> None:
        """Record that the member is not interested in the paper (again: no change)."""
        ...

    def undismiss_paper(self, *, user_id: int, paper_id: str) -> bool:
        """Forget a "not interested"; False if there was none."""
        ...

    def add_interest_seeds(self, *, user_id: int, paper_ids: Sequence[str], now: datetime) -> int:
        """Record papers the member named as interesting; return how many were new."""
        ...

    def member_signals(self, user_id: int, *, limit: int) -> MemberSignals:
        """Return the member's positives (votes, saves, seeds) and negatives, newest first."""
        ...

    def has_dismissed(self, user_id: int, paper_id: str) -> bool:
        """Return whether the member said "not interested" in the paper."""
        ...

    def mark_signals_changed(self, user_id: int) -> None:
        """Note that the member's signals changed, so their model gets refitted."""
        ...

    def stale_member_models(self, *, limit: int) -> list[tuple[int, int]]:
        """Return (member id, signals version) of members whose model is out of date."""
        ...

    def any_member_models(self) -> bool:
        """Return whether any member has a For you model (fitted or waiting to be)."""
        ...

    def save_member_model(self, model: MemberModel, *, fitted_version: int) -> None:
        """Store the member's fitted model as of that signals version."""
        ...

    def forget_member_model(self, user_id: int, *, fitted_version: int) -> None:
        """Drop the member's model (they have no likes left) as of that signals version."""
        ...

    def get_member_model(self, user_id: int) -> MemberModel | None:
        """Return the member's fitted model, if one was fitted."""
        ...

    def member_versions(self, user_id: int) -> MemberVersions | None:
        """Return the member's signals version and which fit their model is (None: they
        never liked or disliked anything): one short row, read on every For you request."""
        ...

    def set_digest_for_you(self, user_id: int, *, enabled: bool, now: datetime) -> None:
        """Turn the member's "For you" digest section on or off."""
        ...

    def digest_for_you_members(self, emails: Sequence[str]) -> dict[str, int]:
        """Return, among these addresses, the unbanned members who want a "For you" section."""
        ...

    def featured_vectors(
        self, *, model: str, start: date, end: date, limit: int | None = None
    ) -> tuple[list[str], Vectors]:
        """Return ids and vectors of papers featured in [start, end), newest first if limited."""
        ...

    def paper_vectors(self, *, model: str, paper_ids: Sequence[str]) -> tuple[list[str], Vectors]:
        """Return the ids (in the order given) and vectors of those papers that have one."""
        ...

    def paper_texts(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Return "title. abstract" and the authors of those papers that are stored, by id."""
        ...
