"""What a member's profile shows to whom: upvotes and follows are the member's own business
until they make them public on their settings page; collections are public one by one."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.domain.accounts import User
from dailypapers.domain.collections import Collection
from dailypapers.domain.follows import Follow
from dailypapers.services.follows import visible_follows
from dailypapers.storage.base import Storage

PROFILE_LIST_LENGTH = 50


@dataclass(frozen=True, slots=True)
class VisibleProfile:
    """A member's activity as one viewer may see it (None: kept private from this viewer)."""

    member: User
    own: bool  # the viewer is the member
    upvoted: list[str] | None  # paper ids, latest vote first
    upvotes_public: bool
    follows: list[Follow] | None
    follows_public: bool
    collections: list[Collection]  # the public ones, or all of them for the member


def visible_profile(*, storage: Storage, member: User, viewer: User | None) -> VisibleProfile:
    """Return what the viewer (None: signed out) may see of the member's activity."""
    own = viewer is not None and viewer.id == member.id
    upvotes_public = storage.upvotes_public(member.id)
    return VisibleProfile(
        member=member,
        own=own,
        upvoted=storage.user_vote_ids(member.id, limit=PROFILE_LIST_LENGTH)
        if own or upvotes_public
        else None,
        upvotes_public=upvotes_public,
        follows=visible_follows(storage=storage, owner=member, viewer=viewer),
        follows_public=storage.get_follow_settings(member.id).public,
        collections=storage.user_collections(member.id, public_only=not own),
    )
