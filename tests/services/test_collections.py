"""Collections as files: BibTeX, RIS and CSL-JSON that their libraries read back with the
arXiv fields right, and import that finds the same papers again (on both backends)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import bibtexparser
import httpx
import pytest
import rispy

from dailypapers.domain.accounts import User
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.services import collections
from dailypapers.services.citation_formats import (
    CitedPaper,
    read_citations,
    to_bibtex,
    to_csl_json,
    to_ris,
)
from dailypapers.services.collection_import import ImportReport, import_citations
from dailypapers.services.errors import InvalidInput, NotFound
from dailypapers.sources.http import PoliteFetcher
from dailypapers.storage import Storage

from support.accounts import add_member
from support.arxiv_server import recorded_api_body
from support.http_server import Reply, serving
from support.sites import NOW, load_recorded_days


@pytest.fixture
def storage(backend_storage: Storage, shared_data: Path) -> Storage:
    """Return a storage on each backend holding the recorded Hugging Face days."""
    load_recorded_days(backend_storage, shared_data)
    return backend_storage


def some_papers(storage: Storage, count: int = 5) -> list[FeaturedPaper]:
    """Return a few stored featured papers, in a fixed order."""
    ids = sorted(r.paper_id for r in storage.rankables())[:count]
    return storage.featured_papers(ids)


def import_into(
    storage: Storage,
    user: User,
    text: str,
    *,
    collection_id: int | None = None,
    filename: str = "refs.bib",
    fetcher: PoliteFetcher | None = None,
    api_url: str = "",
) -> ImportReport:
    """Import a citation file into the member's collection (None: "Saved") at NOW."""
    return import_citations(
        storage=storage,
        user_id=user.id,
        collection_id=collection_id,
        text=text,
        filename=filename,
        fetcher=fetcher,
        api_url=api_url,
        now=NOW,
    )


def test_bibtex_reads_back_with_arxiv_fields_and_special_characters(storage: Storage) -> None:
    items = some_papers(storage, 3)
    tricky = replace(items[0].paper, title="Ünïcode & 50% of {braces}_x", categories=("cs.CL",))
    items[0] = replace(items[0], paper=tricky)
    text = to_bibtex([CitedPaper(item, "my note") for item in items])
    library = bibtexparser.parse_string(
        text, append_middleware=[bibtexparser.middlewares.LatexDecodingMiddleware()]
    )
    assert not library.failed_blocks and len(library.entries) == 3
    first = library.entries[0]
    assert first["title"] == "Ünïcode & 50% of {braces}_x"
    assert first["eprint"] == items[0].paper.id and first["archivePrefix"] == "arXiv"
    assert first["primaryClass"] == "cs.CL" and first["annote"] == "my note"
    assert "note" not in first  # a reader's note is no bibliography's note
    assert first["url"] == f"https://arxiv.org/abs/{items[0].paper.id}"
    assert first["year"] == str(items[0].date.year)  # type: ignore[union-attr]
    assert first["author"].split(" and ")[0] == items[0].paper.authors[0]
    # Reference managers read url and doi verbatim: no LaTeX in them
    raw = bibtexparser.parse_string(text).entries[0]
    assert raw["url"] == items[0].paper.abs_url
    assert raw["doi"] == f"10.48550/arXiv.{items[0].paper.id}"


def test_ris_and_csl_json_read_back(storage: Storage) -> None:
    items = some_papers(storage, 2)
    ris = to_ris([CitedPaper(item, "note") for item in items])
    assert ris.startswith("TY  - ")  # a record starts at its type
    records = rispy.loads(ris)
    assert [r["doi"] for r in records] == [f"10.48550/arXiv.{i.paper.id}" for i in items]
    assert records[0]["urls"] == [items[0].paper.abs_url] and records[0]["notes"] == ["note"]
    assert records[0]["title"] == items[0].paper.title
    assert records[0]["authors"] == list(items[0].paper.authors)
    csl = json.loads(to_csl_json([CitedPaper(item) for item in items]))
    assert csl[0]["URL"] == items[0].paper.abs_url and csl[0]["type"] == "article"
    assert csl[0]["number"] == f"arXiv:{items[0].paper.id}"
    day = items[0].date
    assert day is not None and csl[0]["issued"]["date-parts"] == [[day.year, day.month, day.day]]


