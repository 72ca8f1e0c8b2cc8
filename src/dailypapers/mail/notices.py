"""Write the one-off messages of subscriptions: the confirmation link, or a reminder of one."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from dailypapers.mail.digest_message import mail_templates


def subscription_notice(
    *,
    site_name: str,
    site_url: str,
    mail_from: str,
    email: str,
    confirm_url: str | None,
    manage_url: str | None,
    hours: int,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """Return the confirmation link's message, or without a link a note that the address is in."""
    text = (
        mail_templates()
        .get_template("confirmation.txt")
        .render(
            site_name=site_name,
            site_url=site_url.rstrip("/"),
            email=email,
            confirm_url=confirm_url,
            manage_url=manage_url,
            already=confirm_url is None,
            hours=hours,
        )
    )
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email
    message["Subject"] = (
        f"Confirm your {site_name} digest"
        if confirm_url
        else f"You are subscribed to the {site_name} digest"
    )
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message
