"""Reading lists: create, share, fill and empty a member's collections.

Every member has a default "Saved" collection, made the first time they save a paper.
Saving or unsaving changes the member's likes, so it marks their model for a refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dailypapers.domain.collections import (
    DEFAULT_COLLECTION_NAME,
    MAX_DESCRIPTION_LENGTH,
    MAX_NOTE_LENGTH,
    Collection,
    CollectionItem,
    clean_collection_name,
)
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services.errors import Conflict, InvalidInput, NotFound
from dailypapers.storage.base import Storage
from dailypapers.storage.collections_protocol import CollectionStore


def find_default_collection(*, storage: CollectionStore, user_id: int) -> Collection | None:
    """Return the member's "Saved" collection, if they have one: the one made by a first
    Save, or a list they named "Saved" themselves before."""
    found = storage.default_collection(user_id)
    if found is not None:
        return found
    wanted = DEFAULT_COLLECTION_NAME.lower()
    return next((c for c in storage.user_collections(user_id) if c.name.lower() == wanted), None)


def default_collection(*, storage: CollectionStore, user_id: int, now: datetime) -> Collection:
    """Return the member's "Saved" collection, making it the first time."""
    found = find_default_collection(storage=storage, user_id=user_id)
    if found is not None:
        return found
    made = storage.create_collection(
        user_id=user_id,
        name=DEFAULT_COLLECTION_NAME,
        description="",
        public=False,
        is_default=True,
        now=now,
    )
    if made is None:  # made meanwhile, by another request
        found = find_default_collection(storage=storage, user_id=user_id)
        if found is None:
            raise Conflict("the default collection could not be made")
        return found
    return made


def create_collection(
    *,
    storage: CollectionStore,
    user_id: int,
    name: str,
    description: str = "",
    public: bool = False,
    now: datetime,
) -> Collection:
    """Make a new collection; refuse a name the member already uses."""
    cleaned = _clean_name(name)
    _check_description(description)
    made = storage.create_collection(
        user_id=user_id,
        name=cleaned,
        description=description.strip(),
        public=public,
        is_default=False,
        now=now,
    )
    if made is None:
        raise Conflict(f"you already have a collection named {cleaned!r}")
    return made


def visible_collection(
    *, storage: CollectionStore, collection_id: int, viewer_id: int | None
) -> Collection:
    """Return the collection if this viewer may see it; a private one is 404 to others."""
    collection = storage.get_collection(collection_id)
    if collection is None or not collection.visible_to(viewer_id):
        raise NotFound(f"there is no collection {collection_id}")
    return collection


def owned_collection(*, storage: CollectionStore, collection_id: int, user_id: int) -> Collection:
    """Return the member's own collection; anyone else's is 404, as if it did not exist."""
    collection = storage.get_collection(collection_id)
    if collection is None or collection.user_id != user_id:
        raise NotFound(f"there is no collection {collection_id}")
    return collection


def update_collection(
    *,
    storage: CollectionStore,
    user_id: int,
    collection_id: int,
    name: str,
    description: str,
    public: bool,
    now: datetime,
) -> Collection:
    """Rename, describe, share or unshare one of the member's collections."""
    owned_collection(storage=storage, collection_id=collection_id, user_id=user_id)
    cleaned = _clean_name(name)
    _check_description(description)
    if not storage.update_collection(
        collection_id, name=cleaned, description=description.strip(), public=public, now=now
    ):
        raise Conflict(f"you already have a collection named {cleaned!r}")
    updated = storage.get_collection(collection_id)
    assert updated is not None
    return updated


def delete_collection(*, storage: Storage, user_id: int, collection_id: int) -> None:
    """Delete one of the member's collections (its papers stay on the site)."""
    owned_collection(storage=storage, collection_id=collection_id, user_id=user_id)
    storage.delete_collection(collection_id)
    storage.mark_signals_changed(user_id)


def add_paper(
    *,
    storage: Storage,
    user_id: int,
    collection_id: int | None,
    paper_id: str,
    note: str | None = None,
    now: datetime,
) -> Collection:
    """Save the paper in a collection of the member's (None: the default "Saved")."""
    if not storage.get_papers([paper_id]):
        raise NotFound(f"paper {paper_id} is not on this site")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"a note has at most {MAX_NOTE_LENGTH} characters")
    return save_stored_papers(
        storage=storage,
        user_id=user_id,
        collection_id=collection_id,
        paper_ids=[paper_id],
        note=note.strip() if note is not None else None,
        now=now,
    )


def save_stored_papers(
    *,
    storage: Storage,
    user_id: int,
    collection_id: int | None,
    paper_ids: Sequence[str],
    note: str | None = None,
    now: datetime,
) -> Collection:
    """Save papers known to be stored in a collection of the member's (None: "Saved")."""
    if collection_id is None:
        collection = default_collection(storage=storage, user_id=user_id, now=now)
    else:
        collection = owned_collection(storage=storage, collection_id=collection_id, user_id=user_id)
    for paper_id in paper_ids:
        storage.add_to_collection(
            collection_id=collection.id, paper_id=paper_id, note=note, now=now
        )
    storage.mark_signals_changed(user_id)
    return collection


def remove_paper(*, storage: Storage, user_id: int, collection_id: int, paper_id: str) -> bool:
    """Take the paper out of one of the member's collections; True if it was in."""
    owned_collection(storage=storage, collection_id=collection_id, user_id=user_id)
    removed = storage.remove_from_collection(collection_id=collection_id, paper_id=paper_id)
    if removed:
        storage.mark_signals_changed(user_id)
    return removed


def unsave_paper(*, storage: Storage, user_id: int, paper_id: str) -> list[int]:
    """Undo a card's Save: take the paper out of "Saved", unless other lists hold it too.

    Returns those other collections, and then removes nothing: a card's one button must not
    empty the lists the member made (and lose their notes); they choose on the paper's page.
    """
    holding = storage.collections_holding(user_id, [paper_id]).get(paper_id, [])
    default = find_default_collection(storage=storage, user_id=user_id)
    others = [held for held in holding if default is None or held != default.id]
    if holding and not others and default is not None:
        remove_paper(storage=storage, user_id=user_id, collection_id=default.id, paper_id=paper_id)
    return others


def collection_papers(
    *, storage: Storage, collection: Collection
) -> list[tuple[FeaturedPaper, CollectionItem]]:
    """Return the collection's papers with their notes, most recently added first."""
    items = storage.collection_items(collection.id)
    featured = {
        item.paper.id: item for item in storage.featured_papers([i.paper_id for i in items])
    }
    return [(featured[i.paper_id], i) for i in items if i.paper_id in featured]


def all_saved_papers(*, storage: Storage, user_id: int) -> list[FeaturedPaper]:
    """Return every paper in any of the member's collections, most recently saved first."""
    return storage.featured_papers(storage.saved_paper_ids(user_id))


def _clean_name(name: str) -> str:
    try:
        return clean_collection_name(name)
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _check_description(description: str) -> None:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(f"a description has at most {MAX_DESCRIPTION_LENGTH} characters")
