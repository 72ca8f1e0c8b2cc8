"""The real huggingface_hub client reads this site as if it were Hugging Face."""

from datetime import date

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError


@pytest.fixture
def api(live_url, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return HfApi(endpoint=live_url, token=False)


def test_list_daily_papers_of_a_day(api):
    papers = list(api.list_daily_papers(date="2025-10-17", limit=100))
    assert len(papers) == 35
    ids = {paper.id for paper in papers}
    assert "2510.14545" in ids
    first = next(paper for paper in papers if paper.id == "2510.14545")
    assert first.title == "Agentic Entropy-Balanced Policy Optimization"
    assert first.upvotes == 61
    assert first.comments == 2
    assert first.submitted_at.date() == date(2025, 10, 17)
    assert first.authors[0].name == "Guanting Dong"
    assert first.organization.name == "RUC"
    assert first.github_repo.startswith("https://github.com/")


def test_list_daily_papers_by_week_sorted_by_trending(api):
    papers = list(api.list_daily_papers(week="2024-W50", sort="trending", limit=100))
    assert len(papers) == 26
    assert papers[0].upvotes == max(paper.upvotes for paper in papers)


def test_paper_info(api):
    paper = api.paper_info("2510.14545")
    assert paper.id == "2510.14545"
    assert paper.title == "Agentic Entropy-Balanced Policy Optimization"
    assert paper.upvotes == 61
    assert paper.summary.startswith("Recently, Agentic Reinforcement Learning")
    assert paper.published_at.date() == date(2025, 10, 16)


def test_paper_info_of_an_unknown_paper_raises(api):
    with pytest.raises(HfHubHTTPError):
        api.paper_info("2101.00001")


def test_read_paper(api):
    text = api.read_paper("2510.14545")
    assert text.startswith("# Agentic Entropy-Balanced Policy Optimization")
    assert "Renmin University of China" in text


def test_list_papers_searches(api):
    papers = list(api.list_papers(query="Agentic Entropy-Balanced Policy Optimization", limit=5))
    assert papers[0].id == "2510.14545"  # the exact title is pinned first
    assert papers[0].title == "Agentic Entropy-Balanced Policy Optimization"
    assert 1 < len(papers) <= 5
    assert next(iter(api.list_papers(query="2510.14545"))).id == "2510.14545"
