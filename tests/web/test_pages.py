"""Pages a person browses: listings, paper pages, organizations, ranking."""

import re
from html import unescape

import pytest

from dailypapers.domain.periods import parse_day


def card_ids(html):
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)">', html)


def test_home_is_the_latest_day_with_its_cards(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "Aug 21, 2026" in html
    assert len(card_ids(html)) == 17
    assert client.get("/papers/date/2026-08-21").text.count('class="card"') == 17


def test_a_card_shows_what_hugging_face_shows(client):
    html = client.get("/papers/date/2025-10-17?sort=upvotes").text
    card = html[html.index('<article class="card">') : html.index("</article>")]
    assert 'href="/papers/2510.14545"' in card
    assert "Agentic Entropy-Balanced Policy Optimization" in card
    assert "Recently, Agentic Reinforcement Learning" in card  # the excerpt
    assert "Renmin University of China" in card  # the organization instead of authors
    assert '<span class="count">61</span>' in card
    # Hugging Face counted 2 comments, none of them imported: the card counts what opens.
    assert "0 comments" in card and "2 on Hugging Face" in card
    assert 'href="https://github.com/RUC-NLPIR/ARPO/blob/main/"' in card
    assert "Oct 16, 2025" in card  # published on arXiv


def test_a_card_without_organization_counts_authors(client):
    html = client.get("/papers/date/2024-05-27").text
    assert re.search(r"\d+ authors", html)


def test_sorting_changes_the_order(loaded_storage):
    from support.sites import make_client

    client = make_client(loaded_storage, page_size=50)
    by_votes = card_ids(client.get("/papers/date/2025-10-17?sort=upvotes").text)
    newest = card_ids(client.get("/papers/date/2025-10-17?sort=newest").text)
    assert len(by_votes) == 35
    assert sorted(by_votes) == sorted(newest)
    assert by_votes != newest


def test_pagination_links(loaded_storage):
    from support.sites import make_client

    small = make_client(loaded_storage, page_size=10)
    first = small.get("/papers/date/2025-10-17").text
    assert "Page 1 of 4" in first
    assert 'href="/papers/date/2025-10-17?sort=trending&amp;p=1"' in first
    second = small.get("/papers/date/2025-10-17?p=1").text
    assert set(card_ids(first)).isdisjoint(card_ids(second))


def test_day_navigation_steps_over_empty_days(client):
    html = client.get("/papers/date/2025-10-17").text
    assert 'rel="prev" href="/papers/date/2025-01-10"' in html
    assert 'rel="next" href="/papers/date/2026-08-21"' in html


def test_week_and_month_pages_navigate_to_periods_with_papers(client):
    week = client.get("/papers/week/2025-W42").text
    assert "Week 42, 2025" in week
    assert 'rel="prev" href="/papers/week/2025-W02"' in week  # 2025-01-10
    assert 'rel="next" href="/papers/week/2026-W34"' in week  # 2026-08-21
    month = client.get("/papers/month/2025-10").text
    assert "October 2025" in month and len(card_ids(month)) == 30
    assert 'rel="prev" href="/papers/month/2025-01"' in month
    last = client.get("/papers/month/2026-08").text
    assert 'rel="next"' not in last


def test_the_date_picker_goes_to_its_page(client):
    response = client.get("/papers/date?date=2025-10-17", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/date/2025-10-17"
    assert (
        client.get("/papers/week?week=2025-W42", follow_redirects=False).headers["location"]
        == "/papers/week/2025-W42"
    )
    assert client.get("/papers/month?month=2025-10").status_code == 200
    assert client.get("/papers/date?date=soon").status_code == 400


def test_an_empty_period_says_so(client):
    html = client.get("/papers/date/2023-01-02").text
    assert "No papers were featured in Jan 2, 2023" in html


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/papers/date/2025-13-01", 400, "not a real date"),
        ("/papers/week/2025-W99", 400, "no ISO week 99"),
        ("/papers/month/2025-1", 200, ""),
        ("/papers/date/9999-12-31", 400, "9999-12-31"),
        ("/papers/week/9999-W52", 400, "9999-12-31"),
        ("/papers/month/9999-12", 400, "9999-12-31"),
        # The day exists but its month tab would end past the calendar.
        ("/papers/date/9999-12-30", 400, "calendar"),
        ("/papers/date?date=9999-12-31", 400, "9999-12-31"),
        ("/papers/date/2025-10-17?sort=best", 422, "sort"),
        ("/papers/date/2025-10-17?p=-2", 422, "p:"),
        ("/papers/2101.00001", 404, "not on this site"),
        ("/papers/hep-th/9901001", 404, "not on this site"),
        ("/organizations/nobody", 404, "no organization"),
    ],
)
def test_bad_addresses_get_a_page_with_a_message(client, path, status, message):
    response = client.get(path)
    assert response.status_code == status
    assert message in unescape(response.text)
    assert "text/html" in response.headers["content-type"]


