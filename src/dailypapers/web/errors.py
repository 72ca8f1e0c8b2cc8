"""Answer bad requests with a clear message: JSON under /api, a page elsewhere."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from dailypapers.domain.periods import PeriodOutOfRange
from dailypapers.web.accounts.sessions import checked_session, current_auth
from dailypapers.web.rendering import Renderer


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def describe_validation(error: RequestValidationError) -> str:
    """Turn FastAPI's validation details into one readable sentence."""
    parts = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
        parts.append(f"{name}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts)


async def error_response(request: Request, status_code: int, message: str) -> Response:
    """Return the error as JSON for the API and as a page for people."""
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status_code)
    auth = current_auth()
    if auth is not None:  # the page names who is signed in: looked up off the event loop
        await checked_session(auth)
    renderer: Renderer = request.app.state.renderer
    return renderer.page("error.html", status=status_code, status_code=status_code, message=message)


def install(app: FastAPI) -> None:
    """Register the handlers that shape error responses."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        return await error_response(request, 422, describe_validation(error))

    @app.exception_handler(PeriodOutOfRange)
    async def period_out_of_range(request: Request, error: PeriodOutOfRange) -> Response:
        # A period named in the URL, or one a page derives from it (its week and month tabs),
        # may run past the calendar's last day: that is the request's fault, wherever it shows.
        return await error_response(request, 400, str(error))

    @app.exception_handler(UnicodeEncodeError)
    async def not_unicode(request: Request, error: UnicodeEncodeError) -> Response:
        # JSON may spell half a surrogate pair (\ud800); no database stores it. The write
        # failed inside the request's transaction, so nothing of it was kept.
        return await error_response(
            request,
            400,
            "text must be valid Unicode: it holds a lone surrogate (\\ud800 to \\udfff)",
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else "request failed"
        response = await error_response(request, error.status_code, message)
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        if error.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response


def allowed_methods(request: Request) -> list[str]:
    """Return every method some route answers at this path.

    Starlette's 405 names only the methods of the first route whose path matched; a
    path that several routes share (POST and DELETE of one resource) has them all.
    """
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
