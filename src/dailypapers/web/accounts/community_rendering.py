"""Render what members write, and give templates the viewer, their votes and CSRF tokens.

Comments are Markdown rendered by markdown-it (raw HTML off) and then cleaned by nh3
(Ammonia) against a safelist of tags, attributes and URL schemes: the one place
where text from members reaches a page unescaped, and only after the sanitizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from dailypapers.domain.papers import FeaturedPaper
from dailypapers.storage import Storage
from dailypapers.web.accounts.sessions import CSRF_FIELD, current_auth, current_viewer
from dailypapers.web.rendering import KEPT_CSRF_TOKEN, Renderer

SAFE_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "li",
        "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "td": {"align"}, "th": {"align"}}
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@lru_cache(maxsize=4096)
def comment_html(markdown: str) -> Markup:
    """Return a comment's Markdown as HTML that keeps only safelisted tags and links."""
    html = _markdown.render(markdown)
    cleaned = nh3.clean(
        html,
        tags=set(SAFE_TAGS),
        attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items()},
        url_schemes=set(SAFE_URL_SCHEMES),
        link_rel="nofollow noopener ugc",
        strip_comments=True,
    )
    return Markup(cleaned)  # sanitized by nh3 just above


def csrf_token() -> str:
    """Return the CSRF token the forms of this request carry."""
    auth = current_auth()
    return auth.csrf_token() if auth else ""


_CSRF_FIELD_INPUT = Markup('<input type="hidden" name="{}" value="{}">').format(
    CSRF_FIELD, KEPT_CSRF_TOKEN
)


def csrf_input() -> Markup:
    """Return the hidden form field of the CSRF token: a placeholder, the same in every form
    (and so in forms kept for every reader), which `Renderer.page` replaces with the reader's."""
    return _CSRF_FIELD_INPUT


def install_template_helpers(renderer: Renderer, storage: Storage) -> None:
    """Give templates the viewer, their votes, CSRF fields, comment HTML and URL checks."""

    def voted_ids(items: Iterable[FeaturedPaper]) -> set[str]:
        viewer = current_viewer()
        if viewer is None:
            return set()
        return storage.voted_paper_ids(viewer.id, [item.paper.id for item in items])

    environment = renderer.environment
    environment.globals.update(
        current_user=current_viewer,
        voted_ids=voted_ids,
        csrf_input=csrf_input,
        csrf_token=csrf_token,  # put into every page's forms by Renderer.page
    )
    environment.filters.update(comment_html=comment_html)