def test_paper_page_shows_everything_known(client):
    html = client.get("/papers/2510.14545").text
    assert "<h1>Agentic Entropy-Balanced Policy Optimization</h1>" in html
    # all authors, each linking to their page
    assert (
        '<a href="/authors/Guanting%20Dong">Guanting Dong</a>, <a href="/authors/Licheng%20Bao">'
        in html
    )
    assert ">Zhicheng Dou</a>" in html
    assert 'href="https://arxiv.org/abs/2510.14545"' in html
    assert 'href="https://arxiv.org/pdf/2510.14545"' in html
    assert 'href="https://github.com/RUC-NLPIR/ARPO/blob/main/"' in html
    assert 'href="/organizations/RUC"' in html
    assert "Featured on" in html and 'href="/papers/date/2025-10-17"' in html
    assert '<span class="count">61</span>' in html
    assert "Agentic Reinforcement Learning</li>" in html  # a keyword
    assert "14 challenging datasets" in html  # the full abstract, not an excerpt


def test_paper_page_accepts_versions_and_urls(client):
    assert client.get("/papers/2510.14545v1").status_code == 200
    assert client.get("/papers/arXiv:2510.14545").status_code == 200


def test_organization_page_lists_its_papers(client):
    html = client.get("/organizations/RUC").text
    assert "Renmin University of China" in html
    assert "2510.14545" in html


def test_an_organization_written_in_another_case_leads_to_its_own_address(client):
    page = client.get("/organizations/ruc", params={"sort": "upvotes"}, follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == "/organizations/RUC?sort=upvotes"
    feed = client.get("/feeds/organizations/Ruc.rss", follow_redirects=False)
    assert feed.status_code == 307 and feed.headers["location"] == "/feeds/organizations/RUC.rss"
    assert client.get("/feeds/organizations/nobody.rss").status_code == 404


def test_about_ranking_explains_the_formula(client):
    html = unescape(client.get("/about/ranking").text)
    assert "score = (upvotes + 0.5 × comments) / (age in hours + 2)<sup>1.2</sup>" in html


def test_a_site_without_papers_explains_how_to_load_some(storage):
    from support.sites import make_client

    html = make_client(storage).get("/").text
    assert "No papers yet" in html and "dailypapers import" in html


def test_text_from_sources_is_escaped(storage):
    from dailypapers.domain.papers import DailyEntry, Paper

    from support.sites import make_client

    day = parse_day("2025-10-17")
    with storage.transaction():
        storage.save_papers(
            [Paper("2510.00001", "<script>alert(1)</script>", "a & b", ("<b>x</b>",))]
        )
        storage.save_entries([DailyEntry("2510.00001", day.start, day.end_of_period)])
    html = make_client(storage).get("/papers/2510.00001").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_pages_are_sent_in_ascii_and_show_every_character(storage):
    from dailypapers.domain.papers import DailyEntry, Paper

    from support.sites import make_client

    day = parse_day("2025-10-17")
    title = "Schrödinger's ζ < 1 <script>x</script>"
    with storage.transaction():
        storage.save_papers([Paper("2510.00002", title, "Bounds ≤ 2 in 𝔽₂.", ("Łukasz Kaiser",))])
        storage.save_entries([DailyEntry("2510.00002", day.start, day.end_of_period)])
    site = make_client(storage)
    for path in ("/papers/date/2025-10-17", "/papers/2510.00002", "/authors/Łukasz Kaiser"):
        page = site.get(path)
        assert page.status_code == 200 and page.content.isascii()
        assert "<script>" not in page.text  # escaped as before, accents or not
        assert title in unescape(page.text) and "Łukasz Kaiser" in unescape(page.text)
    assert "Bounds ≤ 2 in 𝔽₂." in unescape(site.get("/papers/2510.00002").text)


def test_a_withdrawn_paper_is_marked_not_hidden(loaded_storage):
    from dataclasses import replace

    from support.sites import make_client

    paper = loaded_storage.get_papers(["2510.14545"])["2510.14545"]
    with loaded_storage.transaction():
        loaded_storage.save_papers([replace(paper, withdrawn=True)])
    client = make_client(loaded_storage)
    assert "The authors have withdrawn this paper" in client.get("/papers/2510.14545").text
    listing = client.get("/papers/date/2025-10-17?sort=upvotes").text
    assert '<span class="badge">withdrawn</span>' in listing


def test_templates_write_other_characters_as_references():
    # One character beyond ASCII in a template would make every page it draws slow to send.
    from importlib.resources import files

    templates = files("dailypapers.web").joinpath("templates")
    assert all(t.read_text(encoding="utf-8").isascii() for t in templates.iterdir())
