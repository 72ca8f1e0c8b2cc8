"""`dailypapers subscriber` and `dailypapers digest`: lists in, digests out, through real SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dailypapers.domain.subscriptions import Frequency, SubscriberStatus, Topics
from dailypapers.storage import Storage, open_storage

from support.commands import run
from support.digests import SECRET
from support.smtp_server import SmtpServer, smtp_server


@pytest.fixture
def server(
    database_url: str, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SmtpServer]:
    """Point the command line at a database of the recorded days and a local SMTP server."""
    assert run("import", str(shared_data / "fixtures" / "hf_daily_papers")).exit_code == 0
    with smtp_server() as smtp:
        for name, value in {
            "SECRET_KEY": SECRET,
            "PUBLIC_URL": "https://papers.example.org",
            "MAIL_FROM": "Daily Papers <papers@example.org>",
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
        }.items():
            monkeypatch.setenv(f"DAILYPAPERS_{name}", value)
        yield smtp


@pytest.fixture
def storage(database_url: str, server: SmtpServer) -> Iterator[Storage]:
    """Open the command line's database to look at what it wrote."""
    store = open_storage(database_url)
    yield store
    store.close()


def test_add_a_confirmed_subscriber_with_topics(storage: Storage) -> None:
    result = run(
        "subscriber", "add", "Reader@Example.org", "--confirmed", "--weekly",
        "--top", "3", "--category", "cs.CL", "--author", "Ada Lovelace",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    reader = storage.find_subscriber("reader@example.org")
    assert reader is not None and reader.status is SubscriberStatus.CONFIRMED
    assert reader.preferences.frequency is Frequency.WEEKLY
    assert reader.preferences.topics == Topics(categories=("cs.CL",), authors=("Ada Lovelace",))


def test_add_without_confirmed_mails_a_confirmation_link(
    storage: Storage, server: SmtpServer
) -> None:
    run("subscriber", "add", "reader@example.org")
    result = run("digest", "send", "--period", "2025-10-17")
    (received,) = server.wait_for(1)

    assert result.exit_code == 0, result.output
    assert "/digest/confirm/" in received.message.get_content()
    assert "0 digests composed" in result.output  # pending readers get nothing else


def test_bad_input_is_a_clear_error(storage: Storage) -> None:
    assert "not a valid name before the @" in run("subscriber", "add", "a..b@example.org").output
    assert "between 0 and 30" in run("subscriber", "add", "a@example.org", "--top", "99").output
    assert (
        "not an arXiv category"
        in run("subscriber", "add", "a@example.org", "--category", "Machine Learning").output
    )
    assert storage.subscriber_counts() == {}


CSV = """email,frequency,top,categories,authors,organizations,searches
one@example.org,daily,5,cs.CL; cs.LG,,,
two@example.org,weekly,,,Ada Lovelace,OpenAI,diffusion models
"O'Hara+papers@Example.org",,,,,,
"""


def test_import_a_csv_file_of_confirmed_readers(storage: Storage, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(CSV)

    result = run("subscriber", "import", str(path), "--confirmed")
    again = run("subscriber", "import", str(path), "--confirmed")

    assert result.exit_code == 0, result.output
    assert "3 added, 0 already there" in result.output
    assert "0 added, 3 already there" in again.output
    two = storage.find_subscriber("two@example.org")
    assert two is not None and two.preferences.frequency is Frequency.WEEKLY
    assert two.preferences.topics.queries == ("diffusion models",)
    assert storage.find_subscriber("O'Hara+papers@example.org") is not None
    assert storage.outbox_counts() == {}  # confirmed: no confirmation mail


def test_a_bad_line_names_line_and_column_and_imports_nothing(
    storage: Storage, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(CSV + "three@example.org,hourly,,,,,\nfour@,daily,,,,,\n")

    result = run("subscriber", "import", str(path))
    skipped = run("subscriber", "import", str(path), "--skip-invalid")

    assert result.exit_code == 1
    assert "error: list.csv: line 5, column 'frequency': expected daily or weekly" in result.output
    assert "error: list.csv: line 6, column 'email'" in result.output
    assert "nothing from list.csv was imported" in result.output
    assert "skipped: list.csv: line 5" in skipped.output and "3 added" in skipped.output
    assert storage.subscriber_counts() == {"pending": 3}


def test_an_unsubscribed_address_is_never_put_back(storage: Storage, tmp_path: Path) -> None:
    run("subscriber", "add", "one@example.org", "--confirmed")
    assert run("subscriber", "remove", "one@example.org").exit_code == 0
    path = tmp_path / "list.csv"
    path.write_text(CSV)

    result = run("subscriber", "import", str(path), "--confirmed")

    assert "left out: one@example.org" in result.output
    one = storage.find_subscriber("one@example.org")
    assert one is not None and one.status is SubscriberStatus.UNSUBSCRIBED


def test_send_composes_and_delivers_the_period_once(storage: Storage, server: SmtpServer) -> None:
    for n in range(3):
        run("subscriber", "add", f"reader{n}@example.org", "--confirmed")
    run("subscriber", "add", "weekly@example.org", "--confirmed", "--weekly")

    first = run("digest", "send", "--period", "2025-10-17")
    again = run("digest", "send", "--period", "2025-10-17")
    weekly = run("digest", "send", "--week", "2025-W42")
    status = run("digest", "status")

    assert first.exit_code == 0, first.output
    assert "2025-10-17: 3 digests composed from 35 papers" in first.output
    assert "outbox: 3 sent" in first.output
    assert "already composed" in again.output and "outbox: 0 sent" in again.output
    assert "2025-W42: 1 digests composed" in weekly.output
    assert len(server.wait_for(4)) == 4
    assert "subscribers: 4 confirmed" in status.output and "outbox: 4 sent" in status.output


def test_a_dry_run_writes_files_and_sends_nothing(
    storage: Storage, server: SmtpServer, tmp_path: Path
) -> None:
    run("subscriber", "add", "reader@example.org", "--confirmed")

    result = run("digest", "send", "--period", "2025-10-17", "--dry-run", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "2025-10-17").glob("*.eml"))) == 1
    assert "nothing was sent or recorded" in result.output
    assert server.received == [] and storage.outbox_counts() == {}


def test_a_server_that_is_down_leaves_the_digests_pending(
    storage: Storage, server: SmtpServer
) -> None:
    run("subscriber", "add", "reader@example.org", "--confirmed")
    server.stop()

    result = run("digest", "send", "--period", "2025-10-17")

    assert result.exit_code == 1
    assert "the mail server failed: cannot connect" in result.output
    assert "still pending: the next try is due at" in result.output
    assert storage.outbox_counts() == {"pending": 1}


def test_preview_prints_a_digest_for_anyone(storage: Storage) -> None:
    text = run("digest", "preview", "--email", "someone@example.org")
    html = run("digest", "preview", "--email", "someone@example.org", "--format", "html")
    day = run("digest", "preview", "--email", "x@example.org", "--period", "2025-10-17")

    assert text.exit_code == 0, text.output
    assert text.output.startswith("Subject: Daily Papers · Aug 21, 2026:")
    assert html.output.startswith("<!doctype html>")
    assert "Agentic Entropy-Balanced Policy Optimization" in day.output
    assert storage.outbox_counts() == {}


def test_a_period_past_the_calendars_end_is_a_usage_error(storage: Storage) -> None:
    for option, value in (("--period", "9999-12-31"), ("--week", "9999-W52")):
        result = run("digest", "preview", "--email", "x@example.org", option, value)
        assert result.exit_code == 2, result.output
        assert "9999-12-31" in result.output and "Traceback" not in result.output
