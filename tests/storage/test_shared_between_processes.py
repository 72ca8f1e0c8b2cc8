"""Two storages on one SQLite file, as two processes hold them: each sees what the other wrote."""

from __future__ import annotations

from pathlib import Path

from dailypapers.domain.papers import Paper
from dailypapers.domain.search_query import parse_query
from dailypapers.storage import open_storage


def paper(number: int, title: str) -> Paper:
    return Paper(id=f"2401.{number:05d}", title=title, abstract=f"{title} abstract.", authors=())


def test_the_word_index_written_by_one_process_is_read_by_another(tmp_path: Path) -> None:
    """Search through a second storage after the first caught the word index up."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    writer, reader = open_storage(url), open_storage(url)
    with writer.transaction():
        writer.save_papers([paper(1, "Holography at scale")])
    writer.refresh_word_index()
    assert reader.search_lexical(parse_query("holography"), limit=5) == ["2401.00001"]
    # Many changes at once: the reader does not catch them up in the search itself.
    with writer.transaction():
        writer.save_papers([paper(n, f"Tomography study {n}") for n in range(2, 400)])
    writer.refresh_word_index()
    found = reader.search_lexical(parse_query("tomography"), limit=500)
    assert len(found) == 398
    writer.close()
    reader.close()


def test_the_change_counter_moves_for_every_commit_whichever_process_made_it(
    tmp_path: Path,
) -> None:
    """Change the generation both storages read on each commit of either."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    first, second = open_storage(url), open_storage(url)
    seen = {first.generation()}
    for number in range(30):  # 30 commits over 64 shards: some land on the same shard
        writer = first if number % 2 else second
        with writer.transaction():
            writer.save_papers([paper(number, f"Paper {number}")])
        assert first.generation() == second.generation()
        assert first.generation() not in seen
        seen.add(first.generation())
    first.close()
    second.close()