@pytest.mark.parametrize("writer", [to_bibtex, to_ris], ids=["bibtex", "ris"])
def test_export_then_import_gives_the_same_papers_and_notes(storage: Storage, writer) -> None:  # type: ignore[no-untyped-def]
    ada = add_member(storage, "ada")
    items = some_papers(storage, 5)
    with storage.transaction():
        source = collections.create_collection(storage=storage, user_id=ada.id, name="A", now=NOW)
        target = collections.create_collection(storage=storage, user_id=ada.id, name="B", now=NOW)
        for item in items:
            collections.add_paper(
                storage=storage,
                user_id=ada.id,
                collection_id=source.id,
                paper_id=item.paper.id,
                note=f"on {item.paper.id}: read {{twice}} & cite" if item is items[0] else None,
                now=NOW,
            )
    exported = writer(
        [
            CitedPaper(item, entry.note or "")
            for item, entry in collections.collection_papers(storage=storage, collection=source)
        ]
    )
    report = import_into(
        storage,
        ada,
        exported,
        collection_id=target.id,
        filename="papers.bib" if writer is to_bibtex else "papers.ris",
    )
    assert sorted(report.added) == sorted(item.paper.id for item in items)
    assert not report.without_arxiv_id and not report.not_on_arxiv
    notes = {i.paper_id: i.note for i in storage.collection_items(target.id)}
    assert set(notes) == {item.paper.id for item in items}
    assert notes == {i.paper_id: i.note for i in storage.collection_items(source.id)}


def test_import_fetches_unknown_arxiv_papers_and_reports_the_rest(
    storage: Storage, shared_data: Path
) -> None:
    ada = add_member(storage, "ada")
    known = some_papers(storage, 1)[0].paper.id
    bib = f"""
@article{{vaswani, title={{Attention Is All You Need}}, journal={{NeurIPS}}, year={{2017}}}}
@misc{{zero, title={{0}}, howpublished={{\\url{{https://arxiv.org/abs/2104.12255v1}}}}}}
@misc{{mine, title={{Known}}, doi={{10.48550/arXiv.{known}}}}}
"""
    body = recorded_api_body(shared_data, "id_2104.12255v1")
    with serving(lambda request: Reply(200, body)) as (url, log), httpx.Client(timeout=5) as http:
        report = import_into(
            storage, ada, bib, fetcher=PoliteFetcher(http, delay_s=0), api_url=f"{url}/api/query"
        )
    assert report.added == ["2104.12255", known] and report.fetched == ["2104.12255"]
    assert report.without_arxiv_id == ["Attention Is All You Need"]
    assert len(log) == 1 and log[0].query["id_list"] == "2104.12255"
    assert storage.get_papers(["2104.12255"])["2104.12255"].authors == ("Quan Thoi Minh Nguyen",)
    saved = storage.default_collection(ada.id)
    assert saved is not None and saved.paper_count == 2
    assert [user_id for user_id, _ in storage.stale_member_models(limit=5)] == [ada.id]  # refit


def test_papers_on_the_site_are_imported_when_arxiv_cannot_be_asked(storage: Storage) -> None:
    ada = add_member(storage, "ada")
    known = some_papers(storage, 1)[0].paper.id
    bib = f"@misc{{k, eprint={{{known}}}}}\n@misc{{u, eprint={{2104.12255}}}}\n"
    with serving(lambda request: Reply(503, b"down")) as (url, log), httpx.Client() as http:
        fetcher = PoliteFetcher(http, attempts=2, backoff_s=0)
        report = import_into(storage, ada, bib, fetcher=fetcher, api_url=f"{url}/api/query")
    assert len(log) == 2  # asked, and asked again
    assert report.added == [known] and report.not_fetched == ["2104.12255"]
    assert report.not_on_arxiv == [] and "503" in report.arxiv_error
    assert "1 id(s) not fetched: arXiv could not be asked" in report.summary()
    again = import_into(storage, ada, bib)  # a site that does not ask arXiv
    assert again.added == [] and again.already_there == [known]
    assert again.not_fetched == ["2104.12255"] and again.not_on_arxiv == []  # never asked
    assert again.summary().startswith("0 paper(s) added (0 fetched from arXiv); 1 already")


def test_files_that_are_not_citations_are_refused_whole(storage: Storage) -> None:
    ada = add_member(storage, "ada")
    with pytest.raises(InvalidInput, match=r"refs\.bib"):
        import_into(storage, ada, "@article{broken, title={never closed")
    assert storage.default_collection(ada.id) is None  # nothing half-written
    assert [
        e.arxiv_id
        for e in read_citations(
            "TY  - JOUR\nUR  - https://arxiv.org/pdf/2401.00001v2.pdf\nER  - \n"
        )
    ] == ["2401.00001"]


def test_a_private_collection_is_not_found_by_anyone_else(storage: Storage) -> None:
    ada, bob = add_member(storage, "ada"), add_member(storage, "bob")
    with storage.transaction():
        private = collections.create_collection(storage=storage, user_id=ada.id, name="P", now=NOW)
        shared = collections.create_collection(
            storage=storage, user_id=ada.id, name="S", public=True, now=NOW
        )
    for viewer in (bob.id, None):
        with pytest.raises(NotFound):
            collections.visible_collection(
                storage=storage, collection_id=private.id, viewer_id=viewer
            )
        assert (
            collections.visible_collection(
                storage=storage, collection_id=shared.id, viewer_id=viewer
            )
            == shared
        )
    with pytest.raises(NotFound), storage.transaction():
        collections.add_paper(
            storage=storage,
            user_id=bob.id,
            collection_id=shared.id,
            paper_id=some_papers(storage, 1)[0].paper.id,
            now=NOW,
        )
