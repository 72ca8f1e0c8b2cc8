"""Sign up, sign in, sign out, and reset a forgotten password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dailypapers.domain.rate_limits import Action
from dailypapers.services import accounts
from dailypapers.services.errors import Conflict, InvalidInput, NotAllowed
from dailypapers.web.accounts.account_mail import (
    MailLinksUnavailable,
    mail_note,
    queue_already_registered,
    queue_reset_link,
    queue_signup_link,
    site_url,
)
from dailypapers.web.accounts.auth import (
    AccountsDep,
    AuthDep,
    enforce_rate_limit,
    local_path,
    see_other,
)
from dailypapers.web.dependencies import NowDep, RendererDep, SettingsDep, StorageDep

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]
NO_MAIL_LINKS = (
    "This site cannot send links by mail until its admin sets DAILYPAPERS_PUBLIC_URL."
    " Ask the admin to create your account (dailypapers user create)."
)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(renderer: RendererDep, next: str = "/") -> Response:
    """Show the sign-in form."""
    return renderer.page("signin.html", next=local_path(next), login="", error=None)


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    auth: AuthDep,
    now: NowDep,
    login: FormText,
    password: FormText,
    next: OptionalText = "/",
) -> Response:
    """Check the username (or email) and password; open a session."""
    target = local_path(next)
    subject = accounts.sign_in_subject(storage=storage, login=login)
    enforce_rate_limit(request, Action.SIGNIN, account=subject)
    try:
        user = accounts.authenticate(
            storage=storage, hasher=config.hasher, login=login, password=password
        )
    except NotAllowed as error:
        return renderer.page("signin.html", status=403, next=target, login=login, error=str(error))
    if user is None:
        # One message for a wrong name and a wrong password: neither says who is a member.
        return renderer.page(
            "signin.html",
            status=400,
            next=target,
            login=login,
            error="wrong username, email or password",
        )
    lifetime = accounts.session_lifetime(settings.session_days)
    with storage.transaction():
        token = accounts.start_session(storage=storage, user=user, now=now, lifetime=lifetime)
    auth.start_session(token, lifetime)
    return see_other(target)


@router.post("/signout")
def signout(storage: StorageDep, auth: AuthDep) -> Response:
    """End the session."""
    if auth.session_token:
        with storage.transaction():
            accounts.end_session(storage=storage, token=auth.session_token)
    auth.end_session()
    return see_other("/")


@router.get("/signup", response_class=HTMLResponse)
def signup_form(renderer: RendererDep) -> Response:
    """Show the sign-up form."""
    return renderer.page("signup.html", form={}, error=None)


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    now: NowDep,
    username: FormText,
    email: FormText,
    password: FormText,
    fullname: OptionalText = "",
) -> Response:
    """Keep a sign-up and queue its link; say the same whether the address is registered."""
    enforce_rate_limit(request, Action.SIGNUP, account=email.strip().lower())
    form = {"username": username, "email": email, "fullname": fullname}
    try:
        base = site_url(request, settings)
        with storage.transaction():
            outcome = accounts.request_signup(
                storage=storage,
                hasher=config.hasher,
                username=username,
                email=email,
                password=password,
                fullname=fullname,
                now=now,
            )
            if outcome.existing is not None:
                queue_already_registered(
                    storage,
                    settings,
                    now,
                    to=outcome.email,
                    username=outcome.existing.username,
                    reset_url=f"{base}/reset",
                )
            else:
                assert outcome.link_token is not None
                queue_signup_link(
                    storage,
                    settings,
                    now,
                    to=outcome.email,
                    username=username.strip(),
                    link=f"{base}/signup/confirm/{outcome.link_token}",
                )
    except MailLinksUnavailable:
        return renderer.page("signup.html", status=503, form=form, error=NO_MAIL_LINKS)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 400
        return renderer.page("signup.html", status=status, form=form, error=str(error))
    return renderer.page(
        "message.html",
        title="Check your mail",
        message=f"A message to {outcome.email} is queued for sending. Open the link in it to"
        " finish signing up.",
        note=mail_note(storage, now),
    )


@router.get("/signup/confirm/{token}", response_class=HTMLResponse)
def confirm_form(token: str, storage: StorageDep, renderer: RendererDep, now: NowDep) -> Response:
    """Show the button that finishes a sign-up (opening a link changes nothing)."""
    live = accounts.mailed_link_is_live(storage=storage, token=token, purpose="signup", now=now)
    return renderer.page("signup_confirm.html", token=token, live=live)


@router.post("/signup/confirm/{token}")
def confirm(
    token: str,
    storage: StorageDep,
    settings: SettingsDep,
    auth: AuthDep,
    now: NowDep,
) -> Response:
    """Create the account the mailed link stands for, and sign its member in."""
    lifetime = accounts.session_lifetime(settings.session_days)
    with storage.transaction():
        user = accounts.confirm_signup(storage=storage, token=token, now=now)
        session = accounts.start_session(storage=storage, user=user, now=now, lifetime=lifetime)
    auth.start_session(session, lifetime)
    return see_other("/settings")


@router.get("/reset", response_class=HTMLResponse)
def reset_request_form(renderer: RendererDep) -> Response:
    """Show the form that asks for a reset link."""
    return renderer.page("reset_request.html", error=None)


@router.post("/reset", response_class=HTMLResponse)
def reset_request(
    request: Request,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    now: NowDep,
    email: FormText,
) -> Response:
    """Queue a reset link if the address has a member; answer the same either way."""
    enforce_rate_limit(request, Action.RESET, account=email.strip().lower())
    try:
        base = site_url(request, settings)
    except MailLinksUnavailable:
        return renderer.page("reset_request.html", status=503, error=NO_MAIL_LINKS)
    with storage.transaction():
        found = accounts.request_password_reset(storage=storage, email=email, now=now)
        if found is not None:
            user, token = found
            link = f"{base}/reset/{token}"
            queue_reset_link(
                storage, settings, now, to=user.email, username=user.username, link=link
            )
    return renderer.page(
        "message.html",
        title="Check your mail",
        message="If an account uses that address, a message with a link to choose a new"
        " password is queued for it. The link works once, for an hour.",
        note=mail_note(storage, now),
    )


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_form(token: str, storage: StorageDep, renderer: RendererDep, now: NowDep) -> Response:
    """Show the new-password form of a reset link."""
    live = accounts.mailed_link_is_live(storage=storage, token=token, purpose="reset", now=now)
    return renderer.page("reset_form.html", token=token, live=live, error=None)


@router.post("/reset/{token}", response_class=HTMLResponse)
def reset(
    token: str,
    storage: StorageDep,
    settings: SettingsDep,
    renderer: RendererDep,
    config: AccountsDep,
    auth: AuthDep,
    now: NowDep,
    password: FormText,
) -> Response:
    """Set the new password, end every other session, and sign the member in."""
    lifetime = accounts.session_lifetime(settings.session_days)
    try:
        with storage.transaction():
            user = accounts.reset_password(
                storage=storage, hasher=config.hasher, token=token, password=password, now=now
            )
            session = accounts.start_session(storage=storage, user=user, now=now, lifetime=lifetime)
    except InvalidInput as error:
        live = accounts.mailed_link_is_live(storage=storage, token=token, purpose="reset", now=now)
        return renderer.page(
            "reset_form.html", status=400, token=token, live=live, error=str(error)
        )
    auth.start_session(session, lifetime)
    return see_other("/settings")
