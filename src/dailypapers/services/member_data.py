"""A member's own data: everything about them as one JSON document, and deleting the account."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from dailypapers.domain.accounts import User
from dailypapers.services.collections import collection_papers
from dailypapers.services.errors import NotAllowed
from dailypapers.services.passwords import verify_password
from dailypapers.services.subscriptions import unsubscribe
from dailypapers.storage.base import Storage

EXPORT_FORMAT = "dailypapers-member-export/1"


def _plain(value: Any) -> Any:
    """Return a value JSON can hold: dataclasses as dicts, moments as ISO text, enums as values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value


def export_member_data(*, storage: Storage, user: User, now: datetime) -> dict[str, Any]:
    """Return everything the site holds about the member, readable by them and by programs."""
    activity = storage.member_activity(user.id)
    follow_settings = storage.get_follow_settings(user.id)
    subscriber = storage.find_subscriber(user.email)
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": now.isoformat(),
        "profile": {
            "username": user.username,
            "fullname": user.fullname,
            "email": user.email,
            "role": user.role.value,
            "createdAt": user.created_at.isoformat(),
        },
        "settings": {
            "accessTokens": [
                {
                    "name": t.name,
                    "createdAt": _plain(t.created_at),
                    "lastUsedAt": _plain(t.last_used_at),
                }
                for t in storage.list_access_tokens(user.id)
            ],
            "organizations": [_plain(m) for m in storage.user_memberships(user.id)],
            "digest": _plain(subscriber) if subscriber else None,
            "digestForYou": bool(storage.digest_for_you_members([user.email])),
            "upvotesPublic": storage.upvotes_public(user.id),
            "followsPublic": follow_settings.public,
            "digestFollowing": follow_settings.digest_following,
        },
        **activity,
        "collections": [
            {
                "name": collection.name,
                "description": collection.description,
                "public": collection.public,
                "default": collection.is_default,
                "createdAt": collection.created_at.isoformat(),
                "papers": [
                    {
                        "paper": item.paper.id,
                        "title": item.paper.title,
                        "note": entry.note,
                        "addedAt": entry.added_at.isoformat(),
                    }
                    for item, entry in collection_papers(storage=storage, collection=collection)
                ],
            }
            for collection in storage.user_collections(user.id)
        ],
    }


def delete_account(
    *,
    storage: Storage,
    hasher: PasswordHasher,
    user: User,
    password: str,
    remove_comments: bool,
    now: datetime,
) -> None:
    """Delete the member's account after checking their password.

    Their votes, collections, signals, sessions, tokens and digest subscription go; their
    comments stay under "deleted member", or are removed as if they had deleted each one.
    """
    if not verify_password(hasher, storage.get_password_hash(user.id), password):
        raise NotAllowed("the password is not right: the account was not deleted")
    subscriber = storage.find_subscriber(user.email)
    with storage.transaction():
        if subscriber is not None:
            unsubscribe(storage=storage, subscriber=subscriber, now=now)
        storage.erase_member(user.id, remove_comments=remove_comments, now=now)
