"""`ingest arxiv`, `harvest oai`, `submit` and `worker` against a real local HTTP server.

The server answers with responses recorded from arXiv (and OAI-PMH pages built from
real records); the commands are pointed at it by their settings.
"""

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from dailypapers.storage import open_storage

from support.arxiv_server import oai_pages, real_oai_records, recorded_api_body
from support.commands import count_papers, run
from support.http_server import Reply, serving


@pytest.fixture
def arxiv_env(monkeypatch, database_url):
    """Use no politeness delay and small pages unless a test asks otherwise."""
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY_S", "0")
    monkeypatch.setenv("DAILYPAPERS_ARXIV_PAGE_SIZE", "10")
    return monkeypatch


def listing_server(shared_data, *, broken_start=None, broken_reply=None):
    """Answer category queries page by page from the recorded 'testing' pages."""
    pages = {
        "0": recorded_api_body(shared_data, "q_testing_s0_m10"),
        "10": recorded_api_body(shared_data, "q_testing_s10_m10"),
    }
    empty = recorded_api_body(shared_data, "id_0000.0000")

    def answer(request):
        if request.query.get("start") == broken_start:
            return broken_reply
        return Reply(200, pages.get(request.query.get("start"), empty))

    return serving(answer)


def stored(url):
    storage = open_storage(url)
    try:
        ids = [row[0] for row in storage._execute("SELECT id FROM papers ORDER BY id")]
        return storage.featured_papers(ids)
    finally:
        storage.close()


def test_ingest_arxiv_pages_through_the_categories(arxiv_env, database_url, shared_data):
    with listing_server(shared_data) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run(
            "ingest", "arxiv", "--category", "cs.LG", "--category", "cs.CL", "--since", "2000-01-01"
        )
    assert result.exit_code == 0, result.output
    assert "cs.LG, cs.CL: 20 added" in result.output
    assert [request.query["start"] for request in log] == ["0", "10", "20"]
    first = log[0].query
    assert first["search_query"] == "cat:cs.LG OR cat:cs.CL"
    assert (first["sortBy"], first["sortOrder"], first["max_results"]) == (
        "lastUpdatedDate",
        "descending",
        "10",
    )
    assert log[0].headers["User-Agent"].startswith("dailypapers/")
    papers = stored(database_url)
    assert len(papers) == 20
    assert all(item.entry is not None and item.entry.day.weekday() < 5 for item in papers)


def test_a_second_pull_stops_at_the_first_page_with_nothing_new(arxiv_env, shared_data):
    with listing_server(shared_data) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        run("ingest", "arxiv", "--category", "cs.LG", "--since", "2000-01-01")
        log.clear()
        again = run("ingest", "arxiv", "--category", "cs.LG")
    assert again.exit_code == 0
    assert "0 added, 0 updated" in again.output  # the recorded papers predate the last pull
    assert len(log) == 1


def test_since_stops_at_older_papers(arxiv_env, database_url, shared_data):
    with listing_server(shared_data) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("ingest", "arxiv", "--category", "cs.LG", "--since", "2099-01-01")
    assert "0 added" in result.output
    assert len(log) == 1
    assert count_papers(database_url) == 0


