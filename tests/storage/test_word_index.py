"""The word index beside a SQLite database: caught up from its changes, saved, shared."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import open_storage, search_sql, search_words
from dailypapers.storage.sqlite import SqliteStorage
from dailypapers.storage.word_index import word_index_path


def paper(
    number: int,
    title: str,
    abstract: str,
    categories: tuple[str, ...] = ("cs.LG",),
    authors: tuple[str, ...] = ("Ada Lovelace",),
) -> Paper:
    return Paper(
        id=f"2405.{number:05d}",
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        published_at=datetime(2024, 5, 1, tzinfo=UTC),
    )


def open_sqlite(path: Path) -> SqliteStorage:
    storage = open_storage(f"sqlite:///{path}")
    assert isinstance(storage, SqliteStorage)
    return storage


def words(storage: SqliteStorage, text: str, limit: int = 10) -> list[str]:
    return storage.search_lexical(parse_query(text), limit=limit)


def latest_change(storage: SqliteStorage) -> int:
    return int(storage._execute("SELECT MAX(seq) FROM paper_text_changes")[0][0])


@pytest.fixture
def many(tmp_path: Path) -> SqliteStorage:
    """Return a database of 300 papers about language models, one of them by Grace Hopper
    in cs.CL, where it ranks last for "language"."""
    storage = open_sqlite(tmp_path / "site.db")
    papers = [
        paper(n, f"Language model study {n}", "Language models and language data.")
        for n in range(299)
    ]
    papers.append(
        paper(
            299,
            "Rare topic",
            "One mention of language.",
            categories=("cs.CL",),
            authors=("Grace Hopper",),
        )
    )
    with storage.transaction():
        storage.save_papers(papers)
    return storage


def test_fts5_answers_while_the_word_index_catches_up_aside(many, monkeypatch):
    monkeypatch.setattr(search_words, "INLINE_CATCH_UP", 100)  # 300 new papers: too many
    fts_calls = []
    search_in_database = many.search_in_database_scored

    def counted_fts(*args: object, **kwargs: object) -> object:
        fts_calls.append(args)
        return search_in_database(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(many, "search_in_database_scored", counted_fts)
    first = words(many, "rare topic")
    assert first == ["2405.00299"]
    assert len(fts_calls) == 1  # FTS5 answered
    loader = many._word_index.loader
    assert loader is not None
    loader.join(timeout=60)
    assert not loader.is_alive()
    assert many._word_index.seq == latest_change(many)
    assert words(many, "rare topic") == first  # now the word index answers, the same
    assert len(fts_calls) == 1  # and FTS5 was not asked again


def test_the_word_index_is_saved_reopened_and_caught_up_from_another_writer(many, tmp_path):
    assert words(many, "rare") == ["2405.00299"]
    folder = word_index_path(many.path)
    assert folder is not None and (folder / "dailypapers.json").exists()
    saved = many._word_index.seq
    many.close()

    other = open_sqlite(tmp_path / "site.db")  # another process, say the worker
    with other.transaction():
        other.save_papers([paper(299, "Common topic", "Nothing unusual here.")])
    reopened = open_sqlite(tmp_path / "site.db")
    assert words(reopened, "rare") == []  # the change is applied before answering
    assert words(reopened, "common topic")[0] == "2405.00299"
    assert reopened._word_index.seq == saved + 1  # one change taken, the rest was on disk


def delete(folder: Path) -> None:
    shutil.rmtree(folder)


def damage(folder: Path) -> None:
    (folder / "meta.json").write_text("{not json")  # tantivy's own description


def outdate(folder: Path) -> None:
    (folder / "dailypapers.json").write_text(json.dumps({"format": 0, "seq": 300}))


@pytest.mark.parametrize("harm", [delete, damage, outdate])
def test_a_deleted_damaged_or_outdated_index_is_rebuilt(many, harm):
    assert words(many, "rare") == ["2405.00299"]
    folder = word_index_path(many.path)
    assert folder is not None
    many.close()
    harm(folder)
    again = open_sqlite(Path(many.path))
    assert again.refresh_word_index() == 300
    assert words(again, "rare") == ["2405.00299"]
    found = words(again, "language", limit=500)  # every paper once: none left twice
    assert len(found) == len(set(found)) == 300


def test_search_works_while_another_process_holds_the_writer(many, tmp_path):
    assert words(many, "rare") == ["2405.00299"]
    holder = open_sqlite(tmp_path / "site.db")
    with holder._word_index.writing():  # tantivy's lock file, as another process takes it
        with many.transaction():
            many.save_papers([replace(paper(299, "Rare topic", ""), title="Renamed topic")])
        # The writer is busy: the index answers as it was, one change behind.
        assert words(many, "rare") == ["2405.00299"]
    assert words(many, "renamed") == ["2405.00299"]
    assert words(many, "rare") == []


def test_categories_dates_and_code_are_filtered_inside_the_word_index(many, monkeypatch):
    words(many, "language")  # caught up

    def no_fts5(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("FTS5 answered a filter the word index can answer")

    monkeypatch.setattr(many, "search_in_database_scored", no_fts5)
    assert words(many, "language cat:cs.CL", limit=3) == ["2405.00299"]
    assert words(many, "language cat:cs", limit=400) == words(many, "language", limit=400)
    assert len(words(many, "language after:2024-05-01 before:2024-05-02", limit=1)) == 1
    assert len(words(many, "language after:2024-05-01 before:2024-05-02", limit=400)) == 300
    assert words(many, "language before:2024-05-01") == []
    assert words(many, "language has:code") == []


def test_a_narrow_author_filter_still_finds_a_low_ranked_paper(many):
    # 299 papers rank above it for "language": the filter is part of the index's query.
    assert words(many, "language author:hopper", limit=3) == ["2405.00299"]
    assert words(many, "language author:lovelace", limit=3) == words(many, "language", limit=3)


def test_newest_first_a_broad_organization_filter_looks_further_back(tmp_path, monkeypatch):
    # An organization of more papers than its daily entries narrow to is filtered after
    # the word index lists: the 30 newest papers are not its own, so it lists further
    # back. Its newest three say "language" once in a long abstract: among its best
    # matches they would not be.
    monkeypatch.setattr(search_sql, "SCOPE_LIMIT", 1)
    storage = open_sqlite(tmp_path / "site.db")
    long = "Language, once, among " + " ".join(f"word{n}" for n in range(80)) + "."
    papers = [
        replace(
            paper(n, f"Study {n}", long if n in (37, 38, 39) else "Language data."),
            published_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n),
        )
        for n in range(300)
    ]
    entries = [
        DailyEntry(paper.id, date(2024, 1, 2), datetime(2024, 1, 2, tzinfo=UTC), None, "meta")
        for paper in papers[:40]
    ]
    with storage.transaction():
        storage.save_organizations([Organization("meta", "Meta AI")])
        storage.save_papers(papers)
        storage.save_entries(entries)

    newest = storage.search_newest(parse_query("language org:meta"), limit=3)

    assert newest == ["2405.00039", "2405.00038", "2405.00037"]


def test_the_word_index_matches_authors_as_the_name_index_does(tmp_path):
    storage = open_sqlite(tmp_path / "site.db")
    names = [("Łukasz Kaiser",), ("Lukas Kaiserling",), ("Martin Luther King Jr.",), ("Ada",)]
    with storage.transaction():
        storage.save_papers(
            [
                paper(n, f"Language study {n}", "Language data.", authors=a)
                for n, a in enumerate(names)
            ]
        )
    expected = {
        'author:"lukasz KAISER"': ["2405.00000"],  # accents and case folded
        "author:kaiser": ["2405.00000"],  # a family name, not a part of one
        "author:lukasz": [],  # a given name alone names no family
        "author:king": ["2405.00002"],  # the family before a suffix
        'author:"martin luther king jr"': ["2405.00002"],
        "author:ada": ["2405.00003"],  # a name of one word
        "author:kaiser author:ada": [],  # every author filter holds
    }
    for filters, ids in expected.items():
        query = parse_query(f"language {filters}")
        assert storage.search_lexical(query, limit=10) == ids, filters
        assert storage.search_newest(query, limit=10) == ids, filters
        assert storage.search_in_database(query, limit=10) == ids, filters  # SQL agrees


def test_a_changed_category_or_code_link_reaches_the_word_index(many):
    assert words(many, "rare cat:cs.CL") == ["2405.00299"]
    changed = replace(
        paper(299, "Rare topic", "One mention of language.", authors=("Grace Hopper",)),
        categories=("stat.ML",),
        github_repo="https://github.com/example/rare",
    )
    with many.transaction():
        many.save_papers([changed])
    assert words(many, "rare cat:cs.CL") == []
    assert words(many, "rare cat:stat has:code") == ["2405.00299"]


def test_a_search_does_not_wait_for_a_writer_in_another_thread(many):
    assert words(many, "rare") == ["2405.00299"]
    holding, release = threading.Event(), threading.Event()

    def hold_the_writer() -> None:  # as the indexing job does, after a big import
        with many._word_index.writing():
            holding.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_the_writer)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with many.transaction():
            many.save_papers([paper(300, "Fresh topic", "New words.")])
        assert words(many, "rare") == ["2405.00299"]  # answered at once, one paper behind
        assert words(many, "fresh") == []
    finally:
        release.set()
        holder.join(timeout=30)
    assert words(many, "fresh") == ["2405.00300"]


# -- fields: title, abstract, keywords, authors --------------------------------------------


@pytest.fixture
def fielded(tmp_path: Path) -> SqliteStorage:
    """Return a database where one paper says a word only in its keywords, another only in
    its authors, and others say it in their title or abstract."""
    storage = open_sqlite(tmp_path / "site.db")
    keyworded = replace(
        paper(1, "Stable training", "We study optimizers."),
        ai_keywords=("gradient clipping", "warmup schedule", "loss spikes", "mixed precision"),
    )
    authored = paper(2, "Graph search", "Trees and graphs.", authors=("Barbara Liskov",))
    in_title = paper(3, "Liskov substitution in type systems", "Subtyping rules.")
    in_abstract = paper(4, "Type systems", "We revisit the Liskov substitution principle.")
    with storage.transaction():
        storage.save_papers([keyworded, authored, in_title, in_abstract])
    return storage


def test_keywords_are_found_though_neither_title_nor_abstract_says_them(fielded):
    assert words(fielded, "warmup schedule") == ["2405.00001"]
    assert words(fielded, '"loss spikes"') == ["2405.00001"]
    # FTS5 has none
    assert fielded.search_in_database(parse_query("warmup schedule"), limit=10) == []


def test_authors_have_a_field_of_their_own(fielded):
    assert words(fielded, "Barbara") == ["2405.00002"]
    assert words(fielded, '"Barbara Liskov"') == ["2405.00002"]
    # A phrase never runs from one author's name into the next.
    assert words(fielded, '"Lovelace Ada"') == []
    assert set(words(fielded, "Liskov")) == {"2405.00002", "2405.00003", "2405.00004"}


def test_a_word_in_the_title_outranks_the_same_word_in_the_abstract(fielded):
    found = words(fielded, "substitution")
    assert found == ["2405.00003", "2405.00004"]


def test_new_keywords_reach_the_index(fielded):
    assert words(fielded, "tokenizer") == []
    stored = fielded.get_papers(["2405.00002"])["2405.00002"]
    with fielded.transaction():
        fielded.save_papers([replace(stored, ai_keywords=("tokenizer", "byte pairs"))])
    assert words(fielded, "tokenizer") == ["2405.00002"]


def test_an_index_of_the_former_format_is_rebuilt(tmp_path):
    storage = open_sqlite(tmp_path / "site.db")
    with storage.transaction():
        storage.save_papers([paper(1, "Sparse attention", "Long context.")])
    assert words(storage, "sparse") == ["2405.00001"]
    storage.close()
    meta = word_index_path(str(tmp_path / "site.db")) / "dailypapers.json"
    description = json.loads(meta.read_text())
    meta.write_text(json.dumps({**description, "format": description["format"] - 1}))
    reopened = open_sqlite(tmp_path / "site.db")
    assert words(reopened, "sparse") == ["2405.00001"]
    assert json.loads(meta.read_text())["format"] == description["format"]


def test_processes_sharing_an_index_count_its_commits_alike(many, tmp_path):
    """What changed since a commit is asked of the index itself, so every process sharing
    it must agree on the numbers: a reader takes the writer's count, and never goes back."""
    assert words(many, "rare") == ["2405.00299"]
    reader = open_sqlite(tmp_path / "site.db")
    assert words(reader, "rare") == ["2405.00299"]
    index, reader_index = many._word_index, reader._word_index
    assert (reader_index.build, reader_index.commits) == (index.build, index.commits)
    before = index.commits
    with many.transaction():
        many.save_papers([paper(300, "Rarer topic", "Rarely said.")])
    assert words(many, "rarer") == ["2405.00300"]  # the writer's commit
    assert reader_index.refresh_seq() and reader_index.commits == before + 1
    written = reader_index.keys_written_after(before, limit=10)
    assert written is not None
    assert set(reader._ids_by_key(list(written)).values()) == {"2405.00300"}
    # A description read while a writer counts a commit it has not saved yet is older
    # than what the reader holds: it is not taken.
    meta = reader_index.meta_path
    assert meta is not None
    saved = json.loads(meta.read_text())
    meta.write_text(json.dumps(saved | {"commits": before}))
    reader_index.refresh_seq()
    assert reader_index.commits == before + 1
