"""Digest subscribers: their address, how often they want mail, and what they follow."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_TOP_COUNT = 10
MAX_TOP_COUNT = 30
MAX_TOPICS = 20  # of each kind: categories, authors, organizations, saved searches
MAX_TOPIC_LENGTH = 200


class Frequency(StrEnum):
    """How often a subscriber gets a digest."""

    DAILY = "daily"  # each weekday's papers, the next weekday morning
    WEEKLY = "weekly"  # each ISO week's papers, on Monday


class SubscriberStatus(StrEnum):
    """Where a subscription stands; only confirmed subscribers get digests."""

    PENDING = "pending"  # asked, not yet confirmed through the emailed link
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCING = "bouncing"  # the address's server refused our mail for good


@dataclass(frozen=True, slots=True)
class Topics:
    """What a subscriber follows besides the trending papers."""

    categories: tuple[str, ...] = ()  # arXiv categories such as cs.CL, or a whole archive: cs
    authors: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()  # saved searches, as typed into the search box

    def __bool__(self) -> bool:
        return bool(self.categories or self.authors or self.organizations or self.queries)


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a subscriber chose: how often, how many trending papers, which topics."""

    frequency: Frequency = Frequency.DAILY
    top_count: int = DEFAULT_TOP_COUNT
    topics: Topics = field(default_factory=Topics)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One address on the digest list."""

    id: int | None  # None until stored
    email: str
    status: SubscriberStatus
    preferences: Preferences
    # When this subscription began: an address that unsubscribed (or bounced) and subscribes
    # again starts anew, and the links mailed before stop working (they are signed with it).
    created_at: datetime
    status_at: datetime  # when the status last changed
    noticed_at: datetime | None = None  # the last confirmation or reminder mailed to it


# RFC 5322 dot-atom: the characters allowed unquoted before the @, in dot-separated runs.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")


def normalize_email(text: str) -> str:
    """Return the address with its domain in lower-case ASCII; raise ValueError saying why not.

    Every unquoted character RFC 5322 allows before the @ is accepted (o'neil+news@,
    a/b=c@, ~x@); international domains become their ASCII (punycode) form.
    Quoted local parts and non-ASCII before the @ are refused: few servers take them.
    """
    address = text.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("an email address looks like name@example.org")
    if not local.isascii():
        raise ValueError("addresses with non-ASCII characters before the @ are not supported")
    if len(local) > 64 or not _LOCAL_PART.match(local):
        raise ValueError(f"{local!r} is not a valid name before the @")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{domain!r} is not a valid domain") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError(f"{domain!r} is not a valid domain")
    normalized = f"{local}@{ascii_domain}"
    if len(normalized) > 254:
        raise ValueError("an email address has at most 254 characters")
    return normalized


def parse_topics(
    *,
    categories: Iterable[str] = (),
    authors: Iterable[str] = (),
    organizations: Iterable[str] = (),
    queries: Iterable[str] = (),
) -> Topics:
    """Clean topic lists as typed (blank entries dropped, repeats merged); raise ValueError."""
    cleaned_categories = _clean(categories, "categories")
    for category in cleaned_categories:
        if not _CATEGORY.match(category):
            raise ValueError(f"{category!r} is not an arXiv category such as cs.CL or cs")
    return Topics(
        categories=cleaned_categories,
        authors=_clean(authors, "authors"),
        organizations=_clean(organizations, "organizations"),
        queries=_clean(queries, "saved searches"),
    )


def check_top_count(count: int) -> int:
    """Return the number of trending papers asked for; raise ValueError if out of range."""
    if not 0 <= count <= MAX_TOP_COUNT:
        raise ValueError(f"the number of trending papers must be between 0 and {MAX_TOP_COUNT}")
    return count


def _clean(values: Iterable[str], what: str) -> tuple[str, ...]:
    """Squeeze spaces, drop blanks and repeats, and check lengths and counts."""
    seen: dict[str, str] = {}
    for value in values:
        text = " ".join(value.split())
        if not text:
            continue
        if len(text) > MAX_TOPIC_LENGTH:
            raise ValueError(f"{what}: {text[:40]!r}… is longer than {MAX_TOPIC_LENGTH} characters")
        seen.setdefault(fold(text), text)
    if len(seen) > MAX_TOPICS:
        raise ValueError(f"{what}: at most {MAX_TOPICS}")
    return tuple(seen.values())


def fold(text: str) -> str:
    """Return text as compared when matching names: case, accents and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
