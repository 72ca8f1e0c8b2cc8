"""Render Jinja2 templates with the site's filters; autoescaping always on."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Container, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from dailypapers.domain.avatars import initial
from dailypapers.domain.highlight import highlight_excerpt
from dailypapers.domain.papers import FeaturedPaper
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


# Cards kept rendered: a few pages' worth of listings and similar papers (a few MB).
CARD_TEXTS_KEPT = 1024
# A card's vote button and Save forms kept, in each state (voted or not, saved or not).
CARD_FORMS_KEPT = 4096
# Whole cards kept, in each state of the reader's vote and Save.
CARDS_KEPT = 2048
# The CSRF token every form is drawn with, the same for every reader, so that forms can be
# kept for all of them; `Renderer.page` puts the reader's own token in its place.
KEPT_CSRF_TOKEN = f"kept-{secrets.token_hex(16)}"


def ascii_html(value: Any) -> Any:
    """Return a value to show with its non-ASCII characters as character references.

    A page all in ASCII is joined and encoded by copying bytes; one other character
    anywhere (an author's accent, a ▲) made Python widen and encode the whole page
    character by character, a tenth of a signed-in listing's time. The templates'
    own text is written in references, so every page is ASCII.
    """
    if isinstance(value, str) and not value.isascii():
        return Markup(escape(value).encode("ascii", "xmlcharrefreplace").decode("ascii"))
    return value


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
            finalize=ascii_html,
        )
        self.environment.filters["excerpt"] = excerpt
        self.environment.filters["short_date"] = short_date
        self.environment.filters["safe_url"] = safe_url  # links from sources and members
        self.environment.filters["highlighted_excerpt"] = highlighted_excerpt  # search results
        self.environment.filters["avatar_initial"] = initial  # organizations without avatar
        self.environment.globals["site_name"] = settings.site_name
        self.environment.globals["with_query"] = with_query
        # A global, not `{% from %}` in each template: an import inside an included
        # template (a card, thirty to a page) built the macro's module again each time.
        avatars = self.environment.get_template("_avatar.html").module
        self.environment.globals["avatar"] = avatars.avatar  # type: ignore[attr-defined]
        self.environment.globals["card_text"] = self._card_text_renderer()
        # A filter, not a global: Jinja calls a global through Context.call, which looks for
        # the function's context argument each time (about a microsecond, thirty a page).
        self.environment.filters["card"] = self._card_renderer()
        # Macros a card calls instead of including a template: an include copies the whole
        # context, twice a card. Loaded on first use, once create_app has installed every
        # global they call (a module sees the globals there were when it was made).
        self.environment.globals["vote_button"] = self._kept_forms("_vote.html", "vote_button")
        self.environment.globals["card_actions"] = self._kept_forms(
            "_card_actions.html", "card_actions"
        )

    def _macro(self, template: str, name: str) -> Callable[..., Markup]:
        """Return a function calling a template's macro, the template loaded on first call."""
        loaded: list[Callable[..., Markup]] = []

        def call(*args: Any) -> Markup:
            if not loaded:
                loaded.append(getattr(self.environment.get_template(template).module, name))
            return loaded[0](*args)

        return call

    def _call(self, name: str) -> Any:
        """Call a global that another part of the site installs (the viewer, their token)."""
        function: Callable[[], Any] = self.environment.globals[name]  # type: ignore[assignment]
        return function()

    def _kept_forms(self, template: str, name: str) -> Callable[..., Markup]:
        """Return a macro drawing a card's forms, kept by its arguments for every reader.

        The forms are a function of the arguments (the paper, its count, the reader's vote or
        Save) and of whether anyone is signed in: their CSRF token, the only part that differs
        between members, is the placeholder that `page` replaces (thirty cards of two macros
        each were a fifth of a signed-in listing's time).
        """
        call = self._macro(template, name)
        kept = lru_cache(maxsize=CARD_FORMS_KEPT)(lambda _signed_in, *args: call(*args))

        def forms(*args: Any) -> Markup:
            return kept(bool(self._call("current_user")), *args)

        return forms

    def _card_renderer(self) -> Callable[..., Markup]:
        """Return the card filter, `item | card(my_votes, note, highlight_terms)`: a whole card,
        kept for everyone.

        A call of a macro, not an include: an include copies the page's whole context for
        each card. Outside a search (whose marked words change with each query) the card is
        kept under all it shows: the paper, the reader's vote and Save, whether anyone is
        signed in, and the note (its forms carry the placeholder token, as every form does).
        """
        render = self._macro("_card.html", "card")

        @lru_cache(maxsize=CARDS_KEPT)
        def kept(
            item: FeaturedPaper, voted: bool, saved: bool, _signed_in: bool, note: str
        ) -> Markup:
            return render(item, voted, saved, note, ())

        def card(
            item: FeaturedPaper, my_votes: Container[str], note: str = "", highlight_terms: Any = ()
        ) -> Markup:
            paper_id = item.paper.id
            signed_in = bool(self._call("current_user"))
            voted = paper_id in my_votes
            saved = signed_in and paper_id in self._call("saved_paper_ids")
            if highlight_terms:
                return render(item, voted, saved, note, highlight_terms)
            return kept(item, voted, saved, signed_in, note)

        return card

    def _card_text_renderer(self) -> Callable[[FeaturedPaper, Any], Markup]:
        """Return card_text(item, highlight_terms): what a card shows every reader, kept.

        The card's text is a function of the paper, its entry and organization, and nothing
        else (no reader, no request), so it is kept under those values: a changed paper (a
        vote, an edit) is a new key, never a stale card. Rendering it was most of a listing's
        time, and a signed-in page cannot use the response cache. A card with the words of a
        search marked is rendered each time: another query's cards would only push the
        listings' out.
        """
        render = self._macro("_card_text.html", "card_text")
        kept = lru_cache(maxsize=CARD_TEXTS_KEPT)(lambda item: render(item, ()))

        def card_text(item: FeaturedPaper, highlight_terms: Any = ()) -> Markup:
            return render(item, highlight_terms) if highlight_terms else kept(item)

        return card_text

    def fragment(self, template: str, **context: Any) -> Markup:
        """Render a part of a page to be shown in another (it may not hold forms)."""
        return Markup(self.environment.get_template(template).render(**context))

    def page(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """Render a template into a response, the reader's CSRF token in its forms.

        Once for the page, not once a form: a copy of each card cost about 3% of a listing."""
        html = self.environment.get_template(template).render(**context)
        if KEPT_CSRF_TOKEN in html:
            html = html.replace(KEPT_CSRF_TOKEN, str(escape(self._call("csrf_token"))))
        return HTMLResponse(html, status_code=status)
