"""`dailypapers db copy`: SQLite to PostgreSQL and back, refused, killed and resumed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from dailypapers.cli import cli
from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import open_storage
from dailypapers.storage.copy_schema import PROGRESS_TABLE
from dailypapers.storage.copying import copy_tables, prepare_copy

from support.populated import MODEL, populate
from support.postgres_server import tables_with_statistics
from support.sites import NOW

CHECK_LINE = re.compile(r"^(\w+)\s+(\d+)\s+([0-9a-f]{32})\s+ok$", re.MULTILINE)


def copy(*arguments: str) -> Result:
    """Run `dailypapers db copy` as a user would."""
    return CliRunner().invoke(cli, ["db", "copy", *arguments], catch_exceptions=False)


def checks(result: Result) -> dict[str, tuple[int, str]]:
    """Return the verified tables' row counts and checksums a copy printed."""
    assert result.exit_code == 0, result.output
    return {
        name: (int(rows), checksum) for name, rows, checksum in CHECK_LINE.findall(result.output)
    }


def test_a_site_open_on_the_target_sees_the_copied_data(tmp_path: Path) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = open_storage(source_url)
    papers = [
        Paper(id=f"2401.0000{n}", title=f"Paper {n}", abstract="On copying.", authors=("Ada",))
        for n in (1, 2)
    ]
    with source.transaction():
        source.save_papers(papers)
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    target = open_storage(target_url)  # as a site running on it would hold it
    before = target.generation()

    checks(copy("--from", source_url, "--to", target_url))

    # What it cached from the empty database (counts, pages) is known to be out of date.
    assert target.generation() != before
    assert target.count_papers() == len(papers)


@pytest.mark.postgres
def test_a_site_goes_to_postgresql_and_back_unchanged(
    tmp_path: Path, shared_data: Path, postgres_url: str
) -> None:
    original_url = f"sqlite:///{tmp_path / 'original.db'}"
    original = open_storage(original_url)
    populate(original, shared_data)
    returned_url = f"sqlite:///{tmp_path / 'returned.db'}"

    there = checks(copy("--from", original_url, "--to", postgres_url))
    back = checks(copy("--from", postgres_url, "--to", returned_url))

    assert there == back  # the same rows and checksums in all three databases
    for table in (
        "papers",
        "daily_entries",
        "organizations",
        "users",
        "votes",
        "comments",
        "subscribers",
        "outbox",
        "harvest_state",
        "paper_embeddings",
        "sessions",
    ):
        assert table in there, table
    assert there["papers"][0] == original.count_papers() > 0
    assert there["paper_embeddings"][0] == 25 and there["votes"][0] == 11
    returned = open_storage(returned_url)
    some = [row[0] for row in original._execute("SELECT id FROM papers")]  # type: ignore[attr-defined]
    assert returned.get_papers(some) == original.get_papers(some)
    for paper_id in some[:25]:
        before = original.get_embedding(model=MODEL, paper_id=paper_id)
        after = returned.get_embedding(model=MODEL, paper_id=paper_id)
        assert before is not None and after is not None and np.array_equal(before, after)
    # The rebuilt side indexes answer: words and vectors find what they found before.
    query = parse_query("sparse attention")
    assert returned.search_lexical(query, limit=5) == original.search_lexical(query, limit=5)
    vector = original.get_embedding(model=MODEL, paper_id=some[3])
    assert vector is not None
    assert [p.paper_id for p in returned.nearest_papers(model=MODEL, vector=vector, limit=3)] == [
        p.paper_id for p in original.nearest_papers(model=MODEL, vector=vector, limit=3)
    ]
    # PostgreSQL's id counters moved past the copied ids: the next comment gets a new one.
    postgres = open_storage(postgres_url)
    # Its planner has the copied tables' statistics at once, not when autovacuum comes by.
    assert {"papers", "votes", "paper_embeddings"} <= tables_with_statistics(postgres_url)
    user_id = postgres._execute("SELECT MIN(id) FROM users")[0][0]  # type: ignore[attr-defined]
    highest = postgres._execute("SELECT MAX(id) FROM comments")[0][0]  # type: ignore[attr-defined]
    with postgres.transaction():
        new = postgres.add_comment(
            paper_id=some[1], user_id=user_id, parent_id=None, body="after the move", now=NOW
        )
    assert new > highest
    assert not postgres._execute(  # type: ignore[attr-defined]
        "SELECT 1 FROM information_schema.tables WHERE table_name = ?", (PROGRESS_TABLE,)
    )
    postgres.close()
    # Forced over a PostgreSQL site that moved on (the comment above): the source again.
    assert checks(copy("--from", original_url, "--to", postgres_url, "--force")) == there


