"""Make the API's OpenAPI description true for every route, including routes added later.

FastAPI describes what a route returns when all goes well. Every /api route can also
answer with this site's error shape, for reasons the route itself does not declare (bad
input, unknown ids, rate limits, a missing token), so they are added here to each
operation, once, rather than on each router.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {"error": {"type": "string", "description": "what went wrong, for people"}},
    "required": ["error"],
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
# What any API operation may answer besides its own success.
ANY_OPERATION = {
    "400": "The request is well formed but makes no sense (the message says why)",
    "404": "No such paper, comment or page",
    "405": "The path exists, but not with this method (the Allow header lists those it has)",
    "422": "A parameter or the body is not of the documented shape",
    "429": "Too many requests: wait as long as Retry-After says",
}
# What an operation that needs a personal access token may answer besides.
WITH_TOKEN = {
    "401": "No valid personal access token: send Authorization: Bearer TOKEN",
    "403": "The token's member may not do this",
}


def describe_errors(description: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses every /api operation may give to an OpenAPI description."""
    description.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    schemas = description["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):  # our 422s use the Error shape
        schemas.pop(name, None)
    for path, operations in description.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = dict(ANY_OPERATION)
            if operation.get("security"):
                errors.update(WITH_TOKEN)
            for status, meaning in errors.items():
                responses[status] = {
                    "description": meaning,
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
    return description


def install_openapi_description(app: FastAPI) -> None:
    """Serve the app's description with the error responses added, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
