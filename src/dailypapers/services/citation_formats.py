"""Write papers as BibTeX, RIS and CSL-JSON, and find the arXiv papers a BibTeX or RIS file cites.

The formats are read and written by their libraries: bibtexparser (v2, with its LaTeX
encoding middleware so that `&`, `%` or accents survive) and rispy. CSL-JSON is plain JSON
in the schema citeproc uses. Every paper carries its arXiv identity the way reference
managers read it: BibTeX `eprint`, `archivePrefix = {arXiv}`, `primaryClass`; RIS and
CSL-JSON the arXiv DOI (10.48550/arXiv.ID) and URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rispy
from bibtexparser import model
from bibtexparser.entrypoint import parse_string, write_string
from bibtexparser.library import Library
from bibtexparser.middlewares import LatexDecodingMiddleware, LatexEncodingMiddleware

from dailypapers.domain.arxiv_ids import is_arxiv_id, normalize_arxiv_id
from dailypapers.domain.papers import FeaturedPaper

# Where an arXiv id hides in a citation: an arXiv URL, "arXiv:ID", or the arXiv DOI.
_EMBEDDED_ID = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<url>[^\s}\"'<>]+?)(?:\.pdf)?(?=[\s}\"'<>]|$)"
    r"|arxiv:\s*(?P<prefixed>[^\s,;}\"'<>]+)"
    r"|10\.48550/arxiv\.(?P<doi>[^\s,;}\"'<>]+)",
    re.IGNORECASE,
)
MEDIA_TYPES = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class CitedPaper:
    """A paper to export, with the member's note on it."""

    item: FeaturedPaper
    note: str = ""


@dataclass(frozen=True, slots=True)
class CitationEntry:
    """One entry read from an imported file: its arXiv id, if it has one, and how to name it."""

    arxiv_id: str | None
    label: str  # the entry's title, or its key, for telling the member what was not matched
    note: str = ""  # the reader's annotation (BibTeX annote, RIS N1, CSL annote)


class UnreadableFile(ValueError):
    """The uploaded file is not BibTeX or RIS that the libraries can read."""


def citation_key(paper_id: str) -> str:
    """Return a BibTeX key for an arXiv paper: arXiv ids are unique and stable."""
    return "arXiv:" + paper_id.replace("/", "_")


def _arxiv_doi(paper_id: str) -> str:
    """Return the DOI arXiv registers for every paper (DataCite, prefix 10.48550)."""
    return f"10.48550/arXiv.{paper_id}"


def _year(item: FeaturedPaper) -> str:
    day = item.date
    return str(day.year) if day else ""


def _family_given(name: str) -> dict[str, str]:
    """Split "Given Family" as sources list authors; one word is a family name."""
    given, _, family = name.strip().rpartition(" ")
    return {"family": family, "given": given} if given else {"family": family}


def to_bibtex(papers: Sequence[CitedPaper]) -> str:
    """Return the papers as BibTeX @misc entries, arXiv style."""
    library = Library()
    for cited in papers:
        paper = cited.item.paper
        fields = {
            "title": paper.title,
            "author": " and ".join(paper.authors),
            "year": _year(cited.item),
            "eprint": paper.id,
            "archivePrefix": "arXiv",
            "primaryClass": paper.categories[0] if paper.categories else "",
            "url": paper.abs_url,
            "doi": _arxiv_doi(paper.id),
            # annote, not note: note is printed in bibliographies, annote is the reader's
            "annote": cited.note,
        }
        library.add(
            model.Entry(
                "misc",
                citation_key(paper.id),
                [model.Field(key, value) for key, value in fields.items() if value],
            )
        )
    # URLs are not wrapped in \url{}: reference managers read the url field verbatim and
    # print the macro as text (arXiv's addresses and DOIs hold no character LaTeX escapes).
    return write_string(library, prepend_middleware=[LatexEncodingMiddleware(enclose_urls=False)])


