"""What the account routes ask for: the member signed in, their token, and their limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPBearer

from dailypapers.domain.accounts import SubmitPolicy, User
from dailypapers.domain.rate_limits import Action, RateLimit, Scope
from dailypapers.services.accounts import access_token_user
from dailypapers.services.arxiv import PaperNotFound
from dailypapers.services.errors import (
    ActionRefused,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from dailypapers.services.rate_limiting import RateLimited, check_rate_limits
from dailypapers.sources.arxiv_api import ArxivApiError
from dailypapers.sources.http import FetchError, PoliteFetcher
from dailypapers.storage import Storage
from dailypapers.web.accounts.sessions import RequestAuth, checked_session, current_auth
from dailypapers.web.errors import error_response


@dataclass(frozen=True)
class AccountsConfig:
    """The account machinery create_app sets up once: hasher, limits, fetcher."""

    hasher: PasswordHasher
    limits: dict[tuple[Action, Scope], RateLimit]
    submit_policy: SubmitPolicy
    fetcher: PoliteFetcher | None  # for submissions from arXiv; None: typed in only


async def get_accounts(request: Request) -> AccountsConfig:
    """Return the app's account machinery."""
    config: AccountsConfig = request.app.state.accounts
    return config


async def get_request_auth(request: Request) -> RequestAuth:
    """Return what the accounts middleware learned about this request."""
    auth = current_auth()
    assert auth is not None, "AccountsMiddleware is not installed"
    await checked_session(auth)  # before an async route reads it on the event loop
    return auth


class SignInNeeded(Exception):
    """A page needs a signed-in member; the visitor is sent to sign in and back."""


async def get_member(request: Request) -> User:
    """Return the signed-in member, or send the visitor to sign in first."""
    viewer = (await get_request_auth(request)).viewer
    if viewer is None:
        raise SignInNeeded()
    return viewer


# Declares the scheme in the OpenAPI description (and so "Authorize" in the API docs);
# the header is read below, so that a bad one gets this API's own 401.
bearer_token = HTTPBearer(auto_error=False, description="a personal access token from Settings")


def get_api_user(
    request: Request, _declared: Annotated[object, Security(bearer_token)] = None
) -> User:
    """Return the member whose personal access token authorizes this API call; 401 otherwise."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        storage: Storage = request.app.state.storage
        user = access_token_user(
            storage=storage, secret=secret.strip(), now=request.app.state.clock()
        )
    if user is None:
        raise HTTPException(
            401,
            "send a valid personal access token: Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": 'Bearer realm="dailypapers"'},
        )
    return user


AccountsDep = Annotated[AccountsConfig, Depends(get_accounts)]
AuthDep = Annotated[RequestAuth, Depends(get_request_auth)]
MemberDep = Annotated[User, Depends(get_member)]
ApiUserDep = Annotated[User, Depends(get_api_user)]


def client_address(request: Request) -> str:
    """Return the client's IP address (behind a proxy, uvicorn's --forwarded-allow-ips sets it)."""
    return request.client.host if request.client else "unknown"


def enforce_rate_limit(request: Request, action: Action, *, account: str | int | None) -> None:
    """Count the action for this account, this address and the two together; 429 when over."""
    config: AccountsConfig = request.app.state.accounts
    storage: Storage = request.app.state.storage
    address = client_address(request)
    check_rate_limits(
        storage=storage,
        limits=config.limits,
        action=action,
        subjects={
            Scope.ACCOUNT: None if account is None else str(account),
            Scope.IP: address,
            Scope.ACCOUNT_IP: None if account is None else f"{account} from {address}",
        },
        now_s=request.app.state.clock().timestamp(),
    )


def local_path(target: str | None, default: str = "/") -> str:
    """Return the target if it is a path on this site, else the default (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(character in target for character in "\r\n\t"):
        return default
    return target


def wants_fragment(request: Request) -> bool:
    """Tell whether the enhancement script sent the request and wants HTML to swap in."""
    return request.headers.get("hx-request") == "true"


def see_other(path: str) -> RedirectResponse:
    """Answer a form with a redirect the browser follows with GET."""
    return RedirectResponse(path, status_code=303)


_STATUS_OF_REFUSAL: dict[type[ActionRefused], int] = {
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 400,
}


def install_error_handlers(app: FastAPI) -> None:
    """Turn refusals into 4xx answers, rate limits into 429, and send visitors to sign in."""

    @app.exception_handler(ActionRefused)
    async def refused(request: Request, error: ActionRefused) -> Response:
        status = next(
            (code for kind, code in _STATUS_OF_REFUSAL.items() if isinstance(error, kind)), 400
        )
        return await error_response(request, status, str(error))

    @app.exception_handler(RateLimited)
    async def limited(request: Request, error: RateLimited) -> Response:
        response = await error_response(request, 429, str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(PaperNotFound)
    async def not_on_arxiv(request: Request, error: PaperNotFound) -> Response:
        return await error_response(request, 404, str(error))

    @app.exception_handler(FetchError)
    @app.exception_handler(ArxivApiError)
    async def arxiv_failed(request: Request, error: Exception) -> Response:
        return await error_response(request, 502, f"arXiv could not be asked: {error}")

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, error: SignInNeeded) -> Response:
        back = request.url.path if request.method == "GET" else request.headers.get("referer", "")
        target = local_path(same_site_path(back, request) or back, "/")
        return see_other(f"/signin?next={quote(target, safe='/')}")


def same_site_path(url: str, request: Request) -> str | None:
    """Return the path (and query) of a URL on this site, such as a Referer; else None."""
    base = str(request.base_url)
    return "/" + url.removeprefix(base) if url.startswith(base) else None
