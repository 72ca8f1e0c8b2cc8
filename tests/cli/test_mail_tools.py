"""`dailypapers mail outbox` and `dailypapers mail sink`: the operator reads what the site sends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from fastapi.testclient import TestClient

from dailypapers.mail.smtp import SmtpSender
from dailypapers.settings import Settings
from dailypapers.storage import open_storage

from support.accounts import PASSWORD, make_site, post_form
from support.commands import run
from support.live_server import free_port

PUBLIC_URL = "https://papers.example.org"


def test_the_outbox_shows_the_link_a_sign_up_waits_for(database_url: str) -> None:
    storage = open_storage(database_url)
    try:
        site = TestClient(make_site(storage, public_url=PUBLIC_URL), base_url=PUBLIC_URL)
        form = {"username": "ada", "email": "ada@example.org", "password": PASSWORD}
        assert post_form(site, "/signup", form).status_code == 200
    finally:
        storage.close()

    listed = run("mail", "outbox")
    shown = run("mail", "outbox", "--show")

    assert listed.exit_code == 0, listed.output
    assert "outbox: 1 pending" in listed.output
    assert "notice to ada@example.org: 'Daily Papers: finish signing up'" in listed.output
    assert f"link: {PUBLIC_URL}/signup/confirm/" in listed.output
    assert "Someone (we hope you) asked to join" in shown.output


def test_the_sink_prints_each_message_with_its_links_and_keeps_it(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "mail"
    command = [sys.executable, "-m", "dailypapers.cli", "mail", "sink", "--port", str(port)]
    sink = subprocess.Popen(
        [*command, "--folder", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert sink.stdout is not None
        assert sink.stdout.readline().startswith(f"Mail sink on 127.0.0.1:{port}")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.org", "ada@x.org", "Reset"
        message.set_content("Open http://127.0.0.1:8000/reset/abc123 within an hour.")
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port)
        with SmtpSender(settings) as sender:
            sender.send(
                sender="a@x.org",
                recipients=["ada@x.org"],
                message=message.as_bytes(policy=SMTP_POLICY),
            )
        printed = [sink.stdout.readline(), sink.stdout.readline()]
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=10)

    assert printed == [
        "mail to ada@x.org: Reset\n",
        "    link: http://127.0.0.1:8000/reset/abc123\n",
    ]
    assert sink.returncode == 0
    assert b"Subject: Reset" in (folder / "00001.eml").read_bytes()
