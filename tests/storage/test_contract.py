"""The storage contract: what every backend must do, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from threading import Barrier
from typing import Any

import psycopg
import pytest

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.papers import DailyEntry, Organization, Paper, PaperRecord
from dailypapers.domain.ranking import Rankable
from dailypapers.services.importing import import_file, read_records
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.base import StorageError

from support.live_server import free_port
from support.postgres_server import BACKENDS

TRICKY = '\'; DROP TABLE papers; -- 100% %s %(name)s ? $1 \\ "quoted"'
FULL_PAPER = Paper(
    id="2405.12345",
    title=f"Ünïcode 数学 🚀 {TRICKY}",
    abstract="Line one\nline two\twith a tab.\r\nAnd an ending with spaces   ",
    authors=("Zoë Ångström", "李雷", TRICKY, "%s", "?", ""),
    version=3,
    categories=("cs.CL", "cs.LG"),
    published_at=datetime(2024, 5, 24, 17, 59, 3, 123456, tzinfo=UTC),
    updated_at=datetime(2024, 5, 26, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    arxiv_comment="12 pages; 50% fewer ? marks",
    github_repo="https://github.com/example/repo",
    github_stars=0,
    project_page="https://example.org/?q=a&b=%20",
    ai_summary=f"Résumé {TRICKY}",
    ai_keywords=("naïve", "'quoted'", "?"),
    upvotes=2_000_000_000,
    num_comments=7,
)
BARE_PAPER = Paper(id="2405.00001", title="Bare", abstract="", authors=())
OPENAI = Organization("openai", "OpenAI", "https://example.org/openai.png")
META = Organization("meta", "Meta AI")


def make_paper(paper_id: str, *, upvotes: int = 0, num_comments: int = 0) -> Paper:
    """Return a plain paper with this id and these counts."""
    return Paper(
        id=paper_id,
        title=f"Paper {paper_id}",
        abstract="An abstract.",
        authors=("Ada Lovelace",),
        upvotes=upvotes,
        num_comments=num_comments,
    )


def feature(
    storage: Storage,
    paper_id: str,
    featured_at: datetime,
    *,
    submitted_by: str | None = None,
    organization: str | None = None,
    upvotes: int = 0,
) -> None:
    """Store a paper featured at this moment, on that UTC day."""
    entry = DailyEntry(paper_id, featured_at.date(), featured_at, submitted_by, organization)
    with storage.transaction():
        storage.save_organizations([OPENAI, META])
        storage.save_papers([make_paper(paper_id, upvotes=upvotes, num_comments=upvotes // 2)])
        storage.save_entries([entry])


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    """Return a UTC moment on this ISO day."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def ids_of(rankables: list[Rankable]) -> set[str]:
    """Return the paper ids among these rankables."""
    return {item.paper_id for item in rankables}


# -- papers -------------------------------------------------------------------------------


def test_papers_round_trip_every_field_literally(storage: Storage) -> None:
    """Store unicode, SQL metacharacters, placeholders and empty tuples exactly as given."""
    with storage.transaction():
        storage.save_papers([FULL_PAPER, BARE_PAPER])
    storage.close()  # read back through a new connection: the data was committed

    stored = storage.get_papers([FULL_PAPER.id, "2405.99999", BARE_PAPER.id])

    assert stored == {FULL_PAPER.id: FULL_PAPER, BARE_PAPER.id: BARE_PAPER}
    assert storage.get_papers([]) == {}


def test_datetimes_come_back_as_the_same_instant_in_utc(storage: Storage) -> None:
    """Return stored moments equal to the ones saved, whatever zone they were given in."""
    with storage.transaction():
        storage.save_papers([FULL_PAPER])

    updated_at = storage.get_papers([FULL_PAPER.id])[FULL_PAPER.id].updated_at

    assert updated_at == datetime(2024, 5, 26, 3, 30, tzinfo=UTC)
    assert updated_at is not None and updated_at.utcoffset() == timedelta(0)


def test_save_papers_replaces_the_row_without_duplicating(storage: Storage) -> None:
    """Upsert by id: the second save wins field by field, including fields set to None."""
    revised = Paper(
        id=FULL_PAPER.id, title="Revised", abstract="New abstract", authors=("Solo",), version=4
    )
    with storage.transaction():
        storage.save_papers([FULL_PAPER])
    with storage.transaction():
        storage.save_papers([revised])

    assert storage.count_papers() == 1
    assert storage.get_papers([FULL_PAPER.id]) == {FULL_PAPER.id: revised}


