"""Reading lists: a member's named collections of papers, each paper with a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_COLLECTION_NAME = "Saved"
MAX_COLLECTION_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
MAX_NOTE_LENGTH = 5000


@dataclass(frozen=True, slots=True)
class Collection:
    """A named reading list; private unless its owner made it public."""

    id: int
    user_id: int
    name: str
    description: str
    public: bool
    is_default: bool
    created_at: datetime
    updated_at: datetime
    paper_count: int = 0

    def visible_to(self, viewer_id: int | None) -> bool:
        """Tell whether this viewer (None: a visitor) may see the collection."""
        return self.public or viewer_id == self.user_id


@dataclass(frozen=True, slots=True)
class CollectionItem:
    """A paper in a collection, with the owner's note on it."""

    paper_id: str
    note: str
    added_at: datetime


def clean_collection_name(name: str) -> str:
    """Return the name with its spaces tidied; raise ValueError if it cannot be used."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("give the collection a name")
    if len(cleaned) > MAX_COLLECTION_NAME_LENGTH:
        raise ValueError(f"a collection name has at most {MAX_COLLECTION_NAME_LENGTH} characters")
    return cleaned
