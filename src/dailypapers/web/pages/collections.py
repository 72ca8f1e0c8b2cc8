"""Collections on the site: the Save control, a member's reading lists, sharing, export, import."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.collections import Collection
from dailypapers.services import collections
from dailypapers.services.citation_formats import (
    MEDIA_TYPES,
    CitedPaper,
    to_bibtex,
    to_csl_json,
    to_ris,
)
from dailypapers.services.collection_import import decode_upload, import_citations
from dailypapers.services.errors import InvalidInput, NotFound
from dailypapers.storage import Storage
from dailypapers.web.accounts.auth import (
    AccountsDep,
    MemberDep,
    local_path,
    same_site_path,
    see_other,
)
from dailypapers.web.accounts.sessions import current_auth, current_viewer
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep
from dailypapers.web.rendering import Renderer
from dailypapers.web.row_ids import RowId, optional_row_id

router = APIRouter(include_in_schema=False)
FORMATS = {"bib": to_bibtex, "ris": to_ris, "json": to_csl_json}

_saved_cache: ContextVar[tuple[object, frozenset[str]] | None] = ContextVar(
    "dailypapers_saved_ids", default=None
)


def install_collection_helpers(renderer: Renderer, storage: Storage) -> None:
    """Give templates the viewer's saved papers and collections, read once per request."""

    def saved_paper_ids() -> frozenset[str]:
        viewer, auth = current_viewer(), current_auth()
        if viewer is None:
            return frozenset()
        cached = _saved_cache.get()
        if cached is not None and cached[0] is auth:
            return cached[1]
        saved = frozenset(storage.saved_paper_ids(viewer.id))
        _saved_cache.set((auth, saved))
        return saved

    def my_collections() -> list[Collection]:
        viewer = current_viewer()
        return storage.user_collections(viewer.id) if viewer else []

    def collections_holding(paper_id: str) -> list[int]:
        viewer = current_viewer()
        if viewer is None:
            return []
        return storage.collections_holding(viewer.id, [paper_id]).get(paper_id, [])

    def for_you_in_digest() -> bool:
        viewer = current_viewer()
        return bool(viewer and storage.digest_for_you_members([viewer.email]))

    renderer.environment.globals.update(
        for_you_in_digest=for_you_in_digest,
        saved_paper_ids=saved_paper_ids,
        my_collections=my_collections,
        collections_holding=collections_holding,
    )


def _back(request: Request, fallback: str) -> Response:
    path = same_site_path(request.headers.get("referer", ""), request)
    return see_other(local_path(path, fallback))


@router.post("/papers/{paper_id:path}/save")
def save_paper(
    paper_id: str,
    request: Request,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    saved: Annotated[str, Form()] = "1",
    collection_id: Annotated[str, Form()] = "",
    note: Annotated[str | None, Form()] = None,
) -> Response:
    """Save the paper (to "Saved" or the collection chosen), or take it out (saved=0).

    Taken out from a card (no collection chosen) while lists of the member's own hold it,
    it stays, and the paper's page shows those lists to choose from.
    """
    chosen = optional_row_id(collection_id)
    with storage.transaction():
        if saved != "0":
            collections.add_paper(
                storage=storage,
                user_id=member.id,
                collection_id=chosen,
                paper_id=paper_id,
                note=note or None,
                now=now,
            )
        elif chosen is not None:
            collections.remove_paper(
                storage=storage, user_id=member.id, collection_id=chosen, paper_id=paper_id
            )
        elif collections.unsave_paper(storage=storage, user_id=member.id, paper_id=paper_id):
            return see_other(f"/papers/{paper_id}?in_your_lists=1#save")
    return _back(request, f"/papers/{paper_id}")


@router.get("/collections", response_class=HTMLResponse)
def my_collections_page(member: MemberDep, storage: StorageDep, renderer: RendererDep) -> Response:
    """List the member's collections, with forms to make and import one."""
    return renderer.page(
        "collections.html", collections=storage.user_collections(member.id), report=None
    )


@router.post("/collections")
def create_collection(
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    public: Annotated[str, Form()] = "",
) -> Response:
    """Make a new collection and open it."""
    with storage.transaction():
        made = collections.create_collection(
            storage=storage,
            user_id=member.id,
            name=name,
            description=description,
            public=bool(public),
            now=now,
        )
    return see_other(f"/collections/{made.id}")


