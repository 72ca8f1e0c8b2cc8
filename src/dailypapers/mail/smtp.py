"""Send mail through the configured SMTP server, telling temporary failures from permanent ones.

SMTP's own reply codes decide: 4xx means "not now" and 5xx "never", except that a
5xx to the login or to our sender address is our configuration's fault, not the
recipient's, so it must never get an address marked as bouncing.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from types import TracebackType

from dailypapers.settings import Settings

IDLE_CHECK_S = 5.0  # a connection unused this long is checked with NOOP before the next message
# A server says 421 when it is about to close the connection (RFC 5321 3.8).
CLOSING_CODE = 421


class MailError(Exception):
    """A message could not be sent; `code` is the server's reply code when it gave one."""

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class TemporaryMailError(MailError):
    """The server put the message off (4xx), or could not be reached: try again later."""


class MailServerError(TemporaryMailError):
    """The server or our settings failed (no connection, login refused): no message can go."""


class PermanentMailError(MailError):
    """The server refused this recipient or message for good (5xx)."""


def envelope_sender(settings: Settings) -> str:
    """Return the bare address of DAILYPAPERS_MAIL_FROM, for the SMTP envelope."""
    return parseaddr(settings.mail_from)[1]


def mail_domain(settings: Settings) -> str:
    """Return the domain of the sender address, which names our messages and greets servers."""
    return envelope_sender(settings).rpartition("@")[2] or "localhost"


class SmtpSender:
    """One SMTP connection, opened on first use and kept for the messages that follow."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, *, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """Hand one message to the server; raise a MailError saying why it did not take it."""
        smtp = self._connected()
        try:
            refused = smtp.sendmail(sender, list(recipients), message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise self._refusal(code, reply, f"recipient {recipients[0]} refused") from None
        except smtplib.SMTPSenderRefused as error:
            self._drop()
            raise MailServerError(
                f"sender {sender} refused: {_reply(error.smtp_code, error.smtp_error)}",
                code=error.smtp_code,
            ) from None
        except smtplib.SMTPDataError as error:
            raise self._refusal(error.smtp_code, error.smtp_error, "message refused") from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise MailServerError(f"connection to {self._where()} lost: {error}") from None
        if refused:  # only some of several recipients: the others have the message
            address, (code, reply) = next(iter(refused.items()))
            raise self._refusal(code, reply, f"recipient {address} refused")

    def close(self) -> None:
        """Say goodbye to the server, if connected; never raise."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None

    def _connected(self) -> smtplib.SMTP:
        """Return the open connection, opening (or reopening) it if needed."""
        if self._smtp is not None and time.monotonic() - self._used_at > IDLE_CHECK_S:
            # Servers drop idle clients; a dead connection found mid-message would leave
            # it unclear whether the message went, so ask before sending.
            try:
                alive = self._smtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                self._drop()
        if self._smtp is None:
            self._smtp = self._connect()
        self._used_at = time.monotonic()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        """Connect, secure and log in as the settings say; raise MailServerError if not."""
        settings = self.settings
        # Named explicitly: smtplib would otherwise look up our FQDN, which can hang on DNS.
        greeting_name = mail_domain(settings)
        smtp: smtplib.SMTP | None = None
        try:
            if settings.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    local_hostname=greeting_name,
                    timeout=settings.smtp_timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    settings.smtp_host,
                    settings.smtp_port,
                    local_hostname=greeting_name,
                    timeout=settings.smtp_timeout_s,
                )
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
        except smtplib.SMTPAuthenticationError as error:
            _close_quietly(smtp)
            raise MailServerError(
                f"{self._where()} refused the login of {settings.smtp_user!r}:"
                f" {_reply(error.smtp_code, error.smtp_error)}",
                code=error.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            _close_quietly(smtp)
            raise MailServerError(f"{self._where()} does not offer what we need: {error}") from None
        except smtplib.SMTPResponseException as error:
            _close_quietly(smtp)
            reply = _reply(error.smtp_code, error.smtp_error)
            raise MailServerError(
                f"{self._where()} refused the connection: {reply}", code=error.smtp_code
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            _close_quietly(smtp)
            raise MailServerError(f"cannot connect to {self._where()}: {error}") from None
        return smtp

    def _refusal(self, code: int, reply: bytes | str, what: str) -> MailError:
        """Turn a refusal into the error its reply code means."""
        text = f"{what}: {_reply(code, reply)}"
        if code == CLOSING_CODE:
            self._drop()
            return MailServerError(text, code=code)
        if code >= 500:
            return PermanentMailError(text, code=code)
        return TemporaryMailError(text, code=code)

    def _drop(self) -> None:
        """Close the connection after an error that leaves it unusable."""
        _close_quietly(self._smtp)
        self._smtp = None

    def _where(self) -> str:
        """Name the server for messages."""
        return f"SMTP server {self.settings.smtp_host}:{self.settings.smtp_port}"


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    """Close a connection, ignoring a socket that is already gone."""
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()


def _reply(code: int, reply: bytes | str) -> str:
    """Return a server reply as one line: code and text."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


def finish_message(message: EmailMessage, *, settings: Settings) -> EmailMessage:
    """Fill in From, Date and Message-ID where the message lacks them; return it."""
    if "From" not in message:
        message["From"] = settings.mail_from
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False, usegmt=True)
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=mail_domain(settings))
    return message


def send_email(message: EmailMessage, *, settings: Settings) -> None:
    """Send one message now to its To, Cc and Bcc addresses; raise a MailError if it fails.

    Missing From, Date and Message-ID are filled in. Meant for a few one-off messages
    by hand; the site's own mail (account links, notices, digests) goes through the outbox.
    """
    finish_message(message, settings=settings)
    recipients = [
        address
        for _, address in getaddresses(
            [str(value) for header in ("To", "Cc", "Bcc") for value in message.get_all(header, [])]
        )
        if address
    ]
    if not recipients:
        raise ValueError("the message has no To, Cc or Bcc address")
    del message["Bcc"]
    with SmtpSender(settings) as smtp:
        smtp.send(
            sender=envelope_sender(settings),
            recipients=recipients,
            message=message.as_bytes(policy=SMTP_POLICY),
        )
