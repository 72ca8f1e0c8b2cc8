"""`dailypapers import` of damaged files: one line naming file, place and reason; no write."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from support.commands import count_papers, run

GOOD = {"paper": {"id": "2510.00001", "title": "Good", "summary": "Fine.", "upvotes": 3}}


def _entry(**paper: object) -> dict[str, object]:
    return {"paper": {"id": "2510.00002", "title": "T", "summary": "S", **paper}}


def _json(*entries: object) -> bytes:
    return json.dumps(list(entries)).encode()


def _jsonl(*lines: object) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _truncated(data: bytes) -> bytes:
    packed = gzip.compress(data)
    return packed[: len(packed) // 2]


MANY_LINES = _jsonl(*[_entry(upvotes=n) | {"n": n} for n in range(2000)])

# name, contents, where the error must point, what it must say
CASES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("count.json", lambda: _json(GOOD, _entry(upvotes=2**63)), "entry 1, field 'upvotes'", "count"),
    (
        "huge-count.json",
        lambda: _json(GOOD).replace(b"3", b"9" * 4000),
        "entry 0, field 'upvotes'",
        "4,000 digits",
    ),
    (
        "count.jsonl",
        lambda: _jsonl(GOOD, {**_entry(), "numComments": 2**64}),
        "line 2, field 'num_comments'",
        "count",
    ),
    (
        "stars.json",
        lambda: _json(GOOD, _entry(githubStars=2**70)),
        "entry 1, field 'github_stars'",
        "count",
    ),
    (
        "surrogate.json",
        lambda: _json(GOOD).replace(b'"Good"', b'"Bad \\ud800 title"'),
        "entry 0, field 'title'",
        "lone surrogate U+D800",
    ),
    (
        "surrogate-author.jsonl",
        lambda: _jsonl(GOOD, _entry(authors=[{"name": "\ud800"}])),
        "line 2, field 'authors[0]'",
        "lone surrogate",
    ),
    ("deep.json", lambda: _deep(100_000).encode(), "file", "nested too deeply"),
    (
        "deep.jsonl",
        lambda: _jsonl(GOOD) + b"\n" + _deep(100_000).encode(),
        "line 2",
        "nested too deeply",
    ),
    ("fake.jsonl.gz", lambda: _jsonl(GOOD), "file", "not a readable gzip file"),
    ("broken.json.gz", lambda: b"\x1f\x8b" + b"\x00" * 40, "file", "not a readable gzip file"),
    ("truncated.jsonl.gz", lambda: _truncated(MANY_LINES), "file", "not a readable gzip file"),
    ("truncated.json.gz", lambda: _truncated(_json(GOOD)), "file", "not a readable gzip file"),
    (
        "title.json",
        lambda: _json(GOOD, _entry(title="x" * 5_000_000)),
        "entry 1, field 'title'",
        "1,000",
    ),
    (
        "abstract.jsonl",
        lambda: _jsonl(_entry(summary="word " * 100_000)),
        "line 1, field 'abstract'",
        "20,000",
    ),
    (
        "authors.json",
        lambda: _json(GOOD, _entry(authors=[{"name": f"A{n}"} for n in range(200_000)])),
        "entry 1, field 'authors'",
        "200,000 of them",
    ),
    (
        "author-name.json",
        lambda: _json(_entry(authors=[{"name": "n" * 10_000}])),
        "entry 0, field 'authors[0]'",
        "1,000",
    ),
    (
        "far-time.json",
        lambda: _json(_entry(publishedAt="9999-12-31T23:00:00-05:00")),
        "entry 0, field 'paper.publishedAt'",
        "range",
    ),
    (
        "far-version.jsonl",
        lambda: _jsonl(
            {
                "id": "2510.00003",
                "title": "T",
                "abstract": "A",
                "authors": "A. Author",
                "categories": "cs.CL",
                "versions": [{"version": "v1", "created": "Fri, 31 Dec 9999 23:00:00 -0500"}],
            }
        ),
        "line 1, field 'versions[0].created'",
        "RFC 2822",
    ),
]


@pytest.mark.parametrize(("name", "contents", "where", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_damaged_file_is_one_clear_line_and_imports_nothing(
    database_url: str,
    tmp_path: Path,
    name: str,
    contents: Callable[[], bytes],
    where: str,
    why: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(contents())

    result = run("import", str(path))

    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"error: {path}: {where}"), errors[0]
    assert why in errors[0]
    assert len(errors[0]) < 400  # the reason names the problem; it does not echo the data
    assert "Traceback" not in result.output and "Aborted" not in result.output
    assert count_papers(database_url) == 0


def test_skipping_invalid_records_cannot_rescue_a_truncated_archive(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "truncated.jsonl.gz"
    path.write_bytes(_truncated(MANY_LINES))

    result = run("import", "--skip-invalid", str(path))

    assert result.exit_code == 1
    assert "not a readable gzip file after" in result.output
    assert count_papers(database_url) == 0


def test_a_record_within_the_bounds_is_imported(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "fine.json"
    many = [{"name": f"Author {n}"} for n in range(5_000)]
    path.write_bytes(_json(_entry(title="t" * 1_000, authors=many, upvotes=10**9)))

    assert run("import", str(path)).exit_code == 0
    assert count_papers(database_url) == 1
