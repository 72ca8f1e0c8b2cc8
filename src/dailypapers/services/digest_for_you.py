"""The "For you" section of a member's email digest, from the same recommender as the site.

A reader gets it when their address is a member's who asked for it on the settings page.
Its papers are the member's best of the digest's period that the reader was never sent and
that the digest does not already hold, so no paper is ever sent twice; it takes only the
room the digest's other sections leave under MAX_DIGEST_PAPERS.
"""

from __future__ import annotations

from datetime import datetime

from dailypapers.domain.digests import MAX_DIGEST_PAPERS, DigestPlan, DigestSection
from dailypapers.domain.periods import Period
from dailypapers.services.recommendations import recommend_for_member
from dailypapers.storage.base import Storage

FOR_YOU_HEADING = "For you"
FOR_YOU_PAPERS = 5


def with_for_you_section(
    plan: DigestPlan,
    *,
    storage: Storage,
    member_id: int | None,
    period: Period,
    already_sent: set[str] | frozenset[str],
    now: datetime,
) -> DigestPlan:
    """Return the plan with the member's "For you" section after the others (if any)."""
    room = min(FOR_YOU_PAPERS, MAX_DIGEST_PAPERS - len(plan.paper_ids))
    if member_id is None or room <= 0:
        return plan
    found = recommend_for_member(
        storage=storage,
        user_id=member_id,
        start=period.start,
        end=period.end,
        limit=room,
        now=now,
        exclude=set(already_sent) | set(plan.paper_ids),
    )
    if not found.personal or not found.items:
        return plan  # trending is in the digest already: no section without a model
    chosen = tuple(item.item.paper.id for item in found.items)
    return DigestPlan((*plan.sections, DigestSection(FOR_YOU_HEADING, chosen)))
