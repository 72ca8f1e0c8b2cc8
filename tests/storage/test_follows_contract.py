"""The follows part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from dailypapers.domain.follows import FollowKind, FollowSettings, follow_target
from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import Storage, open_storage
from dailypapers.storage.follows_sql import COAUTHORS_OF_PAPERS_UP_TO
from dailypapers.storage.search_types import WordsVersion

from support.accounts import add_member

NOW = datetime(2026, 8, 22, tzinfo=UTC)


def paper(number: int, authors: tuple[str, ...], categories: tuple[str, ...], day: int) -> Paper:
    return Paper(
        id=f"2401.{number:05d}",
        title=f"Paper {number} on attention",
        abstract="Attention over long sequences, and what it costs.",
        authors=authors,
        categories=categories,
        published_at=datetime(2024, 1, day, tzinfo=UTC),
    )


PAPERS = [
    paper(1, ("Łukasz Kaiser", "Ada Lovelace"), ("cs.CL", "cs.LG"), 1),
    paper(2, ("Lukasz Kaiser", "Noam Shazeer"), ("cs.LG",), 5),
    paper(3, ("LUKASZ KAISER",), ("cs.CL",), 3),
    paper(4, ("Grace Hopper",), ("cs.CL",), 9),
]


@pytest.fixture
def storage(storage: Storage) -> Storage:
    """Return a storage on each backend holding the papers above."""
    with storage.transaction():
        storage.save_organizations([Organization("deepmind", "Google DeepMind")])
        storage.save_papers(PAPERS)
        storage.save_entries([DailyEntry("2401.00002", date(2024, 1, 6), NOW, None, "deepmind")])
    return storage


def test_an_author_is_found_whatever_the_accents_and_case(storage: Storage) -> None:
    assert storage.author_paper_ids("lukasz kaiser", limit=10) == [
        "2401.00002",
        "2401.00003",
        "2401.00001",
    ]  # newest first
    assert storage.author_spellings("lukasz kaiser")[0][1] == 1
    assert {name for name, _ in storage.author_spellings("lukasz kaiser")} == {
        "Łukasz Kaiser",
        "Lukasz Kaiser",
        "LUKASZ KAISER",
    }
    assert dict(storage.coauthors("lukasz kaiser", limit=10)) == {
        "Ada Lovelace": 1,
        "Noam Shazeer": 1,
    }
    ((organization, count),) = storage.author_organizations("lukasz kaiser", limit=5)
    assert (organization.name, count) == ("deepmind", 1)


def test_co_authors_leave_out_papers_signed_by_a_crowd(storage: Storage) -> None:
    """On a report of hundreds of authors everyone co-authors with everyone: such papers
    are not counted."""
    crowd = tuple(f"Member {n}" for n in range(COAUTHORS_OF_PAPERS_UP_TO))
    with storage.transaction():
        storage.save_papers(
            [
                Paper("2401.00090", "A report", "A", ("Grace Hopper", *crowd)),  # 101 authors
                Paper("2401.00091", "A note", "A", ("Grace Hopper", *crowd[:99])),  # 100
            ]
        )
    counted = dict(storage.coauthors("grace hopper", limit=200))
    assert len(counted) == 99 and counted["Member 0"] == 1 and "Member 99" not in counted


def test_author_search_uses_the_folded_index(storage: Storage) -> None:
    def search(text: str) -> list[str]:
        return storage.search_lexical(parse_query(text), limit=10)

    assert set(search('author:"Łukasz Kaiser"')) == {"2401.00001", "2401.00002", "2401.00003"}
    assert search('author:"lukasz kaiser"') == search('author:"ŁUKASZ KAISER"')
    assert set(search("attention author:kaiser")) == {"2401.00001", "2401.00002", "2401.00003"}
    assert search("author:hopper") == ["2401.00004"]
    assert search('author:"Lukasz Hopper"') == []
    assert search('author:kaiser author:"noam shazeer"') == ["2401.00002"]
    ids = [p.id for p in PAPERS]
    assert storage.filter_papers(ids, parse_query("author:lovelace").filters) == ["2401.00001"]


def test_a_search_lists_its_newest_matches_whatever_their_rank(storage: Storage) -> None:
    loudest = replace(
        PAPERS[0],
        id="2312.00009",
        title="Attention, attention, attention",
        published_at=datetime(2023, 12, 1, tzinfo=UTC),
    )
    with storage.transaction():
        storage.save_papers([loudest])

    def newest(text: str) -> list[str]:
        return storage.search_newest(parse_query(text), limit=3)

    assert storage.search_lexical(parse_query("attention"), limit=1) == ["2312.00009"]
    assert newest("attention") == ["2401.00004", "2401.00002", "2401.00003"]
    assert newest("attention author:kaiser") == ["2401.00002", "2401.00003", "2401.00001"]
    assert newest("attention before:2024-01-04") == ["2401.00003", "2401.00001", "2312.00009"]
    assert newest("cat:cs.LG") == ["2401.00002", "2401.00001", "2312.00009"]  # filters alone
    assert newest("attention org:deepmind") == ["2401.00002"]
    assert newest("kittens") == []


def test_a_search_tells_what_changed_since_a_version_of_the_words(storage: Storage) -> None:
    before = storage.words_version()
    assert before is not None
    newer = replace(PAPERS[3], id="2401.00005", published_at=datetime(2024, 1, 20, tzinfo=UTC))
    reworded = replace(PAPERS[1], title="Paper 2 on recurrence", abstract="Recurrence.")
    with storage.transaction():
        storage.save_papers([newer, reworded])
    after = storage.words_version()
    assert after is not None and after != before

    def changed_matches(text: str, since: WordsVersion) -> list[str]:
        return storage.search_newest(parse_query(text), limit=5, changed_since=since)

    assert storage.papers_changed_since(before) == {"2401.00005", "2401.00002"}
    assert changed_matches("attention", before) == ["2401.00005"]
    assert changed_matches("recurrence", before) == ["2401.00002"]
    assert storage.papers_changed_since(after) == set()
    assert changed_matches("attention", after) == []
    rebuilt = WordsVersion(build="another build", commits=after.commits)
    assert storage.papers_changed_since(rebuilt) is None


def test_the_index_follows_every_save(storage: Storage) -> None:
    with storage.transaction():
        storage.save_papers([replace(PAPERS[3], authors=("Barbara Liskov",), categories=())])
    assert storage.author_paper_ids("grace hopper", limit=5) == []
    assert storage.author_paper_ids("barbara liskov", limit=5) == ["2401.00004"]
    assert storage.category_paper_ids("cs.CL", limit=10) == ["2401.00003", "2401.00001"]
    assert storage.count_category_papers("cs.LG") == 2


def test_the_migration_fills_the_index_from_papers_stored_before_it(backend_url: str) -> None:
    old = open_storage(backend_url)
    with old.transaction():
        old.save_papers(PAPERS)
        # As a database from before the index: papers, and an empty index.
        old._execute("DELETE FROM paper_authors")  # type: ignore[attr-defined]
        old._execute("DELETE FROM paper_categories")  # type: ignore[attr-defined]
        old._execute(  # type: ignore[attr-defined]
            "DELETE FROM schema_migrations WHERE name = '0009_follows.sql'"
        )
        for table in ("follow_settings", "follows", "paper_categories", "paper_authors"):
            old._execute(f"DROP TABLE {table}")  # type: ignore[attr-defined]
    assert "0009_follows.sql" in old.migrate()
    assert len(old.author_paper_ids("lukasz kaiser", limit=10)) == 3
    assert old.category_paper_ids("cs.LG", limit=10) == ["2401.00002", "2401.00001"]
    old.close()


def test_follows_are_per_member_and_settings_default_private(storage: Storage) -> None:
    ada, grace = add_member(storage, "ada").id, add_member(storage, "grace").id
    author = follow_target(FollowKind.AUTHOR, "Łukasz Kaiser")
    with storage.transaction():
        assert storage.add_follow(user_id=ada, follow=author, now=NOW)
        assert not storage.add_follow(user_id=ada, follow=author, now=NOW)
        storage.add_follow(user_id=ada, follow=follow_target(FollowKind.CATEGORY, "cs.CL"), now=NOW)
    assert {(f.kind, f.key) for f in storage.user_follows(ada)} == {
        (FollowKind.AUTHOR, "lukasz kaiser"),
        (FollowKind.CATEGORY, "cs.CL"),
    }
    assert storage.user_follows(grace) == []
    assert storage.get_follow_settings(ada) == FollowSettings()
    with storage.transaction():
        storage.save_follow_settings(ada, FollowSettings(True, 3, True))
        assert storage.remove_follow(user_id=ada, kind=FollowKind.AUTHOR, key="lukasz kaiser")
        assert not storage.remove_follow(user_id=grace, kind=FollowKind.CATEGORY, key="cs.CL")
    assert storage.get_follow_settings(ada) == FollowSettings(True, 3, True)
    assert storage.digest_following_members(["ada@example.org", "grace@example.org"]) == {
        "ada@example.org": ada
    }
    assert [f.key for f in storage.user_follows(ada)] == ["cs.CL"]