def test_a_target_that_holds_data_is_refused_unless_forced(
    tmp_path: Path, shared_data: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    populate(open_storage(source_url), shared_data)
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    first = checks(copy("--from", source_url, "--to", target_url))
    target = open_storage(target_url)
    with target.transaction():
        target._execute("DELETE FROM votes")  # type: ignore[attr-defined]
    target.close()

    refused = CliRunner().invoke(cli, ["db", "copy", "--from", source_url, "--to", target_url])
    assert refused.exit_code == 1
    assert "the target already holds data (in " in refused.output
    assert "use --force to replace it" in refused.output
    assert open_storage(target_url).count_papers() == first["papers"][0]  # untouched

    assert checks(copy("--from", source_url, "--to", target_url, "--force")) == first


class Interrupted(Exception):
    """Stands for the kill that stops a copy after its first batch."""


def _stop_after_first_batch(table: str, rows: int, total: int) -> None:
    if rows:
        raise Interrupted


def test_forcing_over_an_unfinished_copy_from_another_site_starts_over(
    tmp_path: Path, shared_data: Path
) -> None:
    first_url = f"sqlite:///{tmp_path / 'first.db'}"
    populate(open_storage(first_url), shared_data)
    second_url = f"sqlite:///{tmp_path / 'second.db'}"
    populate(open_storage(second_url), shared_data, extra_papers=30)
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    source, target = open_storage(first_url), open_storage(target_url)
    plan = prepare_copy(source, target, force=False)
    with pytest.raises(Interrupted):
        copy_tables(source, target, plan, batch_rows=5, on_progress=_stop_after_first_batch)
    source.close()
    target.close()

    refused = CliRunner().invoke(cli, ["db", "copy", "--from", second_url, "--to", target_url])
    assert refused.exit_code == 1
    assert f"the target holds an unfinished copy from {first_url}" in refused.output
    assert "use --force to start over" in refused.output

    forced = checks(copy("--from", second_url, "--to", target_url, "--force"))
    assert forced["papers"][0] == open_storage(second_url).count_papers()
    assert forced == checks(copy("--from", second_url, "--to", f"sqlite:///{tmp_path / 'new.db'}"))


def _copy_process(source_url: str, target_url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dailypapers", "db", "copy", "--batch-rows", "50"]
    return subprocess.Popen(
        [*command, "--from", source_url, "--to", target_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _papers_copied(target_url: str) -> int:
    target = open_storage(target_url, migrate=False)
    try:
        rows = target._execute(  # type: ignore[attr-defined]
            f"SELECT copied FROM {PROGRESS_TABLE} WHERE table_name = 'papers' AND done = 0"
        )
        return int(rows[0][0]) if rows else 0
    except Exception:  # the copy has not made its table yet
        return 0
    finally:
        target.close()


@pytest.mark.postgres
def test_a_copy_killed_midway_resumes_where_it_stopped(
    tmp_path: Path, shared_data: Path, postgres_url: str
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    populate(open_storage(source_url), shared_data, extra_papers=6000)
    process = _copy_process(source_url, postgres_url)
    deadline = time.monotonic() + 120
    while _papers_copied(postgres_url) < 500:
        assert process.poll() is None, "the copy ended before it could be killed"
        assert time.monotonic() < deadline, "the copy never got going"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    copied_when_killed = _papers_copied(postgres_url)
    assert 500 <= copied_when_killed < 6000
    # Whole batches only: the rows in the target are exactly those the cursor counts.
    target = open_storage(postgres_url)
    assert target.count_papers() == copied_when_killed

    resumed = copy("--from", source_url, "--to", postgres_url)
    assert "resuming the unfinished copy" in resumed.output
    verified = checks(resumed)
    assert verified["papers"][0] == open_storage(source_url).count_papers()
    fresh = checks(copy("--from", source_url, "--to", f"sqlite:///{tmp_path / 'fresh.db'}"))
    assert verified == fresh  # the same as a copy that was never interrupted
