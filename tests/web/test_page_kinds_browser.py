"""Open every kind of page in Debian's chromium, on a desktop and on a phone, as people see them.

Each page must load with no console error (nothing it asks for may fail: no request leaves
the machine, so a remote asset shows up as an error), draw nothing past the screen's right
edge, and wear the site's stylesheet. Screenshots land in tests/screenshots for people to
look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from dailypapers.domain.accounts import Role
from dailypapers.domain.avatars import Avatar
from dailypapers.storage import Storage, open_storage

from support.accounts import PASSWORD, add_member, make_site
from support.live_server import serving
from support.sites import NOW, load_recorded_days

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}
PAPER = "2510.14545"
ORGANIZATION = "RUC"  # its avatar is stored here; the others show their initial

# (name, path, who looks): every kind of page a visitor, a member or an admin opens.
PAGES = [
    ("home", "/", None),
    ("day", "/papers/date/2025-10-17", None),
    ("week", "/papers/week/2025-W42", None),
    ("month", "/papers/month/2025-10", None),
    ("paper", f"/papers/{PAPER}", None),
    ("organization", f"/organizations/{ORGANIZATION}", None),
    ("author", "/authors/Guanting%20Dong", None),
    ("search", "/search?q=video+diffusion", None),
    ("search-empty", "/search", None),
    ("search-help", "/search/help", None),
    ("search-like", "/search/like?text=reinforcement+learning+for+language+model+agents", None),
    ("ranking", "/about/ranking", None),
    ("digest-subscribe", "/digest/subscribe", None),
    ("digest-preview", "/digest/preview", None),
    ("signin", "/signin", None),
    ("signup", "/signup", None),
    ("reset", "/reset", None),
    ("not-found", "/papers/2501.99999", None),
    ("api-docs", "/api/docs", None),
    ("settings", "/settings", "ada"),
    ("settings-digest", "/settings/digest", "ada"),
    ("submit", "/submit", "ada"),
    ("profile", "/users/ada", "ada"),
    ("organization-new", "/organizations/new", "ada"),
    ("paper-signed-in", f"/papers/{PAPER}", "ada"),
    ("following", "/following", "ada"),
    ("admin", "/admin", "boss"),
    ("admin-mail", "/admin/mail", "boss"),
]

# Where a page draws past the right edge: an element wider than the screen that no
# scrolling box holds (a table in a box that scrolls sideways is fine).
OVERFLOW_SCRIPT = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === "auto" || overflow === "scroll") return true;
    }
    return false;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || inScroller(element)) continue;
    if (getComputedStyle(element).visibility === "hidden") continue;
    const name = `${element.tagName.toLowerCase()}.${element.className}`;
    wide.push(`${name} right=${Math.round(box.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""

# How many rows the header's parts take: a part starts a row when it lies below the last.
HEADER_ROWS_SCRIPT = """() => {
  const boxes = [...document.querySelectorAll(".site-header .wrap > *")]
    .map((element) => element.getBoundingClientRect())
    .filter((box) => box.height > 0)
    .sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 2) rows += 1;
    bottom = Math.max(bottom, box.bottom);
  }
  return rows;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[str]:
    """Serve the recorded days with a member and an admin; yield the site's URL."""
    folder = tmp_path_factory.mktemp("pages")
    storage: Storage = open_storage(f"sqlite:///{folder / 'site.db'}")
    load_recorded_days(storage, shared_data)
    # An image the site keeps: the PNG inside its own favicon stands in for a fetched avatar.
    icon = (resources.files("dailypapers.web") / "static" / "favicon.ico").read_bytes()
    with storage.transaction():
        storage.save_avatar(Avatar(ORGANIZATION, "image/png", icon[22:], "https://x.test/a", NOW))
    add_member(storage, "ada", fullname="Ada Lovelace")
    add_member(storage, "boss", role=Role.ADMIN)
    app = make_site(storage, public_url="", mail_from="Daily Papers <papers@example.org>")
    with serving(app) as url:
        yield url
    storage.close()


