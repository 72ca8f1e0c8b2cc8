"""Follow authors, organizations, categories and searches; list what is new from them."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from dailypapers.domain.accounts import User
from dailypapers.domain.follows import (
    MAX_FOLLOWS,
    Follow,
    FollowKind,
    FollowSettings,
    follow_target,
    parse_follow_kind,
)
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.search_query import every_word, parse_query
from dailypapers.services.errors import InvalidInput, NotFound
from dailypapers.storage.base import Storage
from dailypapers.storage.follows_protocol import FollowStore, ListedUnder
from dailypapers.storage.search_types import WordsVersion

PER_FOLLOW = 20  # newest papers asked of each follow: a page of 50 rarely needs more
OLDEST = datetime.min.replace(tzinfo=UTC)  # where an undated paper sorts
FEED_TOKEN_PURPOSE = b"dailypapers private feed"


@dataclass(frozen=True, slots=True)
class FollowedPaper:
    """A paper on a member's Following page, and the follows that brought it there."""

    item: FeaturedPaper
    reasons: tuple[Follow, ...]


def parse_follow(kind: str, target: str) -> Follow:
    """Return the follow a form or API call names; InvalidInput saying what is wrong."""
    try:
        return follow_target(parse_follow_kind(kind), target)
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def follow(*, storage: Storage, user: User, kind: str, target: str, now: datetime) -> Follow:
    """Follow the target; the caller owns the transaction."""
    wanted = parse_follow(kind, target)
    if wanted.kind is FollowKind.ORGANIZATION:
        organization = storage.get_organization(wanted.key)
        if organization is None:
            raise NotFound(f"no organization named {wanted.key!r}")
        wanted = replace(wanted, label=organization.fullname)
    if len(storage.user_follows(user.id)) >= MAX_FOLLOWS:
        raise InvalidInput(f"you follow {MAX_FOLLOWS} things already: unfollow some first")
    storage.add_follow(user_id=user.id, follow=wanted, now=now)
    return wanted


def unfollow(*, storage: FollowStore, user: User, kind: str, target: str) -> bool:
    """Stop following the target; return False if the member did not follow it."""
    wanted = parse_follow(kind, target)
    if storage.remove_follow(user_id=user.id, kind=wanted.kind, key=wanted.key):
        return True
    # Named as it is shown rather than by its key: an organization's full name.
    for followed in storage.user_follows(user.id):
        if followed.kind is wanted.kind and followed.label == wanted.label:
            return storage.remove_follow(user_id=user.id, kind=followed.kind, key=followed.key)
    return False


def is_following(follows: Sequence[Follow], wanted: Follow) -> bool:
    """Tell whether the follows include this one."""
    return any(f.kind is wanted.kind and f.key == wanted.key for f in follows)


def visible_follows(
    *, storage: FollowStore, owner: User, viewer: User | None
) -> list[Follow] | None:
    """Return what the owner follows if the viewer may see it (themselves, or made public)."""
    if viewer is not None and viewer.id == owner.id:
        return storage.user_follows(owner.id)
    if storage.get_follow_settings(owner.id).public:
        return storage.user_follows(owner.id)
    return None


Dated = list[tuple[str, datetime | None]]


# What a kept answer was read from: the words' version (a search) or the data's generation.
Mark = WordsVersion | int


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """A follow's newest papers, and the mark of the data they were read from."""

    valid_until: Mark
    dated: Dated


class FollowResultCache:
    """Keep each follow's newest papers until the data they were read from changes.

    Members who follow the same author or search share one answer, and a member back on
    their Following page before anything changed runs no search again.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[object, ...], KeptAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> KeptAnswer | None:
        """Return the kept answer, if any."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], value: KeptAnswer) -> None:
        """Keep an answer, forgetting the least recently used beyond the limit."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def _newest_of_follows(
    storage: Storage, follows: Sequence[Follow], cache: FollowResultCache | None
) -> dict[Follow, Dated]:
    """Return each follow's newest papers with their dates, from the cache where it can."""
    marks = _valid_until(storage, follows) if cache is not None else {}
    changed = _Changes(storage)
    found: dict[Follow, Dated] = {}
    undated: dict[Follow, list[str]] = {}
    for followed in follows:
        kept = cache.get(_cache_key(storage, followed)) if cache is not None else None
        if kept is not None and kept.valid_until == marks[followed]:
            found[followed] = kept.dated
        elif (updated := _updated(storage, followed, kept, changed)) is not None:
            found[followed] = updated
        elif followed.kind in (FollowKind.AUTHOR, FollowKind.CATEGORY):
            found[followed] = storage.newest_by_name(
                author=followed.key if followed.kind is FollowKind.AUTHOR else None,
                category=followed.key if followed.kind is FollowKind.CATEGORY else None,
                limit=PER_FOLLOW,
            )
        elif followed.kind is FollowKind.ORGANIZATION:
            newest = storage.rankables(organization=followed.key, newest=PER_FOLLOW)
            undated[followed] = [r.paper_id for r in newest]
        else:
            query = every_word(parse_query(followed.key))
            undated[followed] = storage.search_newest(query, limit=PER_FOLLOW)
    if undated:  # one lookup of the dates for all of them
        dates = storage.paper_dates([paper_id for ids in undated.values() for paper_id in ids])
        for followed, ids in undated.items():
            found[followed] = [(paper_id, dates.get(paper_id)) for paper_id in ids]
    if cache is not None:
        for followed, dated in found.items():
            cache.put(_cache_key(storage, followed), KeptAnswer(marks[followed], dated))
    return found


