"""What the digest pages share: signed-link makers, the preference fields, private pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from dailypapers.domain.subscriptions import (
    DEFAULT_TOP_COUNT,
    MAX_TOP_COUNT,
    Frequency,
    Preferences,
)
from dailypapers.services.subscriptions import SubscriptionLinks, check_preferences
from dailypapers.settings import Settings, load_secret_key
from dailypapers.web.accounts.account_mail import MailLinksUnavailable, site_url
from dailypapers.web.dependencies import SettingsDep
from dailypapers.web.rendering import Renderer

INVALID_LINK = (
    "This link is not valid, or it has expired. Links in our mail work as sent; to"
    " subscribe again, use the box at the bottom of any page."
)
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def get_links(request: Request, settings: SettingsDep) -> SubscriptionLinks:
    """Return the signed-link maker, the key read once per app."""
    return SubscriptionLinks(_key(request, settings), _site_url(request, settings))


def _key(request: Request, settings: Settings) -> bytes:
    """Return the site's signing key, read once per app."""
    key: bytes | None = getattr(request.app.state, "digest_key", None)
    if key is None:
        key = request.app.state.digest_key = load_secret_key(settings)
    return key


def get_preview_links(request: Request, settings: SettingsDep) -> SubscriptionLinks:
    """Return links for a sample digest: its links lead nowhere, so any address will do."""
    site = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return SubscriptionLinks(_key(request, settings), site)


def _site_url(request: Request, settings: Settings) -> str:
    """Return the address for mailed links, or 503 when the site cannot trust its Host."""
    try:
        return site_url(request, settings)
    except MailLinksUnavailable:
        raise HTTPException(
            503, "this site cannot mail links until its operator sets DAILYPAPERS_PUBLIC_URL"
        ) from None


LinksDep = Annotated[SubscriptionLinks, Depends(get_links)]
PreviewLinksDep = Annotated[SubscriptionLinks, Depends(get_preview_links)]
Lines = Annotated[str, Form(max_length=4000)]


@dataclass(frozen=True)
class PreferenceFields:
    """The preference fields of a form, as typed: topics one a line."""

    frequency: str
    top: int
    categories: str
    authors: str
    organizations: str
    searches: str

    def read(self) -> Preferences:
        """Return the preferences; raise ValueError naming the problem."""
        if self.frequency not in (Frequency.DAILY, Frequency.WEEKLY):
            raise ValueError("choose daily or weekly")
        return check_preferences(
            weekly=self.frequency == Frequency.WEEKLY,
            top=self.top,
            categories=topic_lines(self.categories),
            authors=topic_lines(self.authors),
            organizations=topic_lines(self.organizations),
            searches=topic_lines(self.searches),
        )


async def preference_fields(
    frequency: Annotated[str, Form()] = Frequency.DAILY,
    top: Annotated[int, Form(ge=0, le=MAX_TOP_COUNT)] = DEFAULT_TOP_COUNT,
    categories: Lines = "",
    authors: Lines = "",
    organizations: Lines = "",
    searches: Lines = "",
) -> PreferenceFields:
    """Collect the preference fields of a posted form."""
    return PreferenceFields(frequency, top, categories, authors, organizations, searches)


PreferenceFieldsDep = Annotated[PreferenceFields, Depends(preference_fields)]


def topic_lines(text: str) -> list[str]:
    """Return the non-blank lines of a topics box (names may hold commas: lines separate)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def digest_page(
    renderer: Renderer, template: str, *, status: int = 200, **context: object
) -> HTMLResponse:
    """Render a digest page that no cache or referrer may keep (its URL may hold a token)."""
    response = renderer.page(
        template,
        status=status,
        top_limit=MAX_TOP_COUNT,
        **context,
    )
    response.headers.update(PRIVATE)
    return response


def invalid_link_page(renderer: Renderer) -> HTMLResponse:
    """Answer a forged, stale or unknown link, the same for all of them."""
    return digest_page(
        renderer, "message.html", status=400, title="Link not valid", message=INVALID_LINK
    )
