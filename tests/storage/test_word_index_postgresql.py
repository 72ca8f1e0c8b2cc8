"""The word index beside a PostgreSQL database: each host builds its own, catches it up from
the change log whatever order transactions commit in, and shares it between processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import open_storage, search_words
from dailypapers.storage.postgresql import PostgresStorage

pytestmark = pytest.mark.postgres


def paper(number: int, title: str, abstract: str = "An ordinary study.") -> Paper:
    return Paper(id=f"2406.{number:05d}", title=title, abstract=abstract, authors=("Ada Byron",))


def open_host(url: str, folder: Path | None) -> PostgresStorage:
    """Open the database as a process of a web host whose word indexes live in `folder`."""
    storage = open_storage(url, word_index_folder=str(folder) if folder else "")
    assert isinstance(storage, PostgresStorage)
    return storage


def words(storage: PostgresStorage, text: str, limit: int = 10) -> list[str]:
    return storage.search_lexical(parse_query(text), limit=limit)


@pytest.fixture
def site(postgres_url: str, tmp_path: Path) -> PostgresStorage:
    """Return one host's storage on a database of 300 papers about tomography."""
    storage = open_host(postgres_url, tmp_path / "host-a")
    with storage.transaction():
        storage.save_papers([paper(n, f"Tomography study {n}") for n in range(300)])
    return storage


def test_a_paper_saved_through_another_host_is_found(site, postgres_url, tmp_path):
    assert len(words(site, "tomography", limit=500)) == 300
    other = open_host(postgres_url, tmp_path / "host-b")  # a fresh host builds its own index
    with other.transaction():
        other.save_papers([paper(300, "Holography at scale")])
    assert words(other, "holography") == ["2406.00300"]
    assert words(site, "holography") == ["2406.00300"]
    other.close()


def test_edits_and_deletions_reach_the_index(site):
    assert words(site, "tomography", limit=1) != []
    with site.transaction():
        site.save_papers([paper(7, "Ptychography study")])
    site._execute("DELETE FROM papers WHERE id = ?", ("2406.00008",))
    assert words(site, "ptychography") == ["2406.00007"]
    found = words(site, "tomography", limit=500)
    assert len(found) == 298
    assert "2406.00007" not in found and "2406.00008" not in found


def test_a_change_committed_after_a_newer_one_is_not_missed(site, postgres_url, tmp_path):
    """Catch up while an older transaction is open; its change counts once it commits."""
    assert words(site, "tomography", limit=1) != []
    slow = open_host(postgres_url, None)
    with slow.transaction():
        slow.save_papers([paper(400, "Spectroscopy, committed last")])  # the older xid
        with site.transaction():
            site.save_papers([paper(401, "Crystallography, committed first")])
        assert words(site, "crystallography") == ["2406.00401"]
        assert words(site, "spectroscopy") == []
    assert words(site, "spectroscopy") == ["2406.00400"]
    assert words(site, "crystallography") == ["2406.00401"]
    slow.close()


def test_a_deleted_index_is_rebuilt(site, postgres_url, tmp_path):
    assert len(words(site, "tomography", limit=500)) == 300
    site.close()
    shutil.rmtree(tmp_path / "host-a")
    again = open_host(postgres_url, tmp_path / "host-a")
    assert again.refresh_word_index() == 300
    found = words(again, "tomography", limit=500)
    assert len(found) == len(set(found)) == 300
    again.close()


def test_an_index_of_a_former_database_of_the_same_name_is_rebuilt(site, postgres_url, tmp_path):
    assert len(words(site, "tomography", limit=500)) == 300
    site._execute("UPDATE word_index_origin SET token = 'another database'")
    site.close()
    again = open_host(postgres_url, tmp_path / "host-a")
    assert again.refresh_word_index() == 300
    assert len(words(again, "tomography", limit=500)) == 300
    again.close()


def test_sql_answers_while_the_index_builds(site, monkeypatch):
    monkeypatch.setattr(search_words, "INLINE_CATCH_UP", 100)  # 300 papers: built aside
    asked = []
    in_database = site.search_in_database_scored

    def counted(*args: object, **kwargs: object) -> object:
        asked.append(args)
        return in_database(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(site, "search_in_database_scored", counted)
    first = words(site, "tomography study 42", limit=1)
    assert first == ["2406.00042"]
    assert len(asked) == 1  # BM25 in SQL answered
    loader = site._word_index.loader
    assert loader is not None
    loader.join(timeout=60)
    assert words(site, "tomography study 42", limit=1) == first
    assert len(asked) == 1  # the index answered, the same


def test_an_index_one_process_caught_up_is_read_by_another(site, postgres_url, tmp_path):
    """Let a job worker (another process on the same host) catch the index up; search here."""
    host = open_host(postgres_url, tmp_path / "host-c")
    assert len(words(host, "tomography", limit=500)) == 300  # built in this process
    with site.transaction():
        site.save_papers([paper(n, f"Holography study {n}") for n in range(1000, 3500)])
    worker = textwrap.dedent(
        f"""
        from dailypapers.storage import open_storage
        storage = open_storage({postgres_url!r}, word_index_folder={str(tmp_path / "host-c")!r})
        print(storage.refresh_word_index())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", worker], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "2500"
    assert host.word_index_lag() == 0  # what the worker saved is what this process reads
    assert len(words(host, "holography", limit=5000)) == 2500
    writer = textwrap.dedent(
        f"""
        from dailypapers.domain.papers import Paper
        from dailypapers.storage import open_storage
        storage = open_storage({postgres_url!r})
        with storage.transaction():
            storage.save_papers([Paper(id="2406.09999", title="Ptychography", abstract="A.",
                                       authors=())])
        """
    )
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=300)
    assert words(host, "ptychography") == ["2406.09999"]  # saved by another process
    host.close()


def test_a_folder_that_cannot_be_made_keeps_the_index_in_memory(postgres_url, tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    storage = open_host(postgres_url, blocked / "indexes")
    with storage.transaction():
        storage.save_papers([paper(1, "Holography at scale")])
    assert words(storage, "holography") == ["2406.00001"]
    assert storage._word_index.path is None
    storage.close()