def test_count_papers_counts_stored_papers(storage: Storage) -> None:
    """Count every paper, featured or not, once."""
    assert storage.count_papers() == 0
    with storage.transaction():
        storage.save_papers([make_paper(f"2405.{n:05d}") for n in range(3)])
        storage.save_papers([make_paper("2405.00000")])

    assert storage.count_papers() == 3


def test_lookups_handle_more_ids_than_one_batch(storage: Storage) -> None:
    """Return every paper and entry asked for, in order, past the IN-list batch size."""
    ids = [f"2406.{n:05d}" for n in range(1200)]
    with storage.transaction():
        storage.save_papers([make_paper(paper_id, upvotes=n) for n, paper_id in enumerate(ids)])
        storage.save_entries(
            [DailyEntry(paper_id, date(2024, 6, 3), at("2024-06-03")) for paper_id in ids]
        )
    wanted = [*reversed(ids), "2406.99999", *ids[:10]]

    papers = storage.get_papers(wanted)
    entries = storage.get_entries(wanted)
    featured = storage.featured_papers(list(reversed(ids)))

    assert set(papers) == set(ids)
    assert papers[ids[1199]].upvotes == 1199
    assert set(entries) == set(ids)
    assert [item.paper.id for item in featured] == list(reversed(ids))


# -- entries and organizations ----------------------------------------------------------------


def test_entries_round_trip_and_upsert(storage: Storage) -> None:
    """Store a paper's entry, then replace it whole on a second save."""
    first = DailyEntry(
        FULL_PAPER.id, date(2024, 5, 27), at("2024-05-27", 23, 59), "akhaliq", "openai"
    )
    second = DailyEntry(FULL_PAPER.id, date(2024, 5, 28), at("2024-05-28", 0, 1), None, None)
    with storage.transaction():
        storage.save_organizations([OPENAI])
        storage.save_papers([FULL_PAPER, BARE_PAPER])
        storage.save_entries([first])

    assert storage.get_entries([FULL_PAPER.id, BARE_PAPER.id]) == {FULL_PAPER.id: first}

    with storage.transaction():
        storage.save_entries([second])

    assert storage.get_entries([FULL_PAPER.id]) == {FULL_PAPER.id: second}
    assert ids_of(storage.rankables()) == {FULL_PAPER.id}


def test_organizations_round_trip_and_keep_a_known_avatar(storage: Storage) -> None:
    """Update an organization's name on a second save, but never erase its avatar."""
    with storage.transaction():
        storage.save_organizations([OPENAI, META])
    assert storage.get_organization("openai") == OPENAI
    assert storage.get_organization("meta") == META
    assert storage.get_organization("nobody") is None

    with storage.transaction():
        storage.save_organizations([Organization("openai", "OpenAI, Inc.", None)])
        storage.save_organizations([Organization("meta", "Meta", "https://example.org/m.png")])

    assert storage.get_organization("openai") == Organization(
        "openai", "OpenAI, Inc.", OPENAI.avatar_url
    )
    assert storage.get_organization("meta") == Organization(
        "meta", "Meta", "https://example.org/m.png"
    )


# -- the feed -------------------------------------------------------------------------------


@pytest.fixture
def feed(storage: Storage) -> Storage:
    """Return a storage with papers featured around a few day boundaries."""
    feature(storage, "a", at("2024-05-26", 23, 59), submitted_by="alice", organization="openai")
    feature(storage, "b", at("2024-05-27", 0, 0), submitted_by="bob", upvotes=10)
    feature(storage, "c", at("2024-05-27", 23, 30), submitted_by="alice", organization="meta")
    feature(storage, "d", at("2024-05-28", 0, 0), organization="openai")
    feature(storage, "e", at("2024-05-30"), submitted_by="bob", organization="openai")
    with storage.transaction():
        storage.save_papers([make_paper("never-featured")])
    return storage


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a", "b", "c", "d", "e"}),
        ({"start": date(2024, 5, 27)}, {"b", "c", "d", "e"}),
        ({"end": date(2024, 5, 28)}, {"a", "b", "c"}),
        ({"start": date(2024, 5, 27), "end": date(2024, 5, 28)}, {"b", "c"}),
        ({"start": date(2024, 5, 28), "end": date(2024, 5, 28)}, set()),
        ({"start": date(2024, 5, 29), "end": date(2024, 5, 30)}, set()),
        ({"submitter": "alice"}, {"a", "c"}),
        ({"submitter": "carol"}, set()),
        ({"organization": "openai"}, {"a", "d", "e"}),
        ({"organization": "openai", "start": date(2024, 5, 27)}, {"d", "e"}),
        ({"submitter": "bob", "organization": "openai"}, {"e"}),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else None,
)
def test_rankables_filter_by_window_submitter_and_organization(
    feed: Storage, filters: dict[str, Any], expected: set[str]
) -> None:
    """Return the featured papers in [start, end) of that submitter and organization."""
    assert ids_of(feed.rankables(**filters)) == expected


