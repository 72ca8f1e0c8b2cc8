"""Sign up, sign in and out, reset a password by mail (through a real local SMTP server)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.accounts import Role
from dailypapers.services.passwords import make_hasher, verify_password
from dailypapers.storage import Storage
from dailypapers.worker.serve_mail import send_mail_in_background

from support.accounts import (
    PASSWORD,
    add_member,
    csrf,
    make_site,
    member_client,
    post_form,
    sign_in,
)
from support.smtp_server import SmtpServer, smtp_server

PUBLIC_URL = "https://papers.example.org"


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    """Run a real SMTP server on loopback for the test."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def site(storage: Storage, mail: SmtpServer) -> Iterator[TestClient]:
    """Return a client of a site that mails through the test server, sending as serve does."""
    options = {"smtp_host": mail.host, "smtp_port": mail.port, "mail_poll_s": 0.05}
    app = make_site(storage, public_url=PUBLIC_URL, **options)
    stop = threading.Event()
    sender = send_mail_in_background(app.state.settings, storage, stop=stop)
    yield TestClient(app, base_url=PUBLIC_URL)
    stop.set()
    assert sender is not None
    sender.join(timeout=10)


def link_in(mail: SmtpServer, index: int) -> str:
    """Return the path of the site link in the index-th message received."""
    body = mail.wait_for(index + 1)[index].message.get_content()
    found = re.search(re.escape(PUBLIC_URL) + r"(/\S+)", body)
    assert found, body
    return found.group(1)


def test_sign_up_by_mailed_link_signs_the_new_member_in(
    site: TestClient, storage: Storage, mail: SmtpServer
) -> None:
    form = {"username": "ada", "email": "Ada@Example.org", "password": PASSWORD, "fullname": "Ada"}
    page = post_form(site, "/signup", form)
    assert page.status_code == 200 and "Check your mail" in page.text
    assert storage.find_user("ada") is None  # nothing until the address answers

    path = link_in(mail, 0)
    assert mail.received[0].recipients == ["ada@example.org"]
    assert path.startswith("/signup/confirm/")
    assert storage.find_user("ada") is None  # opening the link changes nothing
    assert "Create my account" in site.get(path).text
    done = post_form(site, path)
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    user = storage.find_user("ada")
    assert user is not None and user.fullname == "Ada" and user.email == "ada@example.org"
    assert "Signed in as" in site.get("/settings").text
    assert post_form(site, path).status_code == 400  # a link works once
    assert 'your account is ready: <a href="/signin">' in site.get(path).text  # clicked twice


def test_sign_up_with_a_registered_address_answers_the_same(
    site: TestClient, storage: Storage, mail: SmtpServer
) -> None:
    add_member(storage, "grace")
    fresh = post_form(
        site, "/signup", {"username": "ada", "email": "ada@example.org", "password": PASSWORD}
    )
    known = post_form(
        site, "/signup", {"username": "ada2", "email": "grace@example.org", "password": PASSWORD}
    )
    assert (fresh.status_code, known.status_code) == (200, 200)
    assert fresh.text.replace("ada@", "X@") == known.text.replace("grace@", "X@")
    messages = mail.wait_for(2)
    note = next(m.message for m in messages if m.recipients == ["grace@example.org"])
    assert "already belongs to the member grace" in note.get_content()
    assert storage.find_user("ada2") is None


def test_sign_up_refuses_taken_or_bad_usernames_saying_why(
    site: TestClient, storage: Storage
) -> None:
    add_member(storage, "grace")
    taken = post_form(
        site, "/signup", {"username": "GRACE", "email": "g2@example.org", "password": PASSWORD}
    )
    assert taken.status_code == 409 and "is taken" in taken.text
    short = post_form(
        site, "/signup", {"username": "ada", "email": "a@example.org", "password": "short"}
    )
    assert short.status_code == 400 and "at least 10" in short.text