class _RisWriter(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
    """rispy's writer without the numbered line ("1.") it puts before each record: a
    record starts at its TY line, and stricter readers take the number for a broken tag."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(papers: Sequence[CitedPaper]) -> str:
    """Return the papers as RIS records, typed and named as scholarly indexes give preprints."""
    entries = []
    for cited in papers:
        paper = cited.item.paper
        entry: dict[str, Any] = {
            "type_of_reference": "JOUR",
            "id": citation_key(paper.id),
            "title": paper.title,
            "authors": list(paper.authors),
            "year": _year(cited.item),
            "abstract": paper.abstract,
            "urls": [paper.abs_url],
            "doi": _arxiv_doi(paper.id),
            "journal_name": f"arXiv preprint arXiv:{paper.id}",
            "publisher": "arXiv",
            "number": f"arXiv:{paper.id}",
            "keywords": list(paper.categories),
        }
        if cited.note:
            entry["notes"] = [cited.note]
        entries.append({key: value for key, value in entry.items() if value})
    return str(rispy.dumps(entries, implementation=_RisWriter))


def to_csl_json(papers: Sequence[CitedPaper]) -> str:
    """Return the papers as CSL-JSON items (what Zotero and citeproc read)."""
    items = []
    for cited in papers:
        paper = cited.item.paper
        item: dict[str, Any] = {
            "id": citation_key(paper.id),
            "type": "article",
            "title": paper.title,
            "author": [_family_given(name) for name in paper.authors],
            "abstract": paper.abstract,
            "URL": paper.abs_url,
            "DOI": _arxiv_doi(paper.id),
            "publisher": "arXiv",
            "number": f"arXiv:{paper.id}",
            "archive": "arXiv",
            "archive_location": paper.id,
        }
        day = cited.item.date
        if day:
            item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
        if paper.categories:
            item["keyword"] = ", ".join(paper.categories)
        if cited.note:
            item["annote"] = cited.note  # CSL's reader's notes ("note" is printed)
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2)


# -- reading ------------------------------------------------------------------------------


def arxiv_id_in(values: Iterable[str]) -> str | None:
    """Return the first arXiv id found in these field values, if any."""
    for value in values:
        text = value.strip()
        if is_arxiv_id(text):
            return normalize_arxiv_id(text)
        for match in _EMBEDDED_ID.finditer(text):
            candidate = match["url"] or match["prefixed"] or match["doi"]
            if candidate and is_arxiv_id(candidate):
                return normalize_arxiv_id(candidate)
    return None


def read_bibtex(text: str) -> list[CitationEntry]:
    """Return the entries of a BibTeX file; raise UnreadableFile if it holds none."""
    library = parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    if not library.entries and (library.failed_blocks or text.strip()):
        raise UnreadableFile("no BibTeX entries could be read from the file")
    entries = []
    for entry in library.entries:
        fields = {field.key.lower(): str(field.value) for field in entry.fields}
        prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
        eprint = fields.get("eprint", "")
        candidates = [eprint] if prefix in ("", "arxiv") and eprint else []
        candidates += [fields.get(name, "") for name in ("url", "doi", "journal", "note")]
        candidates += [fields.get("howpublished", ""), entry.key]
        label = " ".join(fields.get("title", "").split()) or entry.key
        entries.append(
            CitationEntry(arxiv_id_in(filter(None, candidates)), label, fields.get("annote", ""))
        )
    return entries


def read_ris(text: str) -> list[CitationEntry]:
    """Return the records of a RIS file; raise UnreadableFile if it holds none."""
    try:
        records = rispy.loads(text)
    except Exception as error:  # rispy raises plain IOError/ValueError/KeyError on bad input
        raise UnreadableFile(f"the RIS file could not be read: {error}") from None
    if not records:
        raise UnreadableFile("no RIS records could be read from the file")
    entries = []
    for record in records:
        candidates: list[str] = []
        for name in ("urls", "doi", "number", "journal_name", "secondary_title", "notes", "id"):
            value = record.get(name)
            if isinstance(value, list):
                candidates += [str(item) for item in value]
            elif value:
                candidates.append(str(value))
        title = record.get("title") or record.get("primary_title") or record.get("id") or "?"
        notes = record.get("notes") or []
        entries.append(
            CitationEntry(
                arxiv_id_in(candidates),
                " ".join(str(title).split()),
                "\n".join(str(note) for note in notes) if isinstance(notes, list) else str(notes),
            )
        )
    return entries


def read_citations(text: str, *, filename: str = "") -> list[CitationEntry]:
    """Read a BibTeX or RIS file, telling them apart by name, else by content."""
    name = filename.lower()
    looks_ris = name.endswith(".ris") or (
        not name.endswith(".bib") and re.search(r"^TY  - ", text, re.MULTILINE) is not None
    )
    return read_ris(text) if looks_ris else read_bibtex(text)