def test_rankables_apart_by_attention_the_rest_newest_first(feed: Storage) -> None:
    """Tell papers with votes or comments from the rest, whose newest come first when cut."""
    assert ids_of(feed.each_rankable(attended=True)) == {"b"}
    assert ids_of(feed.each_rankable(attended=False)) == {"a", "c", "d", "e"}
    newest = feed.each_rankable(attended=False, newest=2)
    assert [item.paper_id for item in newest] == ["e", "d"]
    assert ids_of(feed.each_rankable(attended=False, organization="meta")) == {"c"}
    assert ids_of(feed.each_rankable(attended=True, submitter="alice")) == set()


def test_rankables_carry_counts_and_the_featured_moment(feed: Storage) -> None:
    """Give ranking the paper's counts and the moment it was featured, in UTC."""
    [item] = feed.rankables(submitter="bob", end=date(2024, 5, 28))

    assert item == Rankable("b", 10, 5, at("2024-05-27", 0, 0))
    assert item.featured_at.utcoffset() == timedelta(0)


def test_featured_papers_keep_order_skip_unknown_and_attach_entries(feed: Storage) -> None:
    """Return known papers in the order asked, with entry and organization where they have one."""
    featured = feed.featured_papers(["c", "2405.99999", "never-featured", "b", "a"])

    assert [item.paper.id for item in featured] == ["c", "never-featured", "b", "a"]
    by_id = {item.paper.id: item for item in featured}
    assert by_id["c"].entry == DailyEntry(
        "c", date(2024, 5, 27), at("2024-05-27", 23, 30), "alice", "meta"
    )
    assert by_id["c"].organization == META
    assert by_id["a"].organization == OPENAI
    assert by_id["never-featured"].entry is None
    assert by_id["never-featured"].organization is None
    assert by_id["b"].entry is not None and by_id["b"].organization is None
    assert feed.featured_papers([]) == []


def test_days_are_none_on_an_empty_database(storage: Storage) -> None:
    """Report no latest day and no neighbours before anything was featured."""
    assert storage.latest_day() is None
    assert storage.adjacent_days(date(2024, 5, 27)) == (None, None)


def test_latest_and_adjacent_days_skip_days_without_papers(feed: Storage) -> None:
    """Step between days that have papers, with None past either end."""
    assert feed.latest_day() == date(2024, 5, 30)
    assert feed.adjacent_days(date(2024, 5, 27)) == (date(2024, 5, 26), date(2024, 5, 28))
    assert feed.adjacent_days(date(2024, 5, 28)) == (date(2024, 5, 27), date(2024, 5, 30))
    assert feed.adjacent_days(date(2024, 5, 29)) == (date(2024, 5, 28), date(2024, 5, 30))
    assert feed.adjacent_days(date(2024, 5, 26)) == (None, date(2024, 5, 27))
    assert feed.adjacent_days(date(2024, 5, 30)) == (date(2024, 5, 28), None)
    assert feed.adjacent_days(date(2020, 1, 1)) == (None, date(2024, 5, 26))
    # A week or month: before its first day, after its last.
    assert feed.adjacent_days(date(2024, 5, 27), date(2024, 5, 28)) == (
        date(2024, 5, 26),
        date(2024, 5, 30),
    )


# -- transactions, generations and migrations ---------------------------------------------------


def test_generation_changes_after_a_transaction_and_not_after_reads(
    storage: Storage, backend_url: str
) -> None:
    """Move the generation on every write, visibly to other connections, and never on reads."""
    before = storage.generation()
    storage.get_papers(["a"])
    storage.rankables()
    storage.featured_papers(["a"])
    storage.latest_day()
    storage.count_papers()
    assert storage.generation() == before

    with storage.transaction():
        storage.save_papers([make_paper("a")])
    after = storage.generation()
    assert after != before

    other = open_storage(backend_url, migrate=False)  # another worker's connection
    try:
        assert other.generation() == after
        with other.transaction():
            other.save_papers([make_paper("b")])
        assert storage.generation() not in {before, after}
    finally:
        other.close()