def test_sign_in_sets_a_safe_session_cookie_and_sign_out_ends_the_session(
    site: TestClient, storage: Storage
) -> None:
    add_member(storage, "ada")
    response = sign_in(site, "ADA")  # usernames ignore case
    assert response.status_code == 303
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith("dp_session="))
    assert {"HttpOnly", "SameSite=Lax", "Secure", "Path=/"} <= set(cookie.split("; "))
    assert response.headers["cache-control"] == "private, no-store"
    token = site.cookies["dp_session"]
    assert "Sign out" in site.get("/").text

    signed_out = post_form(site, "/signout")
    assert signed_out.status_code == 303
    assert "Sign in" in site.get("/").text
    site.cookies.set("dp_session", token)  # the old cookie no longer opens anything
    assert "Sign out" not in site.get("/").text


def test_sign_in_by_email_and_one_message_for_every_failure(
    site: TestClient, storage: Storage
) -> None:
    add_member(storage, "ada")
    assert sign_in(site, "ada@example.org").status_code == 303
    site.cookies.clear()
    wrong_password = sign_in(site, "ada", "not the password")
    no_such_member = sign_in(site, "nobody", "not the password")
    assert wrong_password.status_code == no_such_member.status_code == 400
    assert "wrong username, email or password" in wrong_password.text
    assert "wrong username, email or password" in no_such_member.text


def test_cookies_lack_secure_over_plain_http_on_loopback(storage: Storage) -> None:
    add_member(storage, "ada")
    client = TestClient(make_site(storage), base_url="http://127.0.0.1:8000")
    cookie = sign_in(client, "ada").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_reset_by_mailed_link_sets_the_password_and_ends_other_sessions(
    site: TestClient, storage: Storage, mail: SmtpServer
) -> None:
    add_member(storage, "ada")
    elsewhere = member_client(site.app, "ada", PUBLIC_URL)  # type: ignore[arg-type]
    page = post_form(site, "/reset", {"email": "ADA@example.org"})
    assert "If an account uses that address" in page.text
    path = link_in(mail, 0)
    assert path.startswith("/reset/")
    assert "Choose a new password" in site.get(path).text
    assert post_form(site, path, {"password": "short"}).status_code == 400  # link not used up
    done = post_form(site, path, {"password": "a brand new password"})
    assert done.status_code == 303
    user = storage.find_user("ada")
    assert user is not None
    assert verify_password(
        make_hasher(), storage.get_password_hash(user.id), "a brand new password"
    )
    assert "Sign out" not in elsewhere.get("/").text  # the other session ended
    assert post_form(site, path, {"password": "another new password"}).status_code == 400


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    site: TestClient, storage: Storage, mail: SmtpServer
) -> None:
    add_member(storage, "ada")
    unknown = post_form(site, "/reset", {"email": "nobody@example.org"})
    known = post_form(site, "/reset", {"email": "ada@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    mail.wait_for(1)
    assert [m.recipients for m in mail.received] == [["ada@example.org"]]


def test_mail_links_need_a_public_url_off_loopback(storage: Storage, mail: SmtpServer) -> None:
    client = TestClient(make_site(storage, smtp_host=mail.host, smtp_port=mail.port))
    page = client.post("/reset", data={"email": "ada@example.org", "csrf_token": csrf(client)})
    assert page.status_code == 503 and "DAILYPAPERS_PUBLIC_URL" in page.text


def test_a_banned_member_cannot_sign_in_and_loses_their_sessions(
    site: TestClient, storage: Storage
) -> None:
    add_member(storage, "mod", role=Role.MODERATOR)
    add_member(storage, "troll")
    troll = member_client(site.app, "troll", PUBLIC_URL)  # type: ignore[arg-type]
    moderator = member_client(site.app, "mod", PUBLIC_URL)  # type: ignore[arg-type]
    assert post_form(moderator, "/users/troll/ban").status_code == 303
    assert "Sign out" not in troll.get("/").text
    refused = sign_in(TestClient(site.app, base_url=PUBLIC_URL), "troll")
    assert refused.status_code == 403 and "banned" in refused.text
