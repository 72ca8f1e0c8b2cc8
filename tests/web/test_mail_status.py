"""Pages that promise mail say what is true: queued, and late when delivery is in trouble."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.outbox import deliver_outbox
from dailypapers.storage import Storage
from dailypapers.worker.serve_mail import send_mail_in_background

from support.accounts import PASSWORD, add_member, make_site, member_client, post_form
from support.digests import Clock
from support.live_server import free_port
from support.sites import NOW

PUBLIC_URL = "https://papers.example.org"


def _site(storage: Storage, clock: Clock, smtp_port: int) -> TestClient:
    app = make_site(
        storage, clock=clock, public_url=PUBLIC_URL, smtp_host="127.0.0.1", smtp_port=smtp_port
    )
    return TestClient(app, base_url=PUBLIC_URL)


def _sign_up(site: TestClient, name: str) -> str:
    form = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
    page = post_form(site, "/signup", form)
    assert page.status_code == 200
    return page.text


def test_sign_up_says_the_message_is_queued_and_later_that_delivery_fails(
    storage: Storage,
) -> None:
    clock = Clock(NOW)
    nobody_listens = free_port()
    site = _site(storage, clock, nobody_listens)

    first = _sign_up(site, "ada")
    settings = site.app.state.settings  # type: ignore[attr-defined]
    with SmtpSender(settings) as sender:
        report = deliver_outbox(
            storage=storage, sender=sender, settings=settings, owner="test", clock=clock
        )
    second = _sign_up(site, "grace")
    add_member(storage, "edsger")
    reset = post_form(site, "/reset", {"email": "edsger@example.org"}).text

    assert report.server_error is not None and report.sent == 0
    assert "is queued for sending" in first and "We sent" not in first
    assert "having trouble" not in first
    for page in (second, reset):
        assert "Mail delivery is having trouble right now" in page
        assert "We sent" not in page and str(nobody_listens) not in page  # no server details


def test_mail_that_no_sender_picks_up_is_called_late(storage: Storage) -> None:
    clock = Clock(NOW)
    site = _site(storage, clock, free_port())

    _sign_up(site, "ada")
    clock.advance(minutes=5)
    page = post_form(site, "/digest/subscribe", {"email": "reader@example.org"}).text

    assert "is queued for sending" in page
    assert "Mail is slow to leave right now" in page


def test_serve_sends_the_outbox_and_warns_when_the_server_is_down(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    site = _site(storage, Clock(datetime.now(UTC)), free_port())  # the sender's own clock
    _sign_up(site, "ada")
    settings = site.app.state.settings  # type: ignore[attr-defined]
    stop = threading.Event()
    off = send_mail_in_background(replace(settings, serve_sends_mail=0), storage)
    sender = send_mail_in_background(settings, storage, stop=stop)
    try:
        deadline = time.monotonic() + 30
        while "mail is not going out" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        assert sender is not None
        sender.join(timeout=10)

    assert off is None
    assert "mail is not going out" in caplog.text
    assert storage.outbox_counts() == {"pending": 1}  # kept for the next try


def test_admins_see_what_waits_and_why_but_never_the_links(storage: Storage) -> None:
    clock = Clock(NOW)
    site = _site(storage, clock, free_port())
    _sign_up(site, "ada")
    settings = site.app.state.settings  # type: ignore[attr-defined]
    with SmtpSender(settings) as sender:
        deliver_outbox(storage=storage, sender=sender, settings=settings, owner="t", clock=clock)
    add_member(storage, "edsger", role=Role.ADMIN)
    add_member(storage, "grace")

    page = member_client(site.app, "edsger").get("/admin/mail")  # type: ignore[arg-type]
    refused = member_client(site.app, "grace").get("/admin/mail")  # type: ignore[arg-type]

    assert page.status_code == 200
    assert "Daily Papers: finish signing up" in page.text and "ada@example.org" in page.text
    assert "Connection refused" in page.text  # the server's error, for the admin
    assert "/signup/confirm/" not in page.text
    assert refused.status_code == 403
