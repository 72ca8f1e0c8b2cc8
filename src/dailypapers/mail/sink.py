"""A local SMTP server that accepts every message and shows it: the demo's mail, on screen.

Nothing leaves the machine. It needs aiosmtpd (`pip install 'dailypapers[demo]'`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


class SinkUnavailable(Exception):
    """aiosmtpd is not installed."""


class MailSink:
    """An SMTP server on a local port that hands each message it accepts to a callback."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        on_message: Callable[[bytes], None],
        folder: Path | None = None,
    ) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise SinkUnavailable(
                "the mail sink needs aiosmtpd: pip install 'dailypapers[demo]'"
            ) from None
        self.folder = folder
        self.received = 0
        self._on_message = on_message
        self._controller = Controller(_Handler(self), hostname=host, port=port, ready_timeout=10)

    def start(self) -> None:
        """Listen; return once the port accepts connections."""
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        """Close the port."""
        self._controller.stop()

    def accept(self, data: bytes) -> None:
        """Keep (if given a folder) and show one message."""
        self.received += 1
        if self.folder is not None:
            (self.folder / f"{self.received:05d}.eml").write_bytes(data)
        self._on_message(data)


class _Handler:
    """aiosmtpd's hook: accept every message."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Take the message and answer that it was accepted."""
        self.sink.accept(bytes(envelope.original_content or envelope.content))
        return "250 OK: kept by the local mail sink"
