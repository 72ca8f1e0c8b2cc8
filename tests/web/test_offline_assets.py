"""Every page works without the internet: its scripts, styles, icons and images are our own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

ASSET = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"')


def own_assets(html: str) -> list[str]:
    """Return the addresses of what the page loads (scripts, stylesheets, icons, images)."""
    return [
        url
        for url in ASSET.findall(html)
        if not url.endswith((".atom", ".rss"))  # alternate links are not loaded
    ]


def test_the_api_docs_load_swagger_ui_from_this_site_under_its_policy(client: TestClient) -> None:
    page = client.get("/api/docs")

    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assets = own_assets(page.text)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/api-docs.js" in assets
    assert all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    assert re.search(r"<script>(?!</script>)", page.text) is None  # no inline script
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert 'data-openapi-url="/api/openapi.json"' in page.text


def test_pages_show_no_avatar_from_another_site(client: TestClient) -> None:
    for path in ("/", "/papers/date/2025-10-17", "/papers/2510.14545", "/organizations/RUC"):
        html = client.get(path).text
        assert all(url.startswith("/") for url in own_assets(html)), (path, own_assets(html))
        assert "huggingface.co/production" not in html and "huggingface.co/v1" not in html
    organization = client.get("/organizations/RUC").text
    assert '<span class="avatar initial large" aria-hidden="true">R</span>' in organization
    assert client.get("/organizations/RUC/avatar").status_code == 404  # none fetched yet


def test_a_favicon_is_linked_and_served(client: TestClient) -> None:
    home = client.get("/").text
    icon = client.get("/favicon.ico")

    assert '<link rel="icon" href="/favicon.ico"' in home
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg")
