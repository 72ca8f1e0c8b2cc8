"""The digest pages: subscribe from any page, confirm, manage, unsubscribe (one click), preview."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from html import unescape

import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.periods import parse_day
from dailypapers.domain.subscriptions import Frequency, SubscriberStatus, Topics
from dailypapers.domain.tokens import TokenPurpose
from dailypapers.mail.smtp import SmtpSender
from dailypapers.services.digests import compose_digests
from dailypapers.services.outbox import deliver_outbox
from dailypapers.services.subscriptions import SubscriptionLinks
from dailypapers.settings import Settings, load_secret_key
from dailypapers.storage import Storage

from support.accounts import SECRET_KEY, add_member, csrf_from, make_site, member_client
from support.digests import SITE, Clock, add_reader, mail_settings
from support.sites import NOW
from support.smtp_server import smtp_server

SETTINGS = {"public_url": SITE, "mail_from": "Daily Papers <papers@example.org>"}


@pytest.fixture
def site(loaded_storage: Storage) -> TestClient:
    """Return a client of the site with a public address to put in mail."""
    return TestClient(make_site(loaded_storage, **SETTINGS), base_url="https://testserver")


def maker() -> SubscriptionLinks:
    """Return the site's link maker (the key make_site gives it)."""
    return SubscriptionLinks(load_secret_key(Settings(secret_key=SECRET_KEY)), SITE)


def token_for(storage: Storage, email: str, purpose: TokenPurpose) -> str:
    """Return a valid token of this purpose for the subscriber."""
    subscriber = storage.find_subscriber(email)
    assert subscriber is not None
    expires = (
        int((NOW + timedelta(hours=1)).timestamp()) if purpose is TokenPurpose.CONFIRM else None
    )
    return maker().token(purpose, subscriber, expires)


def subscribe(client: TestClient, email: str, **fields: str) -> object:
    """Fill in and post the subscribe form, as a browser does."""
    page = client.get("/digest/subscribe", params={"email": email})
    return client.post(
        "/digest/subscribe",
        data={"email": email, "csrf_token": csrf_from(page.text), **fields},
    )


def test_every_page_has_a_subscribe_box_and_stays_shareable(site: TestClient) -> None:
    for path in ("/", "/papers/2510.14545", "/about/ranking"):
        response = site.get(path)
        assert 'action="/digest/subscribe" method="get"' in response.text
        assert "set-cookie" not in response.headers


def test_the_box_leads_to_the_form_with_the_address_filled_in(site: TestClient) -> None:
    page = site.get("/digest/subscribe", params={"email": "reader@example.org"})

    assert page.status_code == 200
    assert 'value="reader@example.org"' in page.text
    assert csrf_from(page.text)
    assert "no-store" in page.headers["cache-control"]


def test_subscribing_answers_the_same_for_new_and_known_addresses(
    site: TestClient, loaded_storage: Storage
) -> None:
    add_reader(loaded_storage, "known@example.org")
    add_reader(loaded_storage, "left@example.org", status=SubscriberStatus.UNSUBSCRIBED)

    answers = {
        email: subscribe(site, email)
        for email in ("new@example.org", "known@example.org", "left@example.org")
    }

    statuses = {response.status_code for response in answers.values()}  # type: ignore[attr-defined]
    bodies = {
        response.text.replace(email, "ADDRESS")  # type: ignore[attr-defined]
        for email, response in answers.items()
    }
    assert statuses == {200} and len(bodies) == 1
    assert "Check your inbox" in bodies.pop()
    assert loaded_storage.outbox_counts() == {"pending": 3}


def test_a_malformed_address_is_refused_with_the_reason(site: TestClient) -> None:
    response = subscribe(site, "not an address")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "name@example.org" in response.text  # type: ignore[attr-defined]


def test_a_subscribe_post_from_another_site_is_refused(
    site: TestClient, loaded_storage: Storage
) -> None:
    response = site.post("/digest/subscribe", data={"email": "victim@example.org"})

    assert response.status_code == 403
    assert loaded_storage.find_subscriber("victim@example.org") is None


