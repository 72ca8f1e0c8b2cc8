"""Tidy the text that sources hand over: hard-wrapped titles and abstracts."""

from __future__ import annotations

import re

# Formatting macros arXiv authors leave in titles; the braces' content is the text.
_TEXT_MACROS = re.compile(
    r"\\(?:textsc|textbf|textit|texttt|textrm|emph|mathrm|mathbf)\{([^{}]*)\}"
)
_PARAGRAPHS = re.compile(r"\n\s*\n")


def clean_title(text: str) -> str:
    """Join a title's wrapped lines and squeeze its spaces."""
    text = text.replace("\x00", "")
    if "\\" in text:  # most titles and every author name have no macro to look for
        text = _TEXT_MACROS.sub(r"\1", text)
    # str.split() splits on exactly the characters \s matches, several times faster.
    return " ".join(text.split())


def clean_abstract(text: str) -> str:
    """Join hard-wrapped lines, keeping blank-line paragraph breaks."""
    # NUL characters slip into some metadata; PostgreSQL refuses them in text.
    paragraphs = (" ".join(part.split()) for part in _PARAGRAPHS.split(text.replace("\x00", "")))
    return "\n\n".join(part for part in paragraphs if part)


def excerpt(text: str, limit: int = 300) -> str:
    """Cut text at a word boundary near the limit, marking the cut with an ellipsis."""
    # Only the start is shown: squeeze the spaces of enough of it (str.split splits on
    # exactly what \s matches), not of the whole abstract with a regular expression.
    head = text[: 4 * limit + 64]
    flat = " ".join(head.split())
    while len(flat) <= limit and len(head) < len(text):  # the head was mostly spaces
        head = text[: 2 * len(head)]
        flat = " ".join(head.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
    return cut + "…"
