"""`dailypapers ingest hf` against a real local HTTP server."""

from fastapi.testclient import TestClient

from dailypapers.storage import open_storage

from support.commands import count_papers, run
from support.http_server import Reply, serving
from support.sites import make_app

CDN = b"https://cdn-uploads.huggingface.co"


def test_ingest_hf_pulls_each_day_from_the_api(database_url, shared_data, monkeypatch):
    days = {
        "2025-10-17": (shared_data / "fixtures/hf_daily_papers/daily_papers_2025-10-17.json"),
        "2025-10-18": None,  # a Saturday: no papers
    }

    def answer(request):
        if request.path != "/api/daily_papers":
            return Reply(404)
        source = days.get(request.query["date"])
        # Avatars are fetched at ingest: point them here (404) rather than at the internet.
        body = source.read_bytes().replace(CDN, url.encode()) if source else b"[]"
        return Reply(200, body)

    with serving(answer) as (url, log):
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-18")
        again = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
    assert result.exit_code == 0, result.output
    assert "2 day(s)" in result.output and "35 added" in result.output
    assert "0 added" in again.output and "35 unchanged" in again.output
    asked = [r.query["date"] for r in log if r.path == "/api/daily_papers"]
    assert asked == ["2025-10-17", "2025-10-18", "2025-10-17"]
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


def test_ingest_hf_keeps_organization_avatars_so_pages_load_none_from_elsewhere(
    database_url, shared_data, monkeypatch
):
    recorded = (shared_data / "fixtures/hf_daily_papers/daily_papers_2025-10-17.json").read_text()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    base = {}

    def answer(request):
        if request.path == "/api/daily_papers":
            # The recorded avatars live on Hugging Face's CDN: point them at this server.
            body = recorded.replace("https://cdn-uploads.huggingface.co/", f"{base['url']}/cdn/")
            return Reply(200, body.replace("https://cdn-avatars.huggingface.co/", "/cdn/").encode())
        if request.path.endswith("670IAX9A2-BflqA5MiSBW.jpeg"):  # Renmin University's
            return Reply(200, png, {"Content-Type": "image/jpeg"})
        if request.path.endswith("Qv8QPbkgoKE3wR4jTzHiy.png"):  # StepFun's: not an image
            return Reply(200, b"<html>login</html>", {"Content-Type": "image/png"})
        return Reply(404)

    with serving(answer) as (url, log):
        base["url"] = url
        monkeypatch.setenv("DAILYPAPERS_HF_API_URL", url)
        result = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
        fetched = [request.path for request in log if request.path.startswith("/cdn/")]
        again = run("ingest", "hf", "--since", "2025-10-17", "--until", "2025-10-17")
        refetched = [request.path for request in log if request.path.startswith("/cdn/")]
    assert result.exit_code == 0 and again.exit_code == 0, result.output
    assert len(fetched) > 2  # every organization's avatar was asked for once ...
    assert len(refetched) == 2 * len(fetched) - 1  # ... and again only where none was kept

    storage = open_storage(database_url)
    try:
        kept = storage.get_avatar("RUC")
        assert kept is not None and kept.data == png and kept.content_type == "image/png"
        assert storage.get_avatar("stepfun-ai") is None
        client = TestClient(make_app(storage))
        page = client.get("/papers/date/2025-10-17").text
        avatar = client.get("/organizations/RUC/avatar")
    finally:
        storage.close()
    assert '<img class="avatar tiny" src="/organizations/RUC/avatar"' in page
    assert '<span class="avatar initial tiny" aria-hidden="true">S</span>' in page  # StepFun
    assert "huggingface.co/production" not in page and url not in page
    assert avatar.status_code == 200 and avatar.content == png
    assert avatar.headers["content-type"] == "image/png"
