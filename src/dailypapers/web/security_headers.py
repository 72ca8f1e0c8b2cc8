"""Headers that tell browsers to run no script but ours, frame nothing, and sniff nothing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages load scripts, stylesheets and images of their own only: avatars are kept here
# and Swagger UI's files are served from the installed package.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # reset links in URLs never leak to other sites
    (b"x-frame-options", b"DENY"),
]
_FRAMING = [(b"x-frame-options", b"DENY")]


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", [])]
                # A response with a policy of its own (a framed mail preview) keeps it: its
                # frame-ancestors says who may frame it, in place of X-Frame-Options.
                own_policy = any(name.lower() == b"content-security-policy" for name, _ in headers)
                headers += [header for header in _ALWAYS if not (own_policy and header in _FRAMING)]
                if not own_policy:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)
