"""Recognise the comment arXiv authors leave when they withdraw a paper."""

from __future__ import annotations

import re

_WITHDRAWN = re.compile(
    r"^\s*withdrawn\b"
    r"|\b(?:this|the|our)\s+(?:paper|article|manuscript|submission|preprint|work)\s+"
    r"(?:has\s+been|was|is)\s+withdrawn\b",
    re.IGNORECASE,
)


def looks_withdrawn(comment: str | None, abstract: str = "") -> bool:
    """Tell whether the comment (or the abstract's start) announces a withdrawal."""
    return bool(_WITHDRAWN.search(comment or "")) or bool(_WITHDRAWN.search(abstract[:300]))