def test_the_emailed_link_confirms_with_the_choices_made(
    site: TestClient, loaded_storage: Storage
) -> None:
    with smtp_server() as server:
        subscribe(site, "reader@example.org", frequency="weekly", categories="cs.CL\ncs.LG")
        settings = mail_settings(server, **SETTINGS)
        with SmtpSender(settings) as sender:
            deliver_outbox(
                storage=loaded_storage,
                sender=sender,
                settings=settings,
                owner="test",
                clock=Clock(NOW),
            )
        (received,) = server.wait_for(1)
    link = re.search(rf"{SITE}(/digest/confirm/\S+)", received.message.get_content())
    assert link

    page = site.get(link.group(1))
    still = loaded_storage.find_subscriber("reader@example.org")
    assert page.status_code == 200 and "r***r@example.org" in page.text
    assert "reader@example.org" not in page.text
    assert still is not None and still.status is SubscriberStatus.PENDING  # a GET changes nothing
    assert 'value="weekly" checked' in page.text and "cs.CL\ncs.LG" in page.text

    done = site.post(
        link.group(1),
        data={"csrf_token": csrf_from(page.text), "frequency": "weekly", "top": "4"},
    )

    subscriber = loaded_storage.find_subscriber("reader@example.org")
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert subscriber is not None and subscriber.status is SubscriberStatus.CONFIRMED
    assert subscriber.preferences.frequency is Frequency.WEEKLY
    assert subscriber.preferences.top_count == 4


@pytest.mark.parametrize("kind", ["confirm", "manage", "unsubscribe"])
def test_forged_links_are_refused_alike_and_reveal_nobody(
    site: TestClient, loaded_storage: Storage, kind: str
) -> None:
    reader = add_reader(loaded_storage, "reader@example.org", status=SubscriberStatus.PENDING)
    purpose = TokenPurpose(kind)
    good = token_for(loaded_storage, reader.email, purpose)
    forged = [
        good[:-3] + ("xyz" if not good.endswith("xyz") else "abc"),
        f"{(reader.id or 0) + 1}" + good[len(str(reader.id)) :],
        "12345.AAAAAAAAAAAAAAAAAAAAAAAA",
        "nonsense",
    ]

    pages = [site.get(f"/digest/{kind}/{token}") for token in forged]

    assert {page.status_code for page in pages} == {400}
    assert len({page.text for page in pages}) == 1
    assert "r***r" not in pages[0].text


def test_unsubscribing_from_the_page_takes_the_button(
    site: TestClient, loaded_storage: Storage
) -> None:
    add_reader(loaded_storage, "reader@example.org")
    token = token_for(loaded_storage, "reader@example.org", TokenPurpose.UNSUBSCRIBE)

    page = site.get(f"/digest/unsubscribe/{token}")
    before = loaded_storage.find_subscriber("reader@example.org")
    done = site.post(f"/digest/unsubscribe/{token}", data={"csrf_token": csrf_from(page.text)})
    after = loaded_storage.find_subscriber("reader@example.org")

    assert before is not None and before.status is SubscriberStatus.CONFIRMED
    assert "You are unsubscribed" in done.text
    assert after is not None and after.status is SubscriberStatus.UNSUBSCRIBED


def test_one_click_unsubscribe_works_without_cookies_or_forms(
    site: TestClient, loaded_storage: Storage
) -> None:
    reader = add_reader(loaded_storage, "reader@example.org")
    token = token_for(loaded_storage, reader.email, TokenPurpose.UNSUBSCRIBE)
    fresh = TestClient(site.app)  # a mail provider: no cookies, no CSRF token

    response = fresh.post(
        f"/api/digest/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    forged = fresh.post(
        f"/api/digest/unsubscribe/{token[:-2]}xx", data={"List-Unsubscribe": "One-Click"}
    )
    opened = fresh.get(f"/api/digest/unsubscribe/{token}", follow_redirects=False)

    assert response.status_code == 200 and response.json() == {"unsubscribed": True}
    assert forged.status_code == 400
    subscriber = loaded_storage.find_subscriber(reader.email)
    assert subscriber is not None and subscriber.status is SubscriberStatus.UNSUBSCRIBED
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/digest/unsubscribe/{token}"