@router.post("/collections/import", response_class=HTMLResponse)
def import_collection(
    member: MemberDep,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    now: NowDep,
    file: Annotated[UploadFile, File()],
    collection_id: Annotated[str, Form()] = "",
) -> Response:
    """Add the arXiv papers of an uploaded BibTeX or RIS file to a collection.

    A file that cannot be read is said so beside the import form, nothing imported.
    """
    try:
        report = import_citations(
            storage=storage,
            user_id=member.id,
            collection_id=optional_row_id(collection_id),
            text=decode_upload(file.file.read()),
            filename=file.filename or "",
            fetcher=config.fetcher,
            api_url=settings.arxiv_api_url,
            now=now,
        )
    except InvalidInput as error:
        return renderer.page(
            "collections.html",
            status=400,
            collections=storage.user_collections(member.id),
            report=None,
            import_error=f"Nothing was imported: {error}.",
        )
    return renderer.page(
        "collections.html", collections=storage.user_collections(member.id), report=report
    )


@router.get("/collections/saved.{fmt}")
def export_all_saved(fmt: str, member: MemberDep, storage: StorageDep) -> Response:
    """Download every paper the member saved, in any collection, as BibTeX, RIS or CSL-JSON."""
    papers = collections.all_saved_papers(storage=storage, user_id=member.id)
    return _download([CitedPaper(item) for item in papers], fmt, "saved")


@router.get("/collections/{collection_id:int}.{fmt}")
def export_collection(
    collection_id: RowId, fmt: str, storage: StorageDep, request: Request
) -> Response:
    """Download a collection (its owner's, or a public one) as BibTeX, RIS or CSL-JSON."""
    viewer = current_viewer()
    collection = collections.visible_collection(
        storage=storage, collection_id=collection_id, viewer_id=viewer.id if viewer else None
    )
    pairs = collections.collection_papers(storage=storage, collection=collection)
    cited = [CitedPaper(item, entry.note) for item, entry in pairs]
    return _download(cited, fmt, f"collection-{collection.id}")


def _download(papers: list[CitedPaper], fmt: str, name: str) -> Response:
    writer = FORMATS.get(fmt)
    if writer is None:
        raise NotFound(f"no export as .{fmt}: choose .bib, .ris or .json")
    return Response(
        writer(papers),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.get("/collections/{collection_id:int}", response_class=HTMLResponse)
def collection_page(collection_id: RowId, storage: StorageDep, renderer: RendererDep) -> Response:
    """Show a collection: to its owner always, to anyone when it is public."""
    viewer = current_viewer()
    collection = collections.visible_collection(
        storage=storage, collection_id=collection_id, viewer_id=viewer.id if viewer else None
    )
    owner = storage.get_user(collection.user_id)
    return renderer.page(
        "collection.html",
        collection=collection,
        owner=owner,
        mine=viewer is not None and viewer.id == collection.user_id,
        pairs=collections.collection_papers(storage=storage, collection=collection),
        feed_path=f"/feeds/collections/{collection.id}",  # offered when public
    )


@router.post("/collections/{collection_id:int}/edit")
def edit_collection(
    collection_id: RowId,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    public: Annotated[str, Form()] = "",
) -> Response:
    """Rename, describe, share or unshare a collection."""
    with storage.transaction():
        collections.update_collection(
            storage=storage,
            user_id=member.id,
            collection_id=collection_id,
            name=name,
            description=description,
            public=bool(public),
            now=now,
        )
    return see_other(f"/collections/{collection_id}")


@router.post("/collections/{collection_id:int}/delete")
def delete_collection(collection_id: RowId, member: MemberDep, storage: StorageDep) -> Response:
    """Delete a collection."""
    with storage.transaction():
        collections.delete_collection(
            storage=storage, user_id=member.id, collection_id=collection_id
        )
    return see_other("/collections")


@router.post("/collections/{collection_id:int}/papers/{paper_id:path}/note")
def set_note(
    collection_id: RowId,
    paper_id: str,
    member: MemberDep,
    storage: StorageDep,
    now: NowDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Write the member's note on a paper of their collection."""
    with storage.transaction():
        collections.add_paper(
            storage=storage,
            user_id=member.id,
            collection_id=collection_id,
            paper_id=paper_id,
            note=note,
            now=now,
        )
    return see_other(f"/collections/{collection_id}#paper-{paper_id}")


@router.post("/collections/{collection_id:int}/papers/{paper_id:path}/remove")
def remove_from_collection(
    collection_id: RowId, paper_id: str, member: MemberDep, storage: StorageDep
) -> Response:
    """Take a paper out of one of the member's collections."""
    with storage.transaction():
        collections.remove_paper(
            storage=storage, user_id=member.id, collection_id=collection_id, paper_id=paper_id
        )
    return see_other(f"/collections/{collection_id}")
