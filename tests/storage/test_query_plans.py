"""Query plans at the corpus's size: newest-first listings read an index, on both backends.

A listing that scans and sorts every entry is right but slow, and only at size: the
planner may prefer a scan on a small table, so the tables here hold 80,000 entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dailypapers.storage import Storage, open_storage
from dailypapers.storage.follows_sql import RECENT_PAPERS

from support.postgres_server import BACKENDS

ENTRIES = 80_000
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def big_storage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Storage]:
    """Return a storage of 80,000 featured papers, one every ten minutes, some hidden."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('plans')) / 'plans.db'}"
        store = open_storage(url)
        _fill(store)
        yield store
        store.close()
        return
    from support.postgres_server import fresh_database

    server: str = request.getfixturevalue("postgres_server")
    with fresh_database(server) as url:
        store = open_storage(url)
        _fill(store)
        store._execute("ANALYZE")  # type: ignore[attr-defined]  # as autovacuum would
        yield store
        store.close()


def _fill(storage: Storage) -> None:
    """Insert the papers and entries with plain multi-row statements (seconds, not minutes)."""
    papers = [
        (f"9200.{n:05d}", f"Paper {n}", "", "[]", _upvotes(n), _comments(n)) for n in range(ENTRIES)
    ]
    entries = [
        (
            paper_id,
            (START + timedelta(minutes=10 * n)).date().isoformat(),
            (START + timedelta(minutes=10 * n)).isoformat(),
            "someone" if n % 100 == 0 else None,
            "lab" if n % 100 == 50 else None,
        )
        for n, (paper_id, *_) in enumerate(papers)
    ]
    with storage.transaction():
        _insert(storage, "papers (id, title, abstract, authors, upvotes, num_comments)", papers)
        _insert(storage, "organizations (name, fullname)", [("lab", "A Lab")])
        _insert(
            storage,
            "daily_entries (paper_id, day, featured_at, submitted_by, organization)",
            entries,
        )
        _insert(
            storage,
            "paper_authors (paper_id, position, name, norm_name, family, published_at)",
            [
                (paper_id, position, name, name.lower(), name.split()[-1].lower(), featured)
                for n, (paper_id, _, featured, _, _) in enumerate(entries)
                for position, name in enumerate(_authors(n))
            ],
        )
        # Hidden entries are left out of listings, and out of the partial index.
        storage._execute(  # type: ignore[attr-defined]
            "UPDATE daily_entries SET hidden_at = featured_at WHERE paper_id LIKE ?", ("%7",)
        )


def _upvotes(n: int) -> int:
    """Votes for one paper in eight, as about one in eight of the demo's papers has some."""
    return n % 5 if n % 8 == 3 else 0


def _comments(n: int) -> int:
    return 1 if n % 50 == 1 else 0


def _authors(n: int) -> tuple[str, ...]:
    """Name the authors of paper n: one of a thousand, of 997, and of 13."""
    return (f"A{n % 1000} Author", f"B{n % 997} Author", f"C{n % 13} Author")


def _insert(storage: Storage, target: str, rows: list[tuple[Any, ...]]) -> None:
    marks = "(" + ", ".join("?" * len(rows[0])) + ")"
    for start in range(0, len(rows), 200):
        chunk = rows[start : start + 200]
        storage._execute(  # type: ignore[attr-defined]
            f"INSERT INTO {target} VALUES {', '.join([marks] * len(chunk))}",
            [value for row in chunk for value in row],
        )


def _plans_of(storage: Storage, call: Any) -> list[str]:
    """Run a storage call and return the plan of each statement it sent, as text."""
    sent: list[tuple[str, Any]] = []
    execute = storage._execute  # type: ignore[attr-defined]
    each_row = storage._each_row  # type: ignore[attr-defined]

    def recording(run: Any) -> Any:
        def record(sql: str, params: Any = ()) -> Any:
            sent.append((sql, params))
            return run(sql, params)

        return record

    storage._execute = recording(execute)  # type: ignore[attr-defined]
    storage._each_row = recording(each_row)  # type: ignore[attr-defined]
    try:
        call()
    finally:
        del storage._execute, storage._each_row  # type: ignore[attr-defined]
    explain = "EXPLAIN QUERY PLAN " if storage.dialect == "sqlite" else "EXPLAIN "
    return [
        "\n".join(str(row[-1]) for row in execute(explain + sql, params)) for sql, params in sent
    ]


