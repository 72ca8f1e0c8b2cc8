"""XSS payloads everywhere members and sources write, rendered in Debian's chromium: none runs.

Each payload, if it ran, would set `window.__xss` or open a dialog; the test reads both
after the page loaded and after hovering what could carry a handler, checks no element a
payload would make is on the page, and checks the payload's text is on the page as text.
The browser ignores the site's Content-Security-Policy here, so that escaping alone has to
stop the payloads (tests/web/test_security.py checks the policy itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from dailypapers.domain.community import MemberRole
from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.storage import Storage

from support.accounts import PASSWORD, add_member, make_site
from support.live_server import serving
from support.sites import NOW

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    '"><svg onload="window.__xss=3">',
    '\'><iframe src="javascript:parent.__xss=4"></iframe>',
    "</textarea><script>window.__xss=5</script>",
    '<a href="javascript:window.__xss=6" onmouseover="window.__xss=7">hover</a>',
    "{{ 7*7 }}<style>*{display:none}</style><b onclick=alert(8)>b</b>",
]
PAPER_ID = "2601.00001"
ORG = "xss-lab"
# Elements and attributes only a payload would put on these pages: the pages' own
# scripts have a src, their own svgs are icons, and they carry no inline handlers.
INJECTED = (
    "script:not([src]), iframe, object, embed, style, svg:not(.icon),"
    " [onerror], [onload], [onclick], [onmouseover],"
    " [href^='javascript:' i], [src^='javascript:' i]"
)


def poison(storage: Storage) -> None:
    """Put every payload in a paper, an organization, a member's name and comments."""
    joined = " ".join(PAYLOADS)
    with storage.transaction():
        storage.save_organizations([Organization(ORG, joined)])
        storage.save_papers(
            [
                Paper(
                    PAPER_ID,
                    title=joined,
                    abstract=joined,
                    authors=tuple(PAYLOADS),
                    arxiv_comment=joined,
                    ai_summary=joined,
                    ai_keywords=tuple(PAYLOADS),
                    github_repo="javascript:window.__xss=9",
                    project_page="javascript:window.__xss=10",
                    published_at=NOW - timedelta(days=1),
                )
            ]
        )
        storage.save_entries([DailyEntry(PAPER_ID, NOW.date(), NOW, PAYLOADS[1], ORG)])
    member = add_member(storage, "mallory", fullname=PAYLOADS[2][:100])
    with storage.transaction():
        for payload in PAYLOADS:
            storage.add_comment(
                paper_id=PAPER_ID, user_id=member.id, parent_id=None, body=payload, now=NOW
            )
        storage.save_membership(
            organization=ORG, user_id=member.id, role=MemberRole.OWNER, invited_by=None,
            now=NOW, accepted=True,
        )  # fmt: skip


@pytest.fixture
def site(storage: Storage) -> Iterator[str]:
    """Serve a site whose data holds every payload; yield its URL."""
    poison(storage)
    with serving(make_site(storage)) as url:
        yield url


def open_tab(browser: Browser, site: str, *, bypass_csp: bool) -> Iterator[Page]:
    """Open a tab that records dialogs and never leaves the machine."""
    context = browser.new_context(base_url=site, bypass_csp=bypass_csp)
    context.set_default_timeout(5_000)
    context.route(lambda url: not url.startswith(site), lambda route: route.abort())
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    yield tab
    context.close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    """Open a tab under the site's Content-Security-Policy, as a visitor's browser is."""
    yield from open_tab(browser, site, bypass_csp=False)


@pytest.fixture
def unguarded(browser: Browser, site: str) -> Iterator[Page]:
    """Open a tab that ignores the Content-Security-Policy: only escaping protects it."""
    yield from open_tab(browser, site, bypass_csp=True)


