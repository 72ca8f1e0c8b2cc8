"""Drive Debian's chromium through the site the way a reader would."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from dailypapers.storage import Storage
from dailypapers.worker.serve_mail import send_mail_in_background

from support.accounts import PAPER, PASSWORD, make_site
from support.live_server import serving
from support.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LATEST_DAY = "Aug 21, 2026"
DAY_BEFORE = "Oct 17, 2025"  # the recorded day before the latest one


@pytest.fixture
def page(browser: Browser, live_url: str) -> Iterator[Page]:
    """Open a fresh desktop-sized tab whose relative URLs go to the live site."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    # Fail in seconds, not Playwright's default half minute: every page here is local.
    context.set_default_timeout(5_000)
    # Nothing may leave the machine: a page that reaches out fails here as it would offline.
    context.route(lambda url: not url.startswith(live_url), lambda route: route.abort())
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot for people to look at (tests/screenshots is gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def upvote_counts(page: Page) -> list[int]:
    """Return the upvote counts of the listing's cards, top to bottom."""
    return [int(text) for text in page.locator("article.card .votes .count").all_inner_texts()]


def card_byline(card: Locator) -> str:
    """Return who a card credits: its organization, else its 'N authors'."""
    return card.locator(".byline").inner_text().split("·")[0].strip()


def test_home_card_leads_to_its_paper_page(page: Page) -> None:
    """Read the latest day's cards, then open the first one's paper page."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(LATEST_DAY)
    cards = page.get_by_role("article")
    expect(cards.first).to_be_visible()
    assert cards.count() > 1
    screenshot(page, "home")

    first = cards.first
    title_link = first.get_by_role("heading", level=2).get_by_role("link")
    title = title_link.inner_text().strip()
    paper_path = title_link.get_attribute("href")
    excerpt = first.locator(".abstract").inner_text().strip()
    upvotes = first.locator(".votes .count").inner_text().strip()
    first_byline = card_byline(first)
    assert title
    assert len(excerpt) > 40
    assert upvotes.isdigit()
    # Every card credits an organization or says how many authors wrote it.
    credits = page.locator("article.card .byline")
    author_counts = credits.locator(".authors").all_inner_texts()
    assert all(re.fullmatch(r"\d+ authors?", text) for text in author_counts), author_counts
    assert credits.locator("a.org").count() + len(author_counts) == cards.count()

    title_link.click()
    assert paper_path is not None
    paper_id = paper_path.removeprefix("/papers/")
    expect(page).to_have_url(re.compile(rf"/papers/{re.escape(paper_id)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    abstract = " ".join(page.locator(".abstract-full").all_inner_texts())
    assert " ".join(excerpt.rstrip("…").split()[:-1]) in " ".join(abstract.split())
    assert len(abstract) > len(excerpt)
    authors = page.locator(".author-list").inner_text().removeprefix("Authors:").split(",")
    assert all(name.strip() for name in authors)
    if first_byline.endswith(("author", "authors")):
        assert f"{len(authors)} author" in first_byline
    expect(page.get_by_role("link", name="arXiv", exact=True)).to_have_attribute(
        "href", f"https://arxiv.org/abs/{paper_id}"
    )
    expect(page.get_by_role("link", name="PDF", exact=True)).to_have_attribute(
        "href", f"https://arxiv.org/pdf/{paper_id}"
    )
    expect(page.locator(".paper-actions .votes .count")).to_have_text(upvotes)
    screenshot(page, "paper")


def test_date_picker_goes_to_the_chosen_day(page: Page) -> None:
    """Pick a day in the date field, submit, and land on that day."""
    page.goto("/")
    page.get_by_label("Go to day").fill("2025-10-17")
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"/papers/date/2025-10-17$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DAY_BEFORE)
    expect(page.get_by_role("article").first).to_be_visible()


def test_upvotes_sort_orders_cards_by_upvotes(page: Page) -> None:
    """Switch the sort to Upvotes and see the counts never rise down the page."""
    page.goto("/")
    sorts = page.get_by_role("navigation", name="sort")
    sorts.get_by_role("link", name="Upvotes").click()
    expect(page).to_have_url(re.compile(r"sort=upvotes"))
    expect(sorts.get_by_role("link", name="Upvotes")).to_have_attribute("aria-current", "true")
    counts = upvote_counts(page)
    assert len(counts) > 1
    assert counts == sorted(counts, reverse=True)


def test_previous_and_next_step_between_recorded_days(page: Page) -> None:
    """Step back to the previous recorded day and forward again."""
    page.goto("/")
    steps = page.get_by_role("navigation", name="previous and next")
    steps.get_by_role("link", name=f"← {DAY_BEFORE}").click()
    expect(page).to_have_url(re.compile(r"/papers/date/2025-10-17$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DAY_BEFORE)
    steps.get_by_role("link", name=f"{LATEST_DAY} →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LATEST_DAY)


def test_search_from_the_header_then_narrow_with_a_filter(page: Page) -> None:
    """Type words in the search box every page has, read highlighted cards, add a filter."""
    page.goto("/")
    box = page.get_by_role("search").get_by_label("Search papers")
    box.fill("video diffusion")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=video\+diffusion"))
    expect(page.get_by_role("heading", level=1)).to_have_text("video diffusion")
    cards = page.get_by_role("article")
    expect(cards.first).to_be_visible()
    found = cards.count()
    marked = cards.first.locator("mark").all_inner_texts()
    assert {word.lower() for word in marked} & {"video", "videos", "diffusion"}, marked
    screenshot(page, "search")

    page.get_by_label("Category").fill("cs.CL")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"cat=cs.CL"))
    narrowed = page.get_by_role("article").count()
    assert narrowed < found


def test_sign_up_then_follow_an_author_from_a_paper_page(
    browser: Browser, loaded_storage: Storage
) -> None:
    """Sign up by the mailed link, open a paper, follow its first author, see Following."""
    stop = threading.Event()
    with smtp_server() as mail:
        app = make_site(loaded_storage, smtp_host=mail.host, smtp_port=mail.port, mail_poll_s=0.05)
        sender = send_mail_in_background(app.state.settings, loaded_storage, stop=stop)
        try:
            with serving(app) as url:
                sign_up_and_follow(browser, url, mail)
        finally:
            stop.set()
            if sender is not None:
                sender.join(timeout=10)


def sign_up_and_follow(browser: Browser, url: str, mail: SmtpServer) -> None:
    """Drive the sign-up and the follow in a fresh tab of the served site."""
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    context.route(lambda address: not address.startswith(url), lambda route: route.abort())
    page = context.new_page()
    page.goto("/signup")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Password (10 characters or more)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Check your mail")).to_be_visible()
    body = mail.wait_for(1)[0].message.get_content()
    link = re.search(re.escape(url) + r"(/signup/confirm/\S+)", body)
    assert link, body
    page.goto(link.group(1))
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"/papers/{PAPER}")
    author = page.locator(".author-list a").first
    name = author.inner_text().strip()
    author.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page.evaluate("window.__stayed = true")  # lost if the page reloads
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following ✓")).to_be_visible()
    assert page.evaluate("window.__stayed") is True  # swapped in place
    screenshot(page, "author")
    page.get_by_role("navigation", name="account").get_by_role("link", name="Following").click()
    expect(page.get_by_text(f"by an author you follow: {name}").first).to_be_visible()
    screenshot(page, "following")
    context.close()


def test_a_member_saves_a_paper_then_opens_for_you(page: Page, loaded_storage) -> None:  # type: ignore[no-untyped-def]
    """Sign in, save the first card's paper, find it in Saved, then open For you."""
    from support.accounts import PASSWORD, add_member

    add_member(loaded_storage, "reader")
    page.goto("/signin")
    page.get_by_label("Username or email").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Latest").click()  # a member's home is For you
    first = page.get_by_role("article").first
    title = first.get_by_role("heading", level=2).inner_text().strip()
    first.get_by_role("button", name="☆ Save").click()
    expect(page.get_by_role("article").first.get_by_role("button", name="★ Saved")).to_be_visible()
    page.get_by_role("link", name="Collections").click()
    page.get_by_role("link", name="Saved").click()
    expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
    page.get_by_role("link", name="For you").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    assert title not in page.locator("article.card h2").all_inner_texts()  # saved: seen
    screenshot(page, "for-you")