def test_newest_first_listing_reads_the_index_and_returns_the_newest(
    big_storage: Storage,
) -> None:
    """The API's default listing walks the featured-time index instead of sorting 80,000."""
    newest = big_storage.rankables(newest=50)

    expected = [f"9200.{n:05d}" for n in range(ENTRIES - 1, -1, -1) if not str(n).endswith("7")][
        :50
    ]
    assert [item.paper_id for item in newest] == expected
    (plan,) = _plans_of(big_storage, lambda: big_storage.rankables(newest=50))
    assert "daily_entries_newest" in plan
    if big_storage.dialect == "sqlite":
        assert "TEMP B-TREE" not in plan
    else:
        assert "Sort" not in plan and "Seq Scan on daily_entries" not in plan


def test_a_deep_page_of_the_newest_first_listing_reads_the_index(big_storage: Storage) -> None:
    """Page 40 of 50 reads 2,050 entries along the index, not all of them."""
    plans = _plans_of(big_storage, lambda: big_storage.rankables(newest=41 * 50))

    assert len(plans) == 1 and "daily_entries_newest" in plans[0]


@pytest.mark.parametrize(
    ("kind", "name", "first"),
    [
        ("submitter", "someone", ["9200.79900", "9200.79800"]),
        ("organization", "lab", ["9200.79950", "9200.79850"]),
    ],
)
def test_a_submitters_or_organizations_newest_first_listing_reads_only_its_page(
    big_storage: Storage, kind: str, name: str, first: list[str]
) -> None:
    """A submitter's or an organization's newest papers are read in order from an index, not
    all of theirs read and sorted to keep one page."""
    newest = big_storage.rankables(**{kind: name}, newest=50)

    assert [item.paper_id for item in newest][:2] == first
    assert len(newest) == 50
    (plan,) = _plans_of(big_storage, lambda: big_storage.rankables(**{kind: name}, newest=50))
    assert f"daily_entries_newest_by_{kind}" in plan
    if big_storage.dialect == "sqlite":
        assert "TEMP B-TREE" not in plan
    else:
        assert "Sort" not in plan and "Seq Scan on daily_entries" not in plan


def test_counting_the_listing_reads_the_smaller_index(big_storage: Storage) -> None:
    """SQLite counts the visible entries from the partial index, not from the table."""
    count = big_storage.count_featured()

    assert count == ENTRIES - ENTRIES // 10
    if big_storage.dialect != "sqlite":
        pytest.skip("PostgreSQL counts by a sequential scan where that is cheaper")
    (plan,) = _plans_of(big_storage, big_storage.count_featured)
    assert "daily_entries_newest" in plan


def test_a_ranking_over_all_time_finds_the_attended_papers_by_index(big_storage: Storage) -> None:
    """The papers with votes or comments (a ranking's only nonzero scores) are found through
    their partial index, not by reading all 80,000 entries and their papers."""
    attended = big_storage.each_rankable(attended=True)

    assert sorted(item.paper_id for item in attended) == [
        f"9200.{n:05d}"
        for n in range(ENTRIES)
        if (_upvotes(n) or _comments(n)) and not str(n).endswith("7")
    ]
    (plan,) = _plans_of(big_storage, lambda: list(big_storage.each_rankable(attended=True)))
    assert "papers_attended" in plan
    if big_storage.dialect == "sqlite":
        assert "SCAN e" not in plan
    else:  # PostgreSQL may hash the narrow entries, but never reads the papers' rows
        assert "Seq Scan on papers" not in plan


def test_an_authors_coauthors_are_read_from_an_index_of_names(big_storage: Storage) -> None:
    """An author page names the co-authors of its latest papers without reading their rows."""
    shared = Counter(
        name for n in range(7, ENTRIES, 1000) for name in _authors(n) if name != "A7 Author"
    )
    expected = sorted(shared.items(), key=lambda item: (-item[1], item[0].lower()))[:5]

    assert big_storage.coauthors("a7 author", limit=5) == expected
    (plan,) = _plans_of(big_storage, lambda: big_storage.coauthors("a7 author", limit=5))
    if big_storage.dialect == "sqlite":
        assert "COVERING INDEX paper_authors_by_paper" in plan
    else:
        assert "Seq Scan on paper_authors" not in plan


def test_an_authors_spellings_are_counted_over_their_latest_papers(big_storage: Storage) -> None:
    """A name of thousands of papers is spelled as its latest ones spell it, not all of them,
    read from the index of names by paper (a first visit's table rows are disk reads)."""
    spelled = big_storage.author_spellings("c7 author")

    assert spelled == [("C7 Author", RECENT_PAPERS)]  # of 6,154 papers
    (plan,) = _plans_of(big_storage, lambda: big_storage.author_spellings("c7 author"))
    if big_storage.dialect == "sqlite":
        assert "COVERING INDEX paper_authors_by_paper" in plan
