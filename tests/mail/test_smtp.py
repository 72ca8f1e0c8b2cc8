"""Sending through a real SMTP server: what it accepts arrives; what it refuses is classified."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from dailypapers.mail import (
    MailServerError,
    PermanentMailError,
    SmtpSender,
    TemporaryMailError,
    send_email,
)
from dailypapers.settings import Settings

from support.smtp_server import SmtpServer, smtp_server


def settings_for(server: SmtpServer, **overrides: object) -> Settings:
    """Return settings that send through this server."""
    return Settings(
        smtp_host=server.host,
        smtp_port=server.port,
        mail_from="Daily Papers <papers@example.org>",
        smtp_timeout_s=10.0,
        **overrides,  # type: ignore[arg-type]
    )


def note(to: str = "reader@example.com", subject: str = "Hello") -> EmailMessage:
    """Return a short plain-text message."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Hello there.\n.\nA line with only a dot came before this one.\n")
    return message


def test_a_message_arrives_whole_with_headers_filled_in() -> None:
    with smtp_server() as server:
        send_email(note(), settings=settings_for(server))
        (received,) = server.wait_for(1)

    message = received.message
    assert received.sender == "papers@example.org"
    assert received.recipients == ["reader@example.com"]
    assert message["From"] == "Daily Papers <papers@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]
    assert ".\nA line with only a dot" in message.get_content()


def test_bcc_recipients_get_the_message_without_seeing_the_header() -> None:
    message = note()
    message["Bcc"] = "hidden@example.net"
    with smtp_server() as server:
        send_email(message, settings=settings_for(server))
        (received,) = server.wait_for(1)

    assert received.recipients == ["reader@example.com", "hidden@example.net"]
    assert "Bcc" not in received.message


def test_a_refused_recipient_is_a_permanent_failure() -> None:
    with smtp_server() as server:
        server.refusals["gone@example.com"] = "550 5.1.1 no such mailbox"
        with pytest.raises(PermanentMailError) as raised:
            send_email(note("gone@example.com"), settings=settings_for(server))

    assert raised.value.code == 550
    assert "no such mailbox" in str(raised.value)


def test_a_recipient_put_off_is_a_temporary_failure_and_the_connection_stays_usable() -> None:
    with smtp_server() as server:
        server.refusals["busy@example.com"] = "450 4.2.1 mailbox busy, try later"
        with SmtpSender(settings_for(server)) as sender:
            with pytest.raises(TemporaryMailError) as raised:
                sender.send(sender="a@example.org", recipients=["busy@example.com"], message=b"x")
            sender.send(sender="a@example.org", recipients=["ok@example.com"], message=b"Hi\r\n")
        server.wait_for(1)

    assert raised.value.code == 450
    assert not isinstance(raised.value, MailServerError)
    assert [item.recipients for item in server.received] == [["ok@example.com"]]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("554 5.6.0 message refused", PermanentMailError),
        ("451 4.3.0 local problem", TemporaryMailError),
        ("421 4.3.2 shutting down", MailServerError),
    ],
)
def test_replies_to_the_data_are_classified_by_their_code(
    reply: str, error: type[Exception]
) -> None:
    with smtp_server() as server:
        server.data_replies.append(reply)
        with pytest.raises(error):
            send_email(note(), settings=settings_for(server))

    assert server.received == []


def test_a_server_that_is_down_is_a_server_error() -> None:
    with smtp_server() as server:
        server.stop()
        with pytest.raises(MailServerError, match="cannot connect"):
            send_email(note(), settings=settings_for(server))


def test_the_sender_reconnects_after_an_outage() -> None:
    with smtp_server() as server, SmtpSender(settings_for(server)) as sender:
        sender.send(sender="a@example.org", recipients=["one@example.com"], message=b"1\r\n")
        server.stop()
        with pytest.raises(MailServerError):
            sender.send(sender="a@example.org", recipients=["two@example.com"], message=b"2\r\n")
        server.start()
        sender.send(sender="a@example.org", recipients=["two@example.com"], message=b"2\r\n")
        server.wait_for(2)

    assert [item.recipients for item in server.received] == [
        ["one@example.com"],
        ["two@example.com"],
    ]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login(security: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(
        security=security, credentials=("mailer", "s3cret"), folder=tmp_path
    ) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
        settings = settings_for(
            server, smtp_security=security, smtp_user="mailer", smtp_password="s3cret"
        )
        send_email(note(), settings=settings)
        server.wait_for(1)

    assert server.logins == ["mailer"]


def test_a_certificate_the_system_does_not_trust_is_refused(tmp_path: Path) -> None:
    with (
        smtp_server(security="starttls", folder=tmp_path) as server,
        pytest.raises(MailServerError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        send_email(note(), settings=settings_for(server, smtp_security="starttls"))

    assert server.received == []


def test_a_wrong_password_is_a_server_error_naming_the_user() -> None:
    with smtp_server(credentials=("mailer", "s3cret")) as server:
        settings = settings_for(server, smtp_user="mailer", smtp_password="wrong")
        with pytest.raises(MailServerError, match="refused the login of 'mailer'"):
            send_email(note(), settings=settings)
