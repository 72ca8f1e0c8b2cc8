"""`dailypapers ingest hf` against a real local HTTP server."""

from support.commands import count_papers, run
from support.http_server import Reply, serving


def test_ingest_hf_pulls_each_day_from_the_api(database_url, shared_data, monkeypatch):
    days = {
        "2025-10-17": (shared_data / "fixtures/hf_daily_papers/daily_papers_2025-10-17.json"),
        "2025-10-18": None,  # a Saturday: no papers
    }

    def answer(request):
        if request.path != "/api/daily_papers":
            return Reply(404)
        source = days.get(request.query["date"])
        return Reply(200, source.read_bytes() if source else b"[]")

    with serving(answer) as (url, log):
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-18")
        again = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
    assert result.exit_code == 0, result.output
    assert "2 day(s)" in result.output and "35 added" in result.output
    assert "0 added" in again.output and "35 unchanged" in again.output
    assert [request.query["date"] for request in log] == ["2025-10-17", "2025-10-18", "2025-10-17"]
    assert log[0].headers["User-Agent"].startswith("dailypapers/")
    assert count_papers(database_url) == 35


def test_ingest_hf_reports_an_unreachable_api(database_url, monkeypatch):
    with serving(lambda request: Reply(403, b"denied")) as (url, _):
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
    assert result.exit_code == 1
    assert "answered 403" in result.output


def test_ingest_hf_refuses_a_backwards_range(database_url):
    result = run("ingest", "hf", "--since", "2025-10-18", "--until", "2025-10-17")
    assert result.exit_code == 2 and "is after --until" in result.output
