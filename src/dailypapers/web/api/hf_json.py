"""Papers in the JSON shapes of Hugging Face's API, so its clients read them as is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from dailypapers.domain.authors import ClaimedAuthor, normalize_author_name
from dailypapers.domain.papers import FeaturedPaper, Organization


def timestamp(value: datetime | None) -> str | None:
    """Format a time the way Hugging Face does: 2025-10-16T10:40:52.000Z."""
    if value is None:
        return None
    # isoformat, not strftime: a third of the time, and fifty papers have three each.
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


_REPEATED = ("ai_summary", "ai_keywords", "githubRepo", "githubStars", "projectPage")


def _organization(organization: Organization | None) -> dict[str, Any] | None:
    if organization is None:
        return None
    return {
        "name": organization.name,
        "fullname": organization.fullname,
        "avatar": organization.avatar_url,
    }


def _user(username: str | None, key: str) -> dict[str, Any] | None:
    if not username:
        return None
    return {key: username, "user": username, "fullname": username, "type": "user"}


def _author(name: str, claims: Mapping[str, ClaimedAuthor]) -> dict[str, Any]:
    """Return an author; one a member claimed (and an admin approved) names that member."""
    claim = claims.get(normalize_author_name(name)) if claims else None
    if claim is None:
        return {"name": name, "hidden": False}
    return {
        "name": name,
        "hidden": False,
        "status": "claimed_verified",
        "user": {
            "user": claim.username,
            "fullname": claim.fullname or claim.username,
            "type": "user",
        },
    }


def paper_json(
    item: FeaturedPaper, claims: Mapping[str, ClaimedAuthor] | None = None
) -> dict[str, Any]:
    """Return the paper object of `/api/papers/{id}` and of each daily entry.

    `claims` maps folded author names to the members verified as those authors.
    """
    paper, entry = item.paper, item.entry
    data: dict[str, Any] = {
        "id": paper.id,
        "authors": [_author(name, claims or {}) for name in paper.authors],
        "publishedAt": timestamp(paper.published_at),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "numComments": paper.num_comments,
        "categories": list(paper.categories),
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords) or None,
        "githubRepo": paper.github_repo,
        "githubStars": paper.github_stars,
        "projectPage": paper.project_page,
        "organization": _organization(item.organization),
    }
    if entry is not None:
        data["submittedOnDailyAt"] = timestamp(entry.featured_at)
        data["submittedOnDailyBy"] = _user(entry.submitted_by, "user")
    return {key: value for key, value in data.items() if value is not None}


def daily_entry_json(
    item: FeaturedPaper, claims: Mapping[str, ClaimedAuthor] | None = None
) -> dict[str, Any]:
    """Return one entry of `/api/daily_papers`.

    The paper's links and AI fields are repeated at the top level, where
    huggingface_hub's PaperInfo looks for them.
    """
    paper, entry = item.paper, item.entry
    nested = paper_json(item, claims)
    data: dict[str, Any] = {
        "paper": nested,
        "publishedAt": timestamp(entry.featured_at if entry else paper.published_at),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": paper.num_comments,
        "submittedBy": _user(entry.submitted_by if entry else None, "name"),
        "organization": _organization(item.organization),
        "isAuthorParticipating": False,
        **{key: nested[key] for key in _REPEATED if key in nested},
    }
    return {key: value for key, value in data.items() if value is not None}


def daily_entry_fragment(
    item: FeaturedPaper, claims: Mapping[str, ClaimedAuthor] | None = None
) -> orjson.Fragment:
    """Return one entry of `/api/daily_papers` as JSON, for orjson to place as it is.

    An entry with no claimed author is a function of the item alone, so its JSON is kept
    under the item's values (a vote or an edit makes a new key): building and encoding
    fifty of them was a third of the listing's time.
    """
    if claims:
        return orjson.Fragment(orjson.dumps(daily_entry_json(item, claims)))
    return orjson.Fragment(_unclaimed_entry_json(item))


@lru_cache(maxsize=1024)
def _unclaimed_entry_json(item: FeaturedPaper) -> bytes:
    return orjson.dumps(daily_entry_json(item))