def test_requests_to_arxiv_are_spaced_by_the_delay(arxiv_env, shared_data):
    arxiv_env.setenv("DAILYPAPERS_ARXIV_DELAY_S", "0.3")
    with listing_server(shared_data) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        run("ingest", "arxiv", "--category", "cs.LG", "--since", "2000-01-01")
    gaps = [later.received - earlier.received for earlier, later in pairwise(log)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.29  # measured by the server, not by the client


def test_a_503_with_retry_after_is_waited_out(arxiv_env, database_url, shared_data):
    busy = iter([Reply(503, b"busy", {"Retry-After": "1"})])

    def answer(request):
        reply = next(busy, None)
        return reply or Reply(200, recorded_api_body(shared_data, "id_2104.12255v1"))

    with serving(answer) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("submit", "2104.12255")
    assert result.exit_code == 0, result.output
    assert len(log) == 2
    assert log[1].received - log[0].received >= 1.0
    assert count_papers(database_url) == 1


def test_a_connection_dropped_mid_body_is_retried(arxiv_env, database_url, shared_data):
    body = recorded_api_body(shared_data, "id_2104.12255v1")
    replies = iter([Reply(200, body, cut_after=len(body) // 2)])

    def answer(request):
        return next(replies, None) or Reply(200, body)

    with serving(answer) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("submit", "2104.12255")
    assert result.exit_code == 0, result.output
    assert len(log) == 2


def test_malformed_xml_keeps_earlier_pages_and_names_the_request(
    arxiv_env, database_url, shared_data
):
    broken = Reply(200, b"<?xml version='1.0'?><feed><entry><title>cut")
    with listing_server(shared_data, broken_start="10", broken_reply=broken) as (url, _):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("ingest", "arxiv", "--category", "cs.LG", "--since", "2000-01-01")
    assert result.exit_code == 1
    assert "malformed XML" in result.output and "start=10" in result.output
    assert count_papers(database_url) == 10  # page one whole, nothing of page two


def test_the_http_400_error_feed_is_reported(arxiv_env, database_url, shared_data):
    error_feed = Reply(400, recorded_api_body(shared_data, "id_abc"))
    with serving(lambda request: error_feed) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("ingest", "arxiv", "--category", "nonsense")
    assert result.exit_code == 1
    assert "incorrect id format for abc" in result.output
    assert len(log) == 1  # a client error is not retried


@pytest.mark.parametrize(
    ("typed", "asked", "recorded", "paper_id"),
    [
        ("2104.12255v1", "2104.12255", "id_2104.12255v1", "2104.12255"),
        ("arXiv:2104.12255", "2104.12255", "id_2104.12255v1", "2104.12255"),
        ("https://arxiv.org/pdf/2104.12255v1.pdf", "2104.12255", "id_2104.12255v1", "2104.12255"),
        (
            "https://arxiv.org/abs/astro-ph/0601001",
            "astro-ph/0601001",
            "id_astro-ph_0601001",
            "astro-ph/0601001",
        ),
    ],
)
def test_submit_features_the_paper_today(
    arxiv_env, database_url, shared_data, typed, asked, recorded, paper_id
):
    body = recorded_api_body(shared_data, recorded)
    with serving(lambda request: Reply(200, body)) as (url, log):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("submit", typed, "--by", "ada")
        again = run("submit", typed)
    assert result.exit_code == 0, result.output
    assert log[0].query["id_list"] == asked
    (item,) = stored(database_url)
    assert item.paper.id == paper_id
    assert item.entry.day == date.today()
    assert item.entry.submitted_by == "ada"
    assert f"already featured on {date.today()}" in again.output


def test_submitting_what_arxiv_does_not_have(arxiv_env, database_url, shared_data):
    empty = recorded_api_body(shared_data, "id_0000.0000")
    with serving(lambda request: Reply(200, empty)) as (url, _):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        result = run("submit", "0000.0000")
    assert result.exit_code == 1
    assert "arXiv has no paper 0000.0000" in result.output
    assert run("submit", "not an id").exit_code == 2


def test_a_new_version_updates_the_paper_and_keeps_its_day(arxiv_env, database_url, shared_data):
    v1 = recorded_api_body(shared_data, "id_2104.12255v1")
    v2 = (
        v1.replace(b"2104.12255v1", b"2104.12255v2")
        .replace(b"<title>0</title>", b"<title>Zero, revised</title>")
        .replace(
            b"<updated>2021-04-20T16:07:14Z</updated>", b"<updated>2021-06-01T10:00:00Z</updated>"
        )
    )
    bodies = iter([v1, v2])
    with serving(lambda request: Reply(200, next(bodies))) as (url, _):
        arxiv_env.setenv("DAILYPAPERS_ARXIV_API_URL", f"{url}/api/query")
        run("submit", "2104.12255")
        day = stored(database_url)[0].entry.day
        run("submit", "2104.12255")
    (item,) = stored(database_url)
    assert (item.paper.title, item.paper.version) == ("Zero, revised", 2)
    assert item.entry.day == day


def harvest_process(url, database_url):
    env = dict(
        os.environ,
        DAILYPAPERS_DATABASE_URL=database_url,
        DAILYPAPERS_ARXIV_OAI_URL=f"{url}/oai",
        DAILYPAPERS_ARXIV_DELAY_S="0",
    )
    executable = Path(sys.executable).with_name("dailypapers")
    return subprocess.Popen(
        [str(executable), "harvest", "oai", "--set", "physics"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_killed_harvest_resumes_without_gaps_or_repeats(database_url, shared_data):
    records = real_oai_records(shared_data)
    pages = oai_pages(records, per_page=2)  # four pages of real records
    page_three_asked = threading.Event()
    release = threading.Event()

    def answer(request):
        token = request.query.get("resumptionToken")
        if token == "token-2" and not release.is_set():
            page_three_asked.set()
            release.wait(timeout=30)  # hold the request while the harvester is killed
        return Reply(200, pages[token])

    with serving(answer) as (url, log):
        harvester = harvest_process(url, database_url)
        assert page_three_asked.wait(timeout=30), harvester.communicate()[0]
        harvester.send_signal(signal.SIGKILL)
        harvester.wait(timeout=10)
        release.set()
        assert count_papers(database_url) == 4  # pages one and two, whole
        resumed = harvest_process(url, database_url)
        output, _ = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, output
    assert "resumed, 4 page(s), 7 record(s) in all" in output
    asked = [request.query.get("resumptionToken") for request in log]
    assert asked == [None, "token-1", "token-2", "token-2", "token-3"]
    assert log[0].query == {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "physics"}
    assert count_papers(database_url) == 7
    storage = open_storage(database_url)
    (state,) = [
        storage.get_harvest_state(row[0])
        for row in storage._execute("SELECT name FROM harvest_state")
    ]
    storage.close()
    assert state.finished and state.pages == 4 and state.records == 7


def test_an_oai_error_is_reported_and_the_cursor_kept(database_url, shared_data, monkeypatch):
    pages = oai_pages(real_oai_records(shared_data), per_page=3)
    expired = (
        b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="badResumptionToken">expired</error></OAI-PMH>'
    )

    def answer(request):
        token = request.query.get("resumptionToken")
        return Reply(200, expired if token == "token-1" else pages[token])

    with serving(answer) as (url, _):
        monkeypatch.setenv("DAILYPAPERS_ARXIV_OAI_URL", f"{url}/oai")
        monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY_S", "0")
        result = run("harvest", "oai")
    assert result.exit_code == 1
    assert "badResumptionToken: expired" in result.output
    assert "run the command again to resume" in result.output
    assert count_papers(database_url) == 3


def test_the_worker_runs_its_pull_once(arxiv_env, database_url, shared_data):
    # Date the recorded papers today, so a first pull (a week back) takes them.
    fresh = re.sub(
        rb"<updated>[^<]+</updated>",
        f"<updated>{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}</updated>".encode(),
        recorded_api_body(shared_data, "q_testing_s0_m10"),
    )
    with serving(lambda request: Reply(200, fresh)) as (url, log):
        env = dict(
            os.environ,
            DAILYPAPERS_ARXIV_API_URL=f"{url}/api/query",
            DAILYPAPERS_ARXIV_CATEGORIES="cs.LG, cs.CL",
        )
        executable = Path(sys.executable).with_name("dailypapers")
        result = subprocess.run(
            [str(executable), "worker", "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert "arxiv pull: cs.LG, cs.CL:" in result.stderr
    assert log[0].query["search_query"] == "cat:cs.LG OR cat:cs.CL"
    assert "10 added" in result.stderr
    assert len(log) == 2  # the second page brought nothing new
    assert count_papers(database_url) == 10