def open_context(
    browser: Browser, site: str, width: int, session: object | None = None
) -> BrowserContext:
    """Open a browser context of this width whose requests never leave the machine."""
    context = browser.new_context(
        base_url=site,
        viewport={"width": width, "height": 860},
        storage_state=session,  # type: ignore[arg-type]
    )
    context.set_default_timeout(10_000)
    context.route(lambda url: not url.startswith(site), lambda route: route.abort())
    return context


def sign_in(page: Page, username: str) -> None:
    """Sign in through the form."""
    page.goto("/signin")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture(scope="module")
def sessions(browser: Browser, site: str) -> dict[str, object]:
    """Sign each member in once; return their cookies, to reuse in every context."""
    states: dict[str, object] = {}
    for username in ("ada", "boss"):
        context = open_context(browser, site, 1280)
        sign_in(context.new_page(), username)
        states[username] = context.storage_state()
        context.close()
    return states


def watched_tab(context: BrowserContext) -> tuple[Page, list[str]]:
    """Open a tab that records console errors, page errors and failed requests."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return tab, problems


def assert_looks_right(page: Page, problems: list[str], width: int) -> None:
    """Check what a person sees: the site's styles, nothing cut off, no error."""
    page.wait_for_load_state("networkidle")
    styled = page.evaluate(
        "() => [getComputedStyle(document.body).fontFamily,"
        " getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()]"
    )
    assert "Times" not in styled[0] and styled[1], f"the stylesheet is not applied: {styled}"
    layout = page.evaluate(OVERFLOW_SCRIPT)
    assert layout["scroll"] <= width and not layout["wide"], f"wider than {width}px: {layout}"
    assert problems == [], problems
    rows = page.evaluate(HEADER_ROWS_SCRIPT)
    assert rows <= 2, f"the header takes {rows} rows at {width}px"


@pytest.mark.parametrize("form", list(WIDTHS))
@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[page[0] for page in PAGES])
def test_every_page_kind_loads_cleanly_and_fits(
    browser: Browser,
    site: str,
    sessions: dict[str, object],
    name: str,
    path: str,
    who: str | None,
    form: str,
) -> None:
    width = WIDTHS[form]
    context = open_context(browser, site, width, sessions[who] if who else None)
    try:
        page, problems = watched_tab(context)
        response = page.goto(path)
        assert response is not None
        if who:
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        if name == "api-docs":  # Swagger UI, from files this site serves, lists the paths
            expect(
                page.locator(".opblock-summary-path", has_text="/api/daily_papers")
            ).to_be_visible()
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"page-{name}-{form}.png")
        if name == "not-found":
            problems[:] = [text for text in problems if "404" not in text]
            assert response.status == 404
        else:
            assert response.status == 200, (path, response.status)
        assert_looks_right(page, problems, width)
    finally:
        context.close()


@pytest.mark.parametrize("form", list(WIDTHS))
def test_the_digest_preview_looks_like_the_mail(browser: Browser, site: str, form: str) -> None:
    """The framed message is styled as its author meant, preheader hidden, fitting a phone."""
    width = WIDTHS[form]
    context = open_context(browser, site, width)
    try:
        page, problems = watched_tab(context)
        page.goto("/digest/preview")
        frame_element = page.locator("iframe.mail-frame")
        expect(frame_element).to_be_visible()
        frame = frame_element.content_frame
        heading = frame.get_by_role("heading", level=1)
        expect(heading).to_contain_text("Papers of")
        font = heading.evaluate("element => getComputedStyle(element).fontFamily")
        assert "Times" not in font and "Helvetica" in font, font
        preheader = frame.locator("body > div").first
        expect(preheader).to_be_hidden()
        inner = frame.locator("body").evaluate(
            "body => [body.ownerDocument.documentElement.scrollWidth, window.innerWidth]"
        )
        assert inner[0] <= inner[1], f"the message is wider than its frame: {inner}"
        assert_looks_right(page, problems, width)
    finally:
        context.close()
