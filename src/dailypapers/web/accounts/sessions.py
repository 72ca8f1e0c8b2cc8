"""Who is asking, and whether a form really comes from this site.

Sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure over https);
the database keeps only its SHA-256 digest, so signing out, a password change or a
ban ends it at once.

CSRF: every POST, PUT, PATCH or DELETE outside /api must carry a token (a form field
or the X-CSRF-Token header) equal to an HMAC, under the site's secret key, of the
session token (signed in) or of a random `dp_csrf` cookie (signed out: the sign-in,
sign-up and reset forms). Another site can make a browser send the cookies but can
neither read them nor compute the HMAC. The check runs here, before any route, so no
route can forget it. The JSON API takes no cookies at all, only bearer tokens, so
there is nothing for another site to ride on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import default as email_policy
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.domain.accounts import User
from dailypapers.services.accounts import new_secret, session_user
from dailypapers.storage import Storage
from dailypapers.web.read_lane import reads_on_the_loop
from dailypapers.web.rendering import Renderer

SESSION_COOKIE = "dp_session"
CSRF_COOKIE = "dp_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf-token"
MAX_FORM_BYTES = 256 * 1024  # the longest form (a comment, an abstract) fits many times
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestAuth:
    """What the middleware learned about the request, for routes and templates.

    A session cookie is looked up on first use of `viewer` or `session_token`, not by the
    middleware: a page asks from the thread it already runs in, which saves each signed-in
    request a round trip to the thread pool (about a tenth of a listing's time).
    """

    def __init__(
        self,
        *,
        csrf_cookie: str | None,
        secret: bytes,
        secure: bool,
        session_cookie: str | None = None,
        lookup: Callable[[str], User | None] | None = None,
        lookup_on_the_loop: bool = False,
    ) -> None:
        self.csrf_cookie = csrf_cookie
        self.secret = secret
        self.secure = secure  # served over https: cookies get the Secure flag
        self.new_cookies: list[str] = []  # Set-Cookie values to send
        self._viewer: User | None = None
        self._session_token: str | None = None  # set only while the session is live
        # The cookie still to look up, and how: cleared once looked up.
        self._unchecked = session_cookie if lookup is not None else None
        self._lookup = lookup
        # As the read lane's reads (web/read_lane.py): a round trip to a thread costs more.
        self.lookup_on_the_loop = lookup_on_the_loop
        # A page asks for its token once per form (a vote button on every card): one HMAC.
        self._csrf_memo: tuple[str, str] | None = None

    @property
    def viewer(self) -> User | None:
        """Return the signed-in member (looking the session up on first use)."""
        self.check_session()
        return self._viewer

    @property
    def session_token(self) -> str | None:
        """Return the session's token while it is live."""
        self.check_session()
        return self._session_token

    @property
    def session_checked(self) -> bool:
        """Tell whether the session cookie (if any) has been looked up."""
        return self._unchecked is None

    def check_session(self) -> None:
        """Look the session cookie up, once; an expired or ended one is deleted."""
        token, self._unchecked = self._unchecked, None
        if token is None or self._lookup is None:
            return
        self._viewer = self._lookup(token)
        if self._viewer is not None:
            self._session_token = token
        else:  # expired, ended elsewhere, or the member was banned
            self.set_cookie(SESSION_COOKIE, "", max_age=0)

    def set_cookie(self, name: str, value: str, *, max_age: int | None = None) -> None:
        """Send a cookie with this site's flags; a max_age of 0 deletes it."""
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        self.new_cookies.append("; ".join(parts))

    def csrf_token(self) -> str:
        """Return the token this request's forms carry, making a cookie to bind it if needed."""
        if self.session_token is None and self.csrf_cookie is None:
            self.csrf_cookie = new_secret()
            self.set_cookie(CSRF_COOKIE, self.csrf_cookie)
        expected = self._expected_csrf()
        assert expected is not None
        return expected

    def _expected_csrf(self) -> str | None:
        if self.session_token is not None:
            binding = f"session:{self.session_token}"
        elif self.csrf_cookie is not None:
            binding = f"anonymous:{self.csrf_cookie}"
        else:
            return None
        if self._csrf_memo is None or self._csrf_memo[0] != binding:
            digest = hmac.new(self.secret, binding.encode(), hashlib.sha256).hexdigest()
            self._csrf_memo = (binding, digest)
        return self._csrf_memo[1]

    def csrf_matches(self, token: str | None) -> bool:
        """Tell whether a submitted token is the one this request's forms carry."""
        expected = self._expected_csrf()
        return bool(token and expected and hmac.compare_digest(token, expected))

    def start_session(self, token: str, lifetime: timedelta) -> None:
        """Send the cookie of a session just opened (a new token: no fixation)."""
        self._unchecked = None
        self._session_token = token
        self.set_cookie(SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()))

    def end_session(self) -> None:
        """Delete the session cookie."""
        self._unchecked = None
        self._session_token = None
        self._viewer = None
        self.set_cookie(SESSION_COOKIE, "", max_age=0)


