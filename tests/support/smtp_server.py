"""A real SMTP server (aiosmtpd) on a loopback port that records the mail it accepts.

It can refuse recipients or messages with any reply, go down and come back on the
same port (an outage), stall a client at a chosen message (to kill it there), and
speak STARTTLS or TLS with a throwaway certificate and require a login.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from support.live_server import free_port


@dataclass(frozen=True)
class Received:
    """One message the server accepted (it answered 250 to its data)."""

    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """Return the message parsed as a mail client would."""
        # Lines end in CRLF on the wire; a client shows them as lines.
        lines = self.data.replace(b"\r\n", b"\n")
        parsed: EmailMessage = message_from_bytes(lines, policy=default_policy)  # type: ignore[assignment]
        return parsed


class SmtpServer:
    """The server and its controls; every attribute may be changed while it runs."""

    def __init__(
        self,
        *,
        security: str = "none",
        credentials: tuple[str, str] | None = None,
        folder: Path | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.security = security
        self.credentials = credentials
        self.received: list[Received] = []
        self.refusals: dict[str, str] = {}  # recipient -> reply to its RCPT, e.g. "550 ..."
        self.data_replies: list[str] = []  # replies to the next DATA commands, then 250
        self.hold_at: int | None = None  # stall the next MAIL once this many were accepted
        self.held = threading.Event()  # set while a client is stalled
        self.released = threading.Event()
        self.logins: list[str] = []
        self.cert_file: Path | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._arrived = threading.Condition()
        self._controller: _Controller | None = None
        if security != "none":
            if folder is None:
                raise ValueError("a TLS server needs a folder for its certificate")
            self.cert_file, self._ssl_context = _self_signed(folder)

    # -- controls -----------------------------------------------------------------------

    def start(self) -> None:
        """Listen (again) on the server's port."""
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options["tls_context"] = self._ssl_context
        if self.credentials:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Implicit TLS is TLS too, though aiosmtpd only counts STARTTLS as such.
                auth_require_tls=self.security == "starttls",
            )
        self._controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=self._ssl_context if self.security == "tls" else None,
            server_hostname="mx.test",
            ready_timeout=10,
            **options,
        )
        self._controller.start()

    def stop(self) -> None:
        """Close the port and drop every connection, as a crashed server would."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold_after(self, count: int) -> None:
        """Stall the client that sends the message after the `count`th, until released."""
        self.held.clear()
        self.released.clear()
        self.hold_at = count

    def release(self) -> None:
        """Let a stalled client go on (or find its connection closed)."""
        self.hold_at = None
        self.released.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait until at least `count` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} messages, got {len(self.received)} in {timeout} s"
                    )
                self._arrived.wait(left)
        return list(self.received)

    def messages(self) -> list[EmailMessage]:
        """Return the accepted messages, parsed."""
        return [item.message for item in self.received]

    # -- what the handler calls --------------------------------------------------------

    def _accept(self, item: Received) -> None:
        """Record an accepted message and wake whoever waits for it."""
        with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept the configured login and password only."""
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (login, password) == self.credentials
        if ok:
            self.logins.append(login)
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's threaded controller, quiet about login without TLS (tests want that)."""

    def factory(self) -> Any:
        """Build the SMTP protocol without the warning about login over plain text."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


class _Handler:
    """aiosmtpd hooks that follow the server's controls."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Stall here when told to, then accept the sender."""
        server = self.server
        if server.hold_at is not None and len(server.received) >= server.hold_at:
            server.held.set()
            while not server.released.is_set():
                await asyncio.sleep(0.01)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Refuse the recipients told to, accept the others."""
        refusal = self.server.refusals.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        """Answer the next scripted reply, else accept and record the message."""
        if self.server.data_replies:
            return self.server.data_replies.pop(0)
        self.server._accept(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 accepted"


def _self_signed(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """Make a certificate for 127.0.0.1 and localhost; return its file and a server context."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@contextmanager
def smtp_server(**options: Any) -> Iterator[SmtpServer]:
    """Run an SMTP server on a free loopback port for the block; yield its controls."""
    server = SmtpServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.release()
        server.stop()
