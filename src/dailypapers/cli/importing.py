"""Import files of papers: whole files or nothing, with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.services.importing import (
    ImportReport,
    InvalidFile,
    find_importable_files,
    import_file,
)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid records, report the rest.")
@click.option(
    "--only-known",
    is_flag=True,
    help="Only update papers already here (e.g. fill in their arXiv categories); add none.",
)
@click.option(
    "--embed",
    is_flag=True,
    help="Then embed the papers without vectors (else `serve`, `worker` or `reindex` do it).",
)
def import_(paths: tuple[Path, ...], skip_invalid: bool, only_known: bool, embed: bool) -> None:
    """Import Hugging Face daily_papers JSON and arXiv JSON Lines files (or folders of them).

    Each file is applied whole or not at all.
    """
    try:
        files = find_importable_files(paths)
    except (FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    storage = open_configured_storage(load_settings())
    total = ImportReport()
    size = sum(path.stat().st_size for path in files)
    # The bar measures the files' bytes (compressed, for .gz), which is known before reading;
    # the number of papers is not, so it is shown beside the bar.
    bar = tqdm(total=size, unit="B", unit_scale=True, desc="importing", disable=None)
    papers = 0

    def stored(count: int) -> None:
        """Count the papers stored, beside the bar."""
        nonlocal papers
        papers += count
        bar.set_postfix_str(f"{papers:,} papers", refresh=False)

    with bar:
        for path in files:
            try:
                with storage.transaction():
                    report = import_file(
                        storage=storage,
                        path=path,
                        skip_invalid=skip_invalid,
                        progress=stored,
                        read=bar.update,
                        only_known=only_known,
                    )
            except InvalidFile as error:
                bar.close()
                click.echo(f"error: {error}", err=True)
                click.echo(f"nothing from {path} was imported", err=True)
                if total.added or total.updated:
                    click.echo(f"earlier files: {total.summary()}", err=True)
                sys.exit(1)
            for problem in report.skipped:
                tqdm.write(f"skipped: {path}: {problem.describe()}", file=sys.stderr)
            total.add(report)
        bar.set_postfix_str(f"{papers:,} papers")  # the last batch's count, shown
    click.echo(f"{len(files)} file(s): {total.summary()}")
    if embed:  # search: semantic indexing, after the words are already searchable
        from dailypapers.cli.search import embed_after_import

        embed_after_import(storage)


COMMANDS = [import_]