class _Changes:
    """What changed since the versions a page's kept answers were read at, asked once."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._since: dict[WordsVersion, set[str] | None] = {}
        self._listed: dict[str, ListedUnder] = {}

    def since(self, version: WordsVersion) -> set[str] | None:
        """Return the papers changed since this version; None if the index cannot tell."""
        if version not in self._since:
            self._since[version] = self.storage.papers_changed_since(version)
        return self._since[version]

    def listed_under(self, paper_ids: set[str]) -> dict[str, ListedUnder]:
        """Return these papers' dates and the author and category follows that list them."""
        if missing := sorted(paper_ids - self._listed.keys()):
            found = self.storage.names_of_papers(missing)
            self._listed |= {paper_id: found.get(paper_id, (None, set())) for paper_id in missing}
        return {paper_id: self._listed[paper_id] for paper_id in paper_ids}


def _updated(
    storage: Storage, followed: Follow, kept: KeptAnswer | None, changes: _Changes
) -> Dated | None:
    """Return a follow's kept answer with the newest of the papers changed since joined.

    None when it must be asked afresh: nothing kept by words, a paper of it changed, the
    word index cannot tell what changed, or a search of filters alone. The kept papers'
    dates are kept with them (the site never deletes a paper; one deleted by hand is left
    out when the page reads its papers): only the new ones' are read.
    """
    if kept is None or not isinstance(kept.valid_until, WordsVersion):
        return None
    since = kept.valid_until
    changed = changes.since(since)
    if changed is None or any(paper_id in changed for paper_id, _ in kept.dated):
        return None
    new: Dated = []
    if followed.kind is not FollowKind.SEARCH:
        wanted = (followed.kind, followed.key)
        listed = changes.listed_under(changed)
        new = [(paper_id, date) for paper_id, (date, keys) in listed.items() if wanted in keys]
    elif not (query := every_word(parse_query(followed.key))).phrases:
        return None  # filters alone: the database lists them
    elif changed:
        ids = storage.search_newest(query, limit=PER_FOLLOW, changed_since=since)
        new = list(storage.paper_dates(ids).items())
    # A paper changed after the changes were read may be among both: listed once.
    merged = dict(kept.dated) | dict(new)
    newest = sorted(merged.items(), key=lambda dated: (dated[1] or OLDEST, dated[0]))
    return newest[::-1][:PER_FOLLOW]


def _cache_key(storage: Storage, followed: Follow) -> tuple[object, ...]:
    """Return what a follow's answer is kept under: shared by every member who follows it."""
    return (storage.url, followed.kind, followed.key)


def _valid_until(storage: Storage, follows: Sequence[Follow]) -> dict[Follow, Mark]:
    """Return the mark each follow's kept answer must carry to be current.

    Any write changes the generation. What an author, a category or a search lists changes
    only with the papers' words (their authors, categories and dates are among them; a vote
    or a comment leaves them), so those are kept until the words change, unless a search
    filters by organization or the follow is one: that reads the daily entries.
    """
    generation = storage.generation()
    by_words = {followed for followed in follows if _read_by_words(followed)}
    words = storage.words_version() if by_words else None
    marks: dict[Follow, Mark] = {}
    for followed in follows:
        marks[followed] = words if followed in by_words and words is not None else generation
    return marks


def _read_by_words(followed: Follow) -> bool:
    """Tell whether a follow's papers depend on the papers' words alone."""
    if followed.kind is FollowKind.SEARCH:
        return not parse_query(followed.key).filters.organizations
    return followed.kind in (FollowKind.AUTHOR, FollowKind.CATEGORY)


def following_papers(
    *,
    storage: Storage,
    follows: Sequence[Follow],
    limit: int,
    cache: FollowResultCache | None = None,
) -> list[FollowedPaper]:
    """Return the newest papers from everything followed, each with why it is there."""
    reasons: dict[str, list[Follow]] = {}
    dates: dict[str, datetime | None] = {}
    for followed, dated in _newest_of_follows(storage, follows, cache).items():
        for paper_id, published in dated:
            reasons.setdefault(paper_id, []).append(followed)
            dates[paper_id] = published
    if not reasons:
        return []
    newest = sorted(reasons, key=lambda paper_id: (dates.get(paper_id) or OLDEST, paper_id))
    chosen = list(reversed(newest))[:limit]
    return [
        FollowedPaper(item, tuple(reasons[item.paper.id]))
        for item in storage.featured_papers(chosen)
    ]


# -- the private feed's secret URL ------------------------------------------------------------


def feed_token(*, secret: bytes, user_id: int, settings: FollowSettings) -> str:
    """Return the secret part of the member's private feed URL.

    Signed rather than stored: the settings page can show it again, and bumping
    feed_version makes every earlier URL fail.
    """
    message = f"{user_id}:{settings.feed_version}".encode()
    digest = hmac.new(secret, FEED_TOKEN_PURPOSE + b"\0" + message, hashlib.sha256).hexdigest()
    return f"{user_id}-{digest[:40]}"


def feed_token_user(*, storage: Storage, secret: bytes, token: str) -> User | None:
    """Return the member whose current private feed token this is, if any."""
    user_part, _, _ = token.partition("-")
    if not user_part.isdigit() or len(user_part) > 18:
        return None
    user = storage.get_user(int(user_part))
    if user is None or user.banned:
        return None
    expected = feed_token(
        secret=secret, user_id=user.id, settings=storage.get_follow_settings(user.id)
    )
    return user if hmac.compare_digest(expected, token) else None


def rotate_feed_token(*, storage: FollowStore, user: User) -> FollowSettings:
    """Give the member a new private feed URL; the old one stops working."""
    settings = storage.get_follow_settings(user.id)
    rotated = replace(settings, feed_version=settings.feed_version + 1)
    storage.save_follow_settings(user.id, rotated)
    return rotated
