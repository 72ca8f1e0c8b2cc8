"""The JSON API: Hugging Face's paths, parameters and field names; clear errors."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dailypapers.web.api.hf_json import timestamp


def test_daily_papers_of_a_day_in_hugging_faces_shape(client):
    response = client.get("/api/daily_papers", params={"date": "2025-10-17", "limit": 100})
    assert response.status_code == 200
    entries = response.json()
    assert len(entries) == 35
    first = entries[0]  # default sort: publishedAt, the newest featured first
    assert set(first) >= {"paper", "publishedAt", "title", "summary", "numComments"}
    paper = first["paper"]
    assert set(paper) >= {"id", "authors", "publishedAt", "title", "summary", "upvotes"}
    assert all(set(author) >= {"name"} for author in paper["authors"])
    featured = [entry["publishedAt"] for entry in entries]
    assert featured == sorted(featured, reverse=True)
    assert all(stamp.endswith("Z") for stamp in featured)


def test_trending_sort_and_paging(client):
    trending = client.get("/api/daily_papers?date=2025-10-17&sort=trending&limit=100").json()
    assert trending[0]["paper"]["id"] == "2510.14545"
    page0 = client.get("/api/daily_papers?date=2025-10-17&sort=trending&limit=10&p=0").json()
    page1 = client.get("/api/daily_papers?date=2025-10-17&sort=trending&limit=10&p=1").json()
    assert [e["paper"]["id"] for e in page0 + page1] == [e["paper"]["id"] for e in trending[:20]]


def test_week_month_and_submitter_filters(client):
    assert len(client.get("/api/daily_papers?week=2024-W50&limit=100").json()) == 26
    assert len(client.get("/api/daily_papers?month=2025-01&limit=100").json()) == 9
    mine = client.get("/api/daily_papers?submitter=dongguanting").json()
    assert [entry["paper"]["id"] for entry in mine] == ["2510.14545"]
    assert client.get("/api/daily_papers?submitter=nobody").json() == []


def test_without_a_period_the_latest_papers_come_first(client):
    entries = client.get("/api/daily_papers?limit=5").json()
    assert len(entries) == 5
    assert entries[0]["publishedAt"].startswith("2026-08-21")


def test_organization_and_links_are_carried(client):
    paper = client.get("/api/papers/2510.14545").json()
    assert paper["id"] == "2510.14545"
    assert paper["upvotes"] == 61
    assert paper["organization"]["name"] == "RUC"
    assert paper["githubRepo"].startswith("https://github.com/")
    assert paper["submittedOnDailyAt"].startswith("2025-10-17")
    assert paper["authors"][0]["name"] == "Guanting Dong"


def test_versioned_ids_find_the_paper(client):
    assert client.get("/api/papers/2510.14545v2").json()["id"] == "2510.14545"


def test_unknown_paper_is_404_with_a_message(client):
    response = client.get("/api/papers/2101.00001")
    assert response.status_code == 404
    assert "not on this site" in response.json()["error"]
    assert client.get("/api/papers/not-an-id").status_code == 404


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("date=2025-13-01", 400, "not a real date"),
        ("date=yesterday", 400, "YYYY-MM-DD"),
        ("week=2025-W60", 400, "no ISO week 60"),
        ("month=2025-1x", 400, "YYYY-MM"),
        ("date=9999-12-31", 400, "9999-12-31"),
        ("week=9999-W52", 400, "9999-12-31"),
        ("month=9999-12", 400, "9999-12-31"),
        ("date=0001-01-01", 200, None),
        ("date=2025-10-17&week=2025-W42", 400, "at most one"),
        ("limit=0", 422, "limit"),
        ("limit=1000", 422, "limit"),
        ("limit=ten", 422, "limit"),
        ("p=-1", 422, "p:"),
        ("sort=random", 422, "sort"),
    ],
)
def test_bad_parameters_get_a_message_never_a_500(client, query, status, message):
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == status
    if message is not None:
        assert message in response.json()["error"]


def test_markdown_page(client):
    response = client.get("/papers/2510.14545.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Agentic Entropy-Balanced Policy Optimization\n")
    assert "Guanting Dong" in text
    assert "[2510.14545](https://arxiv.org/abs/2510.14545)" in text
    assert "## Abstract" in text and "Recently, Agentic Reinforcement Learning" in text
    assert client.get("/papers/2101.00001.md").status_code == 404


def test_sql_metacharacters_in_parameters_are_just_text(client):
    response = client.get("/api/daily_papers", params={"submitter": "x' OR '1'='1"})
    assert response.json() == []
    assert client.get("/api/papers/2510.14545'; DROP TABLE papers; --").status_code == 404
    assert client.get("/api/papers/2510.14545").status_code == 200


def test_times_are_written_as_hugging_face_writes_them():
    moment = datetime(2025, 10, 16, 10, 40, 52, 999_999, tzinfo=UTC)
    assert timestamp(moment) == "2025-10-16T10:40:52.999Z"  # milliseconds, cut not rounded
    assert timestamp(moment.replace(microsecond=0)) == "2025-10-16T10:40:52.000Z"
    paris = moment.astimezone(timezone(timedelta(hours=2)))
    assert timestamp(paris) == "2025-10-16T10:40:52.999Z"  # the same moment, in UTC
    assert timestamp(None) is None