def test_an_old_one_click_link_cannot_end_a_later_subscription(
    site: TestClient, loaded_storage: Storage
) -> None:
    reader = add_reader(loaded_storage, "reader@example.org", at=NOW - timedelta(days=30))
    old = token_for(loaded_storage, reader.email, TokenPurpose.UNSUBSCRIBE)
    mail_provider = TestClient(site.app)
    one_click = {"List-Unsubscribe": "One-Click"}
    assert mail_provider.post(f"/api/digest/unsubscribe/{old}", data=one_click).status_code == 200
    # Later the reader subscribes again and confirms through the link mailed to them.
    assert subscribe(site, reader.email).status_code == 200
    confirm = site.get(
        f"/digest/confirm/{token_for(loaded_storage, reader.email, TokenPurpose.CONFIRM)}"
    )
    site.post(confirm.url.path, data={"csrf_token": csrf_from(confirm.text)})
    again = loaded_storage.find_subscriber(reader.email)
    assert again is not None and again.status is SubscriberStatus.CONFIRMED

    stale = mail_provider.post(f"/api/digest/unsubscribe/{old}", data=one_click)
    page = site.get(f"/digest/unsubscribe/{old}")
    new = token_for(loaded_storage, reader.email, TokenPurpose.UNSUBSCRIBE)

    assert stale.status_code == 400 and "error" in stale.json()
    assert page.status_code == 400
    still = loaded_storage.find_subscriber(reader.email)
    assert still is not None and still.status is SubscriberStatus.CONFIRMED
    assert mail_provider.post(f"/api/digest/unsubscribe/{new}", data=one_click).json() == {
        "unsubscribed": True
    }


def test_the_manage_page_changes_the_choices(site: TestClient, loaded_storage: Storage) -> None:
    add_reader(loaded_storage, "reader@example.org", topics=Topics(authors=("Ada Lovelace",)))
    token = token_for(loaded_storage, "reader@example.org", TokenPurpose.MANAGE)

    page = site.get(f"/digest/manage/{token}")
    bad = site.post(
        f"/digest/manage/{token}",
        data={"csrf_token": csrf_from(page.text), "categories": "not a category!"},
    )
    saved = site.post(
        f"/digest/manage/{token}",
        data={
            "csrf_token": csrf_from(page.text),
            "frequency": "daily",
            "top": "0",
            "organizations": "Adobe",
            "searches": "diffusion models",
        },
    )

    assert "Ada Lovelace" in page.text and "/digest/unsubscribe/" in page.text
    assert bad.status_code == 400 and "not an arXiv category" in bad.text
    assert saved.status_code == 200 and "Saved." in saved.text
    subscriber = loaded_storage.find_subscriber("reader@example.org")
    assert subscriber is not None
    assert subscriber.preferences.topics == Topics(
        organizations=("Adobe",), queries=("diffusion models",)
    )
    assert subscriber.preferences.top_count == 0


