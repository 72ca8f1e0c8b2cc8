"""Digest pages: subscribe, confirm, manage, unsubscribe (also in one click, RFC 8058), preview.

Every change is a POST. A page a signed link opens shows who it is for only in part
(r***r@example.org), answers the same "not valid" to forged, stale and unknown links,
and is never cached. The subscribe answer is the same for every address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from dailypapers.domain.subscriptions import Preferences, Subscriber, SubscriberStatus
from dailypapers.domain.tokens import TokenPurpose
from dailypapers.services.subscriptions import (
    SubscriptionLinks,
    change_preferences,
    confirm_subscription,
    masked,
    request_subscription,
    subscribe_member,
    subscriber_for_token,
    unsubscribe,
)
from dailypapers.storage import Storage
from dailypapers.web.accounts.account_mail import mail_note
from dailypapers.web.accounts.auth import MemberDep
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep
from dailypapers.web.digests import preview
from dailypapers.web.digests.subscription_forms import (
    INVALID_LINK,
    PRIVATE,
    LinksDep,
    PreferenceFieldsDep,
    digest_page,
    invalid_link_page,
)
from dailypapers.web.rendering import Renderer

router = APIRouter(include_in_schema=False)
router.include_router(preview.router)
api_router = APIRouter(prefix="/api/digest", tags=["digests"])

# -- subscribe --------------------------------------------------------------------------


@router.get("/digest/subscribe", response_class=HTMLResponse)
def subscribe_page(
    renderer: RendererDep, email: Annotated[str, Query(max_length=320)] = ""
) -> Response:
    """Show the subscribe form, with the address typed in the box on every page."""
    return digest_page(
        renderer, "digest_subscribe.html", email=email.strip(), preferences=Preferences()
    )


@router.post("/digest/subscribe", response_class=HTMLResponse)
def subscribe(
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    links: LinksDep,
    now: NowDep,
    fields: PreferenceFieldsDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Mail a confirmation link; answer the same whether the address was subscribed or not."""
    try:
        preferences = fields.read()
        with storage.transaction():
            request_subscription(
                storage=storage,
                settings=settings,
                links=links,
                email=email,
                now=now,
                preferences=preferences,
            )
    except ValueError as error:
        return digest_page(
            renderer,
            "digest_subscribe.html",
            status=400,
            email=email.strip(),
            preferences=Preferences(),
            error=str(error),
        )
    return digest_page(
        renderer,
        "message.html",
        title="Check your inbox",
        message=(
            f"If {email.strip()} can get our mail, a message for it is queued for sending. To"
            " start the digest, open the link in it within"
            f" {round(settings.subscription_expire_hours)} hours. Nothing else is sent until then."
        ),
        note=mail_note(storage, now),
    )


# -- confirm and manage ---------------------------------------------------------------------


def _subscriber(
    storage: Storage, links: SubscriptionLinks, purpose: TokenPurpose, token: str, now: datetime
) -> Subscriber | None:
    """Return the subscriber a token names for this purpose, or None."""
    return subscriber_for_token(
        storage=storage, key=links.key, purpose=purpose, token=token, now=now
    )


@router.get("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm_page(
    token: str, storage: StorageDep, renderer: RendererDep, links: LinksDep, now: NowDep
) -> Response:
    """Show what the subscription will send, and the button that confirms it."""
    subscriber = _subscriber(storage, links, TokenPurpose.CONFIRM, token, now)
    if subscriber is None or subscriber.status not in (
        SubscriberStatus.PENDING,
        SubscriberStatus.CONFIRMED,
    ):
        return invalid_link_page(renderer)
    return digest_page(
        renderer,
        "digest_preferences.html",
        action=f"/digest/confirm/{token}",
        button="Confirm my subscription",
        heading="Confirm your subscription",
        email=masked(subscriber.email),
        preferences=subscriber.preferences,
    )


@router.post("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm(
    token: str,
    storage: StorageDep,
    renderer: RendererDep,
    links: LinksDep,
    now: NowDep,
    fields: PreferenceFieldsDep,
) -> Response:
    """Confirm the subscription with the preferences chosen."""
    try:
        preferences = fields.read()
    except ValueError as error:
        return _preferences_error(renderer, f"/digest/confirm/{token}", error)
    with storage.transaction():
        confirmed = confirm_subscription(
            storage=storage, key=links.key, token=token, now=now, preferences=preferences
        )
    if confirmed is None:
        return invalid_link_page(renderer)
    return digest_page(
        renderer,
        "message.html",
        title="You are subscribed",
        message=f"The {confirmed.preferences.frequency.value} digest will go to"
        f" {masked(confirmed.email)}. Every message has links to change it or to unsubscribe.",
        manage_url=links.manage_url(confirmed),
    )


def _preferences_error(renderer: Renderer, action: str, error: ValueError) -> Response:
    """Show the preference form again with what was wrong."""
    return digest_page(
        renderer,
        "digest_preferences.html",
        status=400,
        action=action,
        button="Save",
        heading="Check your choices",
        email=None,
        preferences=Preferences(),
        error=str(error),
    )


@router.get("/digest/manage/{token}", response_class=HTMLResponse)
def manage_page(
    token: str, storage: StorageDep, renderer: RendererDep, links: LinksDep, now: NowDep
) -> Response:
    """Show the subscriber's choices, to change them."""
    subscriber = _subscriber(storage, links, TokenPurpose.MANAGE, token, now)
    if subscriber is None:
        return invalid_link_page(renderer)
    return _manage(renderer, links, token, subscriber)


