"""Health, readiness, request ids and metrics, as an operator's tools see them."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.domain.papers import Paper
from dailypapers.services.health import FIGURES_MAX_AGE_S, ReadinessProbe
from dailypapers.settings import Settings
from dailypapers.storage import Storage, open_storage
from dailypapers.web.app import create_app

from support.live_server import free_port
from support.postgres_server import URL_ENV, running_postgres
from support.sites import make_client


def test_healthz_and_readyz_answer_when_the_database_does(loaded_storage: Storage) -> None:
    client = make_client(loaded_storage)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["database"] == "sqlite"
    assert body["papers"] == loaded_storage.count_papers() > 0
    assert body["vector_lag"] == body["papers"]  # nothing embedded in this storage
    assert ready.headers["cache-control"] == "no-store"


def test_readyz_is_503_while_a_migration_is_not_applied(loaded_storage: Storage) -> None:
    client = make_client(loaded_storage)
    with loaded_storage.transaction():
        loaded_storage._execute(  # type: ignore[attr-defined]
            "DELETE FROM schema_migrations WHERE name = '0005_digests.sql'"
        )
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"] == "migrations not applied: 0005_digests.sql"


def new_paper(number: int) -> Paper:
    """Return a paper the recorded days do not hold."""
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return Paper(
        id=f"2603.{number:05d}",
        title=f"Paper {number} written after the count",
        abstract="Not counted yet.",
        authors=("A. Author",),
        categories=("cs.LG",),
        published_at=moment,
        updated_at=moment,
    )


def test_readyz_checks_the_schema_at_each_call_and_counts_papers_at_most_once_a_minute(
    loaded_storage: Storage,
) -> None:
    client = make_client(loaded_storage)
    counted = client.get("/readyz").json()["papers"]
    with loaded_storage.transaction():
        loaded_storage.save_papers([new_paper(1)])

    again = client.get("/readyz")  # a probe every few seconds scans no paper table

    assert again.status_code == 200 and again.json()["papers"] == counted
    with loaded_storage.transaction():
        loaded_storage._execute(  # type: ignore[attr-defined]
            "DELETE FROM schema_migrations WHERE name = '0005_digests.sql'"
        )
    assert client.get("/readyz").status_code == 503  # the schema is read every time


def test_the_readiness_figures_are_counted_again_once_a_minute_old(
    loaded_storage: Storage,
) -> None:
    now = [1000.0]
    probe = ReadinessProbe(loaded_storage, clock=lambda: now[0])
    counted = probe.read().papers
    with loaded_storage.transaction():
        loaded_storage.save_papers([new_paper(1)])
    now[0] += FIGURES_MAX_AGE_S - 1
    assert probe.read().papers == counted
    now[0] += 1
    assert probe.read().papers == counted + 1


def test_readyz_is_503_when_nothing_listens_at_the_database_address(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/gone?connect_timeout=3"
    settings = Settings(database_url=url, secret_key="s" * 40)
    client = TestClient(create_app(settings, storage=open_storage(url, migrate=False)))
    assert client.get("/healthz").status_code == 200  # the process itself is alive
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["error"].startswith("the database does not answer: cannot connect")


@pytest.mark.postgres
def test_readyz_turns_503_when_the_postgresql_server_stops() -> None:
    if URL_ENV in os.environ:
        pytest.skip(f"{URL_ENV} names a server this test must not stop")
    with running_postgres() as url:
        storage = open_storage(url)
        settings = Settings(database_url=url, secret_key="s" * 40)
        client = TestClient(create_app(settings, storage=storage))
        assert client.get("/readyz").status_code == 200
        data_directory = storage._execute("SHOW data_directory")[0][0]  # type: ignore[attr-defined]
        postmaster = int(Path(data_directory, "postmaster.pid").read_text().splitlines()[0])
        os.kill(postmaster, signal.SIGINT)  # PostgreSQL's fast shutdown: sessions are ended
        _wait_for_exit(postmaster)
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert client.get("/healthz").status_code == 200


def _wait_for_exit(pid: int) -> None:
    for _ in range(600):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("the PostgreSQL server did not stop")


def test_every_response_carries_a_request_id(loaded_storage: Storage) -> None:
    client = make_client(loaded_storage)
    first, second = client.get("/"), client.get("/")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    kept = client.get("/", headers={"X-Request-ID": "proxy-4711"})
    assert kept.headers["x-request-id"] == "proxy-4711"  # a proxy's id follows the request
    refused = client.get("/", headers={"X-Request-ID": "bad id\twith <html>"})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])
    assert client.get("/no/such/page").headers["x-request-id"]


def test_metrics_are_off_unless_enabled(loaded_storage: Storage) -> None:
    assert make_client(loaded_storage).get("/metrics").status_code == 404


def test_metrics_report_latency_by_route_template_and_the_database(
    loaded_storage: Storage,
) -> None:
    client = make_client(loaded_storage, metrics="on")
    two_papers = loaded_storage._execute("SELECT id FROM papers LIMIT 2")  # type: ignore[attr-defined]
    for (identifier,) in two_papers:
        assert client.get(f"/papers/{identifier}").status_code == 200
    client.get("/no/such/page")
    text = client.get("/metrics").text
    count = re.search(
        r'dailypapers_request_duration_seconds_count\{method="GET",route="/papers/\{paper_id:path\}",'
        r'status="200"\} (\S+)',
        text,
    )
    assert count and float(count.group(1)) == 2.0, text
    assert 'route="(unmatched)",status="404"' in text  # one label for every unknown path
    papers = re.search(r"^dailypapers_papers (\S+)$", text, re.MULTILINE)
    assert papers and float(papers.group(1)) == loaded_storage.count_papers()
    assert 'dailypapers_outbox_messages{state="pending"} 0.0' in text
    assert re.search(r"^dailypapers_vector_lag \S+$", text, re.MULTILINE)
    assert re.search(r"^dailypapers_word_index_lag \S+$", text, re.MULTILINE)
