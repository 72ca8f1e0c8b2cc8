"""Read a message as its reader would: who it is for, its subject, and the links that act."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

# The links a reader follows to do something: finish a sign-up, reset a password, confirm,
# manage or end a digest subscription.
_ACTION_LINK = re.compile(r"https?://[^\s<>\"']*/(?:confirm|reset|manage|unsubscribe)/[^\s<>\"']+")


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What an operator needs to see of one message."""

    recipients: str
    subject: str
    links: tuple[str, ...]
    text: str


def summarize(data: bytes) -> MessageSummary:
    """Return the addressees, subject, action links and plain text of an RFC 5322 message."""
    parsed = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(("plain", "html"))
    text = str(body.get_content()) if body is not None else ""
    links = tuple(dict.fromkeys(_ACTION_LINK.findall(text)))  # in order, each once
    return MessageSummary(str(parsed.get("To", "")), str(parsed.get("Subject", "")), links, text)
