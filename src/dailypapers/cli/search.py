"""Search papers from the terminal, and (re)build the semantic index."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.domain.search_query import QueryError
from dailypapers.search.hybrid import SearchMode, default_searcher
from dailypapers.services.search import search_papers
from dailypapers.services.semantic_index import (
    DocumentEmbedder,
    embed_missing,
    indexing_progress,
    reindex,
)
from dailypapers.storage import Storage

T = TypeVar("T")

# A terminal search starts a new process: the model has to load before the first query.
CLI_EMBED_TIMEOUT_S = 60.0


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per result.")
def search(query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Search papers: words, "phrases", -words, author:, cat:, org:, before:, after:, has:code."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    searcher = default_searcher(timeout_s=CLI_EMBED_TIMEOUT_S)
    searcher.wait_until_ready(CLI_EMBED_TIMEOUT_S)  # else words only: a note says so
    try:
        page = search_papers(
            storage=storage,
            searcher=searcher,
            text=" ".join(query),
            page_size=limit,
            ranked=limit,
        )
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    finally:
        searcher.close()
    if as_json:
        for item in page.papers:
            paper = item.paper
            record = {"id": paper.id, "title": paper.title, "upvotes": paper.upvotes}
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if page.outcome.note:
        click.echo(f"({page.outcome.note})", err=True)
    if page.outcome.mode is SearchMode.CLOSEST:
        click.echo("No papers match. Closest in meaning:", err=True)
    for rank, item in enumerate(page.papers, start=1):
        day = item.date.isoformat() if item.date else "          "
        click.echo(f"{rank:>3}. {item.paper.id:<14} {day}  {item.paper.title}")
    click.echo(
        f"{page.total} result(s), {page.outcome.mode.value}, {page.outcome.took_ms:.0f} ms",
        err=True,
    )


@click.command("reindex")
@click.option(
    "--full", is_flag=True, help="Embed every paper again, not only those without vectors."
)
def reindex_command(full: bool) -> None:
    """Build the search indexes: words, then vectors (dropping other models' vectors)."""
    settings = load_settings()
    storage = open_configured_storage(settings)
    click.echo(f"word index: {storage.refresh_word_index()} changed paper(s) taken")
    embedder = _load_embedder()
    report = _with_progress_bar(
        storage,
        embedder,
        lambda update: reindex(storage=storage, embedder=embedder, full=full, progress=update),
        from_scratch=full,
    )
    for model, count in report.dropped.items():
        click.echo(f"dropped {count} vectors of {model}")
    progress = indexing_progress(storage=storage, model=embedder.model_name)
    click.echo(
        f"embedded {report.embedded}; {progress.embedded} of {progress.total} papers have"
        f" vectors of {embedder.model_name}"
    )


def embed_after_import(storage: Storage) -> None:
    """Embed the papers without vectors, with a progress bar (`dailypapers import --embed`)."""
    embedder = _load_embedder()
    done = _with_progress_bar(
        storage,
        embedder,
        lambda update: embed_missing(storage=storage, embedder=embedder, progress=update),
    )
    click.echo(f"embedded {done} paper(s) with {embedder.model_name}")


def _load_embedder() -> DocumentEmbedder:
    from dailypapers.search.embedder import default_embedder

    with tqdm(total=0, desc="loading the language model", bar_format="{desc}…", disable=None):
        return default_embedder()


def _with_progress_bar(
    storage: Storage,
    embedder: DocumentEmbedder,
    work: Callable[[Callable[[int], None]], T],
    *,
    from_scratch: bool = False,
) -> T:
    progress = indexing_progress(storage=storage, model=embedder.model_name)
    with tqdm(
        total=progress.total,
        initial=0 if from_scratch else progress.embedded,
        unit=" papers",
        desc="embedding",
        disable=None,
    ) as bar:
        return work(bar.update)


COMMANDS = [search, reindex_command]
