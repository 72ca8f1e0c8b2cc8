"""Mail: SMTP sending with failures classified, and the site's messages (digests, notices)."""

from dailypapers.mail.smtp import (
    MailError,
    MailServerError,
    PermanentMailError,
    SmtpSender,
    TemporaryMailError,
    envelope_sender,
    finish_message,
    send_email,
)

__all__ = [
    "MailError",
    "MailServerError",
    "PermanentMailError",
    "SmtpSender",
    "TemporaryMailError",
    "envelope_sender",
    "finish_message",
    "send_email",
]
