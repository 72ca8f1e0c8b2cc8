"""Render Jinja2 templates with the site's filters; autoescaping always on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from dailypapers.domain.avatars import initial
from dailypapers.domain.highlight import highlight_excerpt
from dailypapers.domain.text import excerpt
from dailypapers.settings import Settings


def short_date(value: date | datetime | None) -> str:
    """Format a date as 'Oct 17, 2025'."""
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def highlighted_excerpt(text: str, terms: Iterable[str], limit: int = 280) -> Markup:
    """Return an excerpt around the matched words, each wrapped in <mark>, escaped."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(piece) if matched else escape(piece)
        for piece, matched in highlight_excerpt(text, terms, limit)
    )


def safe_url(url: str | None) -> str:
    """Return the URL if it is a web address, else an empty string (no javascript: links)."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return ""


def with_query(path: str, **params: Any) -> str:
    """Return the path with the non-empty parameters as its query string."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{path}?{query}" if query else path


class Renderer:
    """Turns templates and a context into HTML responses."""

    def __init__(self, settings: Settings) -> None:
        self.environment = Environment(
            loader=PackageLoader("dailypapers.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship inside the package and change only with it: checking each
            # file's mtime at every render (and every include) was an eighth of a page.
            auto_reload=False,
        )
        self.environment.filters["excerpt"] = excerpt
        self.environment.filters["short_date"] = short_date
        self.environment.filters["safe_url"] = safe_url  # links from sources and members
        self.environment.filters["highlighted_excerpt"] = highlighted_excerpt  # search results
        self.environment.filters["avatar_initial"] = initial  # organizations without avatar
        self.environment.globals["site_name"] = settings.site_name
        self.environment.globals["with_query"] = with_query

    def page(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """Render a template into a response."""
        html = self.environment.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)