def test_the_preview_shows_a_digest_as_mail_clients_would(site: TestClient) -> None:
    html = site.get("/digest/preview")
    text = site.get("/digest/preview", params={"format": "text", "date": "2025-10-17", "top": 2})
    week = site.get("/digest/preview/message", params={"week": "2025-W42", "organization": "Adobe"})
    bad = site.get("/digest/preview", params={"date": "2025-13-01"})
    far = site.get("/digest/preview", params={"date": "9999-12-31"})
    far_week = site.get("/digest/preview", params={"week": "9999-W52"})

    subject = "Daily Papers · Aug 21, 2026: "
    assert html.status_code == 200 and subject in unescape(html.text)
    # The message sits in a frame without scripts, served under a policy of its own that
    # lets its inline styles apply (under the site's policy it rendered unstyled).
    frame = re.search(r'<iframe class="mail-frame" src="([^"]+)" sandbox="([^"]*)"', html.text)
    assert frame is not None and "allow-scripts" not in frame.group(2)
    message = site.get(frame.group(1).replace("&amp;", "&"))
    policy = message.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy and "frame-ancestors 'self'" in policy
    assert "x-frame-options" not in message.headers
    assert message.text.startswith("<!doctype html>") and "Papers of Aug 21, 2026" in message.text
    assert "x-frame-options" in html.headers  # the site's own pages are still never framed
    assert "Agentic Entropy-Balanced Policy Optimization" in text.text
    assert text.text.count(f"\n  {SITE}/papers/") == 2
    assert "Papers of the week (Week 42, 2025)" in week.text and "From Adobe" in week.text
    assert bad.status_code == 400
    assert far.status_code == far_week.status_code == 400
    assert "9999-12-31" in far.text and "9999-12-31" in far_week.text


def test_without_a_public_address_a_remote_visitor_cannot_subscribe(
    loaded_storage: Storage,
) -> None:
    client = TestClient(make_site(loaded_storage), base_url="http://attacker.example")

    response = subscribe(client, "reader@example.org")

    assert response.status_code == 503  # type: ignore[attr-defined]
    assert "DAILYPAPERS_PUBLIC_URL" in response.text  # type: ignore[attr-defined]
    assert loaded_storage.outbox_counts() == {}


def test_the_list_unsubscribe_header_of_a_real_digest_unsubscribes_in_one_post(
    site: TestClient, loaded_storage: Storage
) -> None:
    reader = add_reader(loaded_storage, "reader@example.org")
    settings = mail_settings(secret_key=SECRET_KEY, **SETTINGS)
    compose_digests(
        storage=loaded_storage,
        settings=settings,
        links=maker(),
        period=parse_day("2025-10-17"),
        now=NOW,
        owner="test",
    )
    (item,) = loaded_storage.claim_messages(owner="t", now=NOW, lease_until=NOW, limit=10)
    headers = message_from_bytes(item.data, policy=default_policy)
    address = headers["List-Unsubscribe"].strip("<>")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert address.startswith(f"{SITE}/api/")

    response = TestClient(site.app).post(
        address.removeprefix(SITE),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    after = loaded_storage.get_subscriber(reader.id or 0)
    assert after is not None and after.status is SubscriberStatus.UNSUBSCRIBED
    assert loaded_storage.outbox_counts() == {"cancelled": 1}


def test_a_signed_in_member_starts_and_manages_the_digest_from_settings(
    loaded_storage: Storage,
) -> None:
    app = make_site(loaded_storage, **SETTINGS)
    add_member(loaded_storage, "ada")
    client = member_client(app, "ada")

    offer = client.get("/settings/digest")
    started = client.post(
        "/settings/digest",
        data={"csrf_token": csrf_from(offer.text), "frequency": "weekly", "top": "5"},
        follow_redirects=False,
    )
    again = client.get("/settings/digest", follow_redirects=False)
    anonymous = TestClient(app, base_url="https://testserver").get(
        "/settings/digest", follow_redirects=False
    )

    assert offer.status_code == 200 and "Start my digest" in offer.text
    assert started.status_code == 303
    assert started.headers["location"].startswith("/digest/manage/")
    assert again.headers["location"] == started.headers["location"]
    subscriber = loaded_storage.find_subscriber("ada@example.org")
    assert subscriber is not None and subscriber.status is SubscriberStatus.CONFIRMED
    assert subscriber.preferences.frequency is Frequency.WEEKLY
    assert loaded_storage.outbox_counts() == {}  # the account already proved the address
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