def test_a_transaction_that_raises_writes_nothing(storage: Storage) -> None:
    """Roll back every write of a block that raises, and leave the storage usable."""
    before = storage.generation()
    with pytest.raises(RuntimeError, match="halfway"), storage.transaction():
        storage.save_organizations([OPENAI])
        storage.save_papers([FULL_PAPER])
        storage.save_entries([DailyEntry(FULL_PAPER.id, date(2024, 5, 27), at("2024-05-27"))])
        raise RuntimeError("halfway")

    assert storage.count_papers() == 0
    assert storage.get_organization("openai") is None
    assert storage.rankables() == []
    assert storage.generation() == before

    with storage.transaction():
        storage.save_papers([BARE_PAPER])
    assert storage.count_papers() == 1


def test_a_write_the_database_refuses_rolls_back_the_whole_block(storage: Storage) -> None:
    """Undo earlier writes of a block when a later one breaks a constraint."""
    orphan = DailyEntry("2405.99999", date(2024, 5, 27), at("2024-05-27"))
    with pytest.raises(Exception, match=r"(?i)foreign key"), storage.transaction():
        storage.save_papers([BARE_PAPER])
        storage.save_entries([orphan])  # no such paper

    assert storage.count_papers() == 0
    with storage.transaction():
        storage.save_papers([BARE_PAPER])
    assert storage.count_papers() == 1


def test_nested_transactions_commit_with_the_outer_block(storage: Storage) -> None:
    """Keep an inner block's writes only if the outer block succeeds."""
    with pytest.raises(RuntimeError), storage.transaction():
        with storage.transaction():
            storage.save_papers([BARE_PAPER])
        raise RuntimeError("outer fails after inner finished")

    assert storage.count_papers() == 0


def test_threads_write_through_connections_of_their_own(storage: Storage) -> None:
    """Let several threads write at once without losing or mixing up their papers."""

    def write(worker: int) -> None:
        try:
            for n in range(5):
                with storage.transaction():
                    storage.save_papers([make_paper(f"t{worker}-{n}")])
        finally:
            storage.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for result in [pool.submit(write, worker) for worker in range(4)]:
            result.result()

    assert storage.count_papers() == 20


def test_migrate_applies_each_migration_once(backend_url: str) -> None:
    """Apply the migrations on first open only; reopening keeps the data."""
    first = open_storage(backend_url, migrate=False)
    try:
        applied = first.migrate()
        assert applied[0] == "0001_papers.sql"
        assert applied == sorted(applied)
        with first.transaction():
            first.save_papers([BARE_PAPER])
        assert first.migrate() == []
    finally:
        first.close()

    reopened = open_storage(backend_url)  # what a restart does
    try:
        assert reopened.migrate() == []
        assert reopened.get_papers([BARE_PAPER.id]) == {BARE_PAPER.id: BARE_PAPER}
    finally:
        reopened.close()


@pytest.mark.postgres
def test_postgres_storage_reconnects_after_the_server_drops_it(postgres_url: str) -> None:
    """Carry on through a new connection when the server ends an idle one."""
    store = open_storage(postgres_url)
    try:
        with store.transaction():
            store.save_papers([BARE_PAPER])
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

        assert store.count_papers() == 1
        with store.transaction():
            store.save_papers([FULL_PAPER])
        assert store.count_papers() == 2
    finally:
        store.close()


def test_workers_opening_a_new_database_at_once_all_succeed(backend_url: str) -> None:
    """Let several processes' first open of an empty database migrate it exactly once."""
    workers = 6
    barrier = Barrier(workers)

    def open_and_count() -> int:
        barrier.wait()
        store = open_storage(backend_url)
        try:
            return store.count_papers()
        finally:
            store.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        counts = [
            result.result() for result in [pool.submit(open_and_count) for _ in range(workers)]
        ]

    assert counts == [0] * workers


# -- opening ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_that_cannot_be_opened_raises_storage_error(
    tmp_path: Path, backend: str
) -> None:
    """Name the database that failed in a StorageError, and never the password."""
    if backend == "sqlite":
        url, names = f"sqlite:///{tmp_path}", [str(tmp_path)]  # a folder, not a database file
    else:
        url = f"postgresql://dailypapers:s3cret-pw@127.0.0.1:{free_port()}/nowhere"
        names = ["127.0.0.1", "nowhere"]

    with pytest.raises(StorageError) as caught:
        open_storage(url)

    message = str(caught.value)
    for name in names:
        assert name in message
    assert "s3cret-pw" not in message


