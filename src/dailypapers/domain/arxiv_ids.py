"""Recognise arXiv identifiers in the forms people paste them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW_STYLE = r"\d{4}\.\d{4,5}"
_OLD_STYLE = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = re.compile(
    rf"^(?:arxiv:)?(?P<id>{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?$", re.IGNORECASE
)
_URL = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    rf"(?P<id>{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ArxivId:
    """An arXiv identifier split into the paper id and an optional version."""

    id: str
    version: int | None = None


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, `arXiv:` id or arXiv URL; raise ValueError for anything else."""
    cleaned = text.strip()
    match = _ID.match(cleaned) or _URL.match(cleaned)
    if match is None:
        raise ValueError(f"not an arXiv id or URL: {text!r}")
    paper_id = match["id"]
    if "/" in paper_id:  # old style: archive names are lower case, subject classes upper
        archive, number = paper_id.split("/")
        name, _, subject = archive.partition(".")
        paper_id = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    version = int(match["version"]) if match["version"] else None
    return ArxivId(paper_id, version)


def normalize_arxiv_id(text: str) -> str:
    """Return the bare paper id (no version, no prefix) of an id or URL."""
    return parse_arxiv_id(text).id


def is_arxiv_id(text: str) -> bool:
    """Tell whether the text is an arXiv id or URL."""
    try:
        parse_arxiv_id(text)
    except ValueError:
        return False
    return True