def _manage(
    renderer: Renderer,
    links: SubscriptionLinks,
    token: str,
    subscriber: Subscriber,
    *,
    message: str | None = None,
) -> Response:
    """Show the manage page of a subscriber."""
    return digest_page(
        renderer,
        "digest_preferences.html",
        action=f"/digest/manage/{token}",
        button="Save",
        heading="Your digest",
        email=masked(subscriber.email),
        preferences=subscriber.preferences,
        status_note=_status_note(subscriber),
        unsubscribe_url=links.unsubscribe_url(subscriber)
        if subscriber.status is SubscriberStatus.CONFIRMED
        else None,
        message=message,
    )


def _status_note(subscriber: Subscriber) -> str | None:
    """Explain why nothing is sent, when nothing is."""
    if subscriber.status is SubscriberStatus.UNSUBSCRIBED:
        return "You unsubscribed: nothing is sent. Subscribe again from any page."
    if subscriber.status is SubscriberStatus.BOUNCING:
        return "Mail to this address was refused, so nothing is sent to it any more."
    return None


@router.post("/digest/manage/{token}", response_class=HTMLResponse)
def manage(
    token: str,
    storage: StorageDep,
    renderer: RendererDep,
    links: LinksDep,
    now: NowDep,
    fields: PreferenceFieldsDep,
) -> Response:
    """Save the subscriber's new choices."""
    try:
        preferences = fields.read()
    except ValueError as error:
        return _preferences_error(renderer, f"/digest/manage/{token}", error)
    with storage.transaction():
        subscriber = _subscriber(storage, links, TokenPurpose.MANAGE, token, now)
        if subscriber is None:
            return invalid_link_page(renderer)
        saved = change_preferences(storage=storage, subscriber=subscriber, preferences=preferences)
    return _manage(renderer, links, token, saved, message="Saved.")


# -- a signed-in member's own digest (their settings page links here) -----------------------


@router.get("/settings/digest", response_class=HTMLResponse)
def member_digest_page(
    storage: StorageDep, renderer: RendererDep, links: LinksDep, member: MemberDep
) -> Response:
    """Open the member's digest settings, or offer to start the digest."""
    subscriber = storage.find_subscriber(member.email)
    if subscriber is not None and subscriber.status is not SubscriberStatus.PENDING:
        return _see_manage(links, subscriber)
    return digest_page(
        renderer,
        "digest_preferences.html",
        action="/settings/digest",
        button="Start my digest",
        heading="Email digest",
        email=member.email,
        preferences=subscriber.preferences if subscriber else Preferences(),
    )


@router.post("/settings/digest", response_class=HTMLResponse)
def member_digest(
    storage: StorageDep,
    renderer: RendererDep,
    links: LinksDep,
    now: NowDep,
    member: MemberDep,
    fields: PreferenceFieldsDep,
) -> Response:
    """Start (or restart) the digest for the member's own address, with these choices."""
    try:
        preferences = fields.read()
    except ValueError as error:
        return _preferences_error(renderer, "/settings/digest", error)
    with storage.transaction():
        subscriber = subscribe_member(
            storage=storage, email=member.email, preferences=preferences, now=now
        )
    return _see_manage(links, subscriber)


def _see_manage(links: SubscriptionLinks, subscriber: Subscriber) -> Response:
    """Send the visitor to the subscriber's manage page."""
    return RedirectResponse(
        links.manage_url(subscriber).removeprefix(links.site_url), status_code=303, headers=PRIVATE
    )


# -- unsubscribe ------------------------------------------------------------------------------


@router.get("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    token: str, storage: StorageDep, renderer: RendererDep, links: LinksDep, now: NowDep
) -> Response:
    """Show the one button that unsubscribes (a GET never does: link scanners follow links)."""
    subscriber = _subscriber(storage, links, TokenPurpose.UNSUBSCRIBE, token, now)
    if subscriber is None:
        return invalid_link_page(renderer)
    return digest_page(
        renderer,
        "digest_unsubscribe.html",
        token=token,
        email=masked(subscriber.email),
        done=subscriber.status is SubscriberStatus.UNSUBSCRIBED,
    )


@router.post("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_by_page(
    token: str, storage: StorageDep, renderer: RendererDep, links: LinksDep, now: NowDep
) -> Response:
    """Unsubscribe from the page's button."""
    with storage.transaction():
        subscriber = _subscriber(storage, links, TokenPurpose.UNSUBSCRIBE, token, now)
        if subscriber is None:
            return invalid_link_page(renderer)
        unsubscribe(storage=storage, subscriber=subscriber, now=now)
    return digest_page(
        renderer, "digest_unsubscribe.html", token=token, email=masked(subscriber.email), done=True
    )


@api_router.post("/unsubscribe/{token}")
def unsubscribe_in_one_click(
    token: str, storage: StorageDep, links: LinksDep, now: NowDep
) -> Response:
    """Unsubscribe at a mail client's request (RFC 8058 one-click: the signed token suffices)."""
    with storage.transaction():
        subscriber = _subscriber(storage, links, TokenPurpose.UNSUBSCRIBE, token, now)
        if subscriber is None:
            return JSONResponse({"error": INVALID_LINK}, status_code=400, headers=PRIVATE)
        unsubscribe(storage=storage, subscriber=subscriber, now=now)
    return JSONResponse({"unsubscribed": True}, headers=PRIVATE)


@api_router.get(
    "/unsubscribe/{token}",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "to the page with the unsubscribe button"}},
)
def one_click_link_opened(token: str) -> Response:
    """Send a person who opened the one-click address to the page with the button."""
    return RedirectResponse(f"/digest/unsubscribe/{token}", status_code=303, headers=PRIVATE)