@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://dailypapers:s3cr%zzet@127.0.0.1/nowhere",  # libpq quotes bad escapes
        "postgresql://dailypapers:s3cr%25et@127.0.0.1:99999/nowhere",
        "postgresql://dailypapers:s3cr%25et@127.0.0.1/nowhere?sslmode=s3cr%25et",
    ],
)
def test_a_malformed_postgres_url_never_echoes_its_password(url: str) -> None:
    """Keep the password out of the error even when libpq quotes the URL back."""
    with pytest.raises(StorageError) as caught:
        open_storage(url)

    message = str(caught.value)
    assert "nowhere" in message
    assert "s3cr" not in message


# -- importing ------------------------------------------------------------------------------------


def hf_fixture_files(shared_data: Path) -> list[Path]:
    """Return the recorded Hugging Face daily files, in date order."""
    files = sorted((shared_data / "fixtures" / "hf_daily_papers").glob("*.json"))
    assert len(files) == 5
    return files


def snapshot(storage: Storage, ids: list[str]) -> tuple[object, ...]:
    """Return everything stored about these papers, for comparing two databases."""
    featured = storage.featured_papers(ids)
    return (
        storage.count_papers(),
        storage.latest_day(),
        sorted(storage.rankables(), key=lambda item: item.paper_id),
        featured,
    )


def parsed_ids(files: list[Path]) -> list[str]:
    """Return the distinct paper ids the importer's parsers find in these files."""
    ids = (
        record.paper.id
        for path in files
        for record in read_records(path)
        if isinstance(record, PaperRecord)
    )
    return sorted(set(ids))


def test_importing_the_recorded_days_stores_each_paper_once(
    loaded_storage: Storage, shared_data: Path
) -> None:
    """Import the five recorded files, then again: the second pass adds and changes nothing."""
    files = hf_fixture_files(shared_data)
    ids = parsed_ids(files)
    assert loaded_storage.count_papers() == len(ids) > 0
    assert set(loaded_storage.get_papers(ids)) == set(ids)
    before = snapshot(loaded_storage, ids)

    for path in files:
        with loaded_storage.transaction():
            report = import_file(storage=loaded_storage, path=path)
        assert (report.added, report.updated) == (0, 0), path.name
        assert report.unchanged > 0

    assert snapshot(loaded_storage, ids) == before


@pytest.mark.postgres
def test_sqlite_and_postgres_store_the_same_import(
    tmp_path: Path, shared_data: Path, postgres_url: str
) -> None:
    """Give the same rows on both backends for the same files."""
    files = hf_fixture_files(shared_data)
    ids = parsed_ids(files)
    snapshots = []
    for url in (f"sqlite:///{tmp_path / 'same.db'}", postgres_url):
        store = open_storage(url)
        try:
            for path in files:
                with store.transaction():
                    import_file(storage=store, path=path)
            snapshots.append(snapshot(store, ids))
        finally:
            store.close()

    assert snapshots[0] == snapshots[1]


def test_a_failed_inner_block_is_undone_and_the_outer_one_commits(storage: Storage) -> None:
    """Roll back only the inner block that raised, on every backend alike."""
    with storage.transaction():
        storage.save_papers([make_paper("2401.00001")])
        with pytest.raises(RuntimeError), storage.transaction():
            storage.save_papers([make_paper("2401.00002")])
            raise RuntimeError("inner failure")
    assert sorted(storage.get_papers(["2401.00001", "2401.00002"])) == ["2401.00001"]


def test_withdrawn_papers_round_trip(storage: Storage) -> None:
    """Keep the withdrawn mark: withdrawn papers are marked, never deleted."""
    withdrawn = replace(make_paper("2401.00003"), withdrawn=True)
    with storage.transaction():
        storage.save_papers([withdrawn, make_paper("2401.00004")])
    stored = storage.get_papers(["2401.00003", "2401.00004"])
    assert stored["2401.00003"].withdrawn is True
    assert stored["2401.00004"].withdrawn is False


def test_harvest_state_round_trips_and_updates(storage: Storage) -> None:
    """Save a harvest's cursor after each page and read it back as it was."""
    assert storage.get_harvest_state("oai cs") is None
    started = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    state = HarvestState("oai cs", "token|1001", 1, 1000, started, started)
    with storage.transaction():
        storage.save_harvest_state(state)
    assert storage.get_harvest_state("oai cs") == state
    done = replace(
        state,
        cursor=None,
        pages=2,
        updated_at=started + timedelta(minutes=1),
        finished_at=started + timedelta(minutes=1),
    )
    with storage.transaction():
        storage.save_harvest_state(done)
    assert storage.get_harvest_state("oai cs") == done
    assert storage.get_harvest_state("oai cs").finished