_current: ContextVar[RequestAuth | None] = ContextVar("dailypapers_request_auth", default=None)


def current_auth() -> RequestAuth | None:
    """Return what the middleware learned about the request being handled."""
    return _current.get()


async def checked_session(auth: RequestAuth) -> None:
    """Look the session up, unless done: on the event loop where the storage's reads run
    there (SQLite), else in a thread."""
    if auth.session_checked:
        return
    if auth.lookup_on_the_loop:
        auth.check_session()
    else:
        await anyio.to_thread.run_sync(auth.check_session)


def current_viewer() -> User | None:
    """Return the signed-in member making the request, if any (never under /api)."""
    auth = _current.get()
    return auth.viewer if auth else None


class AccountsMiddleware:
    """Resolve the session, check CSRF tokens on state changes, and send the cookies set."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        storage: Storage,
        secret: bytes,
        clock: Callable[[], datetime],
        renderer: Renderer,
        always_secure: bool,
    ) -> None:
        self.app = app
        self.storage = storage
        self.secret = secret
        self.clock = clock
        self.renderer = renderer
        self.always_secure = always_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        in_api = scope["path"].startswith("/api/")
        token = cookies.get(SESSION_COOKIE) if not in_api else None
        auth = RequestAuth(
            csrf_cookie=cookies.get(CSRF_COOKIE) or None,
            secret=self.secret,
            secure=self.always_secure or scope.get("scheme") == "https",
            session_cookie=token or None,
            lookup=self._session_lookup(self.clock()) if token else None,
            lookup_on_the_loop=reads_on_the_loop(self.storage),
        )
        reset = _current.set(auth)
        try:
            if scope["method"] in UNSAFE_METHODS and not in_api:
                await checked_session(auth)  # the CSRF token is bound to a live session
                body = await _read_body(receive)
                if body is None:
                    await self._refuse(scope, receive, send, 413, "that form is too large")
                    return
                if not auth.csrf_matches(_submitted_csrf(headers, body)):
                    message = (
                        "this form has expired or did not come from this site:"
                        " go back, reload the page and try again"
                    )
                    await self._refuse(scope, receive, send, 403, message)
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, _with_cookies(send, auth))
        finally:
            _current.reset(reset)

    def _session_lookup(self, now: datetime) -> Callable[[str], User | None]:
        """Return the lookup of a session cookie as live at `now` (the request's start)."""
        return lambda token: session_user(storage=self.storage, token=token, now=now)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str
    ) -> None:
        response = self.renderer.page(
            "error.html", status=status, status_code=status, message=message
        )
        await response(scope, receive, send)


def _submitted_csrf(headers: dict[bytes, bytes], body: bytes) -> str | None:
    """Return the token a request carries: the header, else the form's field."""
    if CSRF_HEADER in headers:
        return headers[CSRF_HEADER].decode("latin-1")
    content_type = headers.get(b"content-type", b"")
    if content_type.startswith(b"multipart/form-data"):  # file uploads (a BibTeX import)
        return _multipart_field(content_type, body, CSRF_FIELD)
    if not content_type.startswith(b"application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
    return values[-1] if values else None


def _multipart_field(content_type: bytes, body: bytes, name: str) -> str | None:
    """Return a text field of a multipart/form-data body, read by the standard email parser."""
    message = BytesParser(policy=email_policy).parsebytes(
        b"Content-Type: " + content_type + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            content = part.get_content()
            return content if isinstance(content, str) else None
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """Return the whole request body, or None once it passes MAX_FORM_BYTES."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive callable that hands the app the body already read, then waits on."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect is left to come
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _with_cookies(send: Send, auth: RequestAuth) -> Send:
    """Wrap send so that the response carries the cookies set and is never shared."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            await checked_session(auth)  # a page that never asked: its headers depend on it
        if message["type"] == "http.response.start" and (auth.new_cookies or auth.viewer):
            headers = [
                (name, value)
                for name, value in message.get("headers", [])
                if name.lower() != b"cache-control"
            ]
            headers += [(b"set-cookie", cookie.encode("latin-1")) for cookie in auth.new_cookies]
            # A page for one member (or carrying their cookie) must not sit in a shared cache.
            headers += [(b"cache-control", b"private, no-store"), (b"vary", b"Cookie")]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