def assert_nothing_ran(page: Page, shown: list[str]) -> None:
    """Hover and check: no payload set the trap, opened a dialog or made an element, and
    each payload in `shown` is in the main text as text."""
    for link in page.locator("main a, main b").all()[:40]:
        if link.is_visible():
            link.hover()
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator(INJECTED).count() == 0
    text = page.locator("main").inner_text()
    for payload in shown:
        assert payload in text
    # The trap is live: an inline script runs in this tab, so escaping is what stopped them.
    page.add_script_tag(content="window.__trap_live = true")
    assert page.evaluate("window.__trap_live") is True


def sign_in(page: Page) -> None:
    """Sign in as mallory through the form."""
    page.goto("/signin")
    page.get_by_label("Username or email").fill("mallory")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_payload_runs_on_any_page_and_each_shows_as_text(
    unguarded: Page, signed_in: bool
) -> None:
    page = unguarded
    if signed_in:
        sign_in(page)
    for path, shown in (
        ("/", PAYLOADS),
        (f"/papers/{PAPER_ID}", PAYLOADS),
        (f"/organizations/{ORG}", PAYLOADS),
        ("/users/mallory", [PAYLOADS[2]]),  # the member's name
    ):
        page.goto(path)
        assert_nothing_ran(page, shown)
    page.goto(f"/papers/{PAPER_ID}")
    text = page.locator("main").inner_text()
    for payload in PAYLOADS:
        assert payload in text  # the title, authors and comments show the markup as text
    expect(page.get_by_role("heading", level=1)).to_have_text(" ".join(PAYLOADS))
    assert page.get_by_role("link", name="Code").count() == 0  # a javascript: link is dropped


def test_a_username_payload_is_refused_and_echoed_only_as_text(unguarded: Page) -> None:
    page = unguarded
    page.goto("/signup")
    page.evaluate("document.querySelector('#username').removeAttribute('pattern')")
    page.get_by_label("Username").fill(PAYLOADS[2])
    page.get_by_label("Email").fill("m2@example.org")
    page.get_by_label("Password (10 characters or more)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".form-error")).to_contain_text("a username has 2 to 39")
    expect(page.get_by_label("Username")).to_have_value(PAYLOADS[2])
    assert_nothing_ran(page, [])


def test_votes_change_the_count_in_place_and_back(page: Page) -> None:
    sign_in(page)
    page.goto(f"/papers/{PAPER_ID}")
    page.evaluate("window.__stayed = true")  # lost if the page reloads
    button = page.locator(".paper-actions form.votes button")
    expect(button.locator(".count")).to_have_text("0")
    button.click()
    expect(page.locator(".paper-actions form.votes button .count")).to_have_text("1")
    expect(page.locator(".paper-actions form.votes button")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator(".paper-actions form.votes button").click()
    expect(page.locator(".paper-actions form.votes button .count")).to_have_text("0")
    assert page.evaluate("window.__stayed") is True
    expect(page.locator(".comment-count")).to_have_text(str(len(PAYLOADS)))
    page.get_by_label("Add a comment (Markdown)").fill("**Bold** move")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".comment-body strong", has_text="Bold")).to_be_visible()
    # The count in the heading came back with the section: no reload needed to see it.
    expect(page.locator(".comment-count")).to_have_text(str(len(PAYLOADS) + 1))
    assert page.evaluate("window.__stayed") is True


def test_votes_work_without_javascript(browser: Browser, site: str) -> None:
    context = browser.new_context(base_url=site, java_script_enabled=False)
    context.set_default_timeout(5_000)
    tab = context.new_page()
    try:
        sign_in(tab)
        tab.goto("/papers/date")  # the latest day (a member's home is For you)
        day = tab.url
        card = tab.locator("article.card", has=tab.locator(f'a[href="/papers/{PAPER_ID}"]'))
        expect(card.locator(".votes .count")).to_have_text("0")
        card.locator(".votes button").click()
        tab.wait_for_url(day)
        card = tab.locator("article.card", has=tab.locator(f'a[href="/papers/{PAPER_ID}"]'))
        expect(card.locator(".votes .count")).to_have_text("1")
    finally:
        context.close()
