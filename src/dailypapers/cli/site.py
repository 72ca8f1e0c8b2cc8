"""Run the site and look after its database and settings."""

from __future__ import annotations

import functools
import logging
from typing import Any

import click

from dailypapers.cli.context import load_settings, open_configured_storage
from dailypapers.settings import describe_settings
from dailypapers.storage import open_storage
from dailypapers.storage.opening import without_password
from dailypapers.worker.jobs import index_in_background
from dailypapers.worker.recommendation_jobs import refit_in_background
from dailypapers.worker.serve_mail import send_mail_in_background

WORKER_HEALTHCHECK_S = 60


@click.command()
@click.option("--host", help="Address to listen on (default: DAILYPAPERS_HOST).")
@click.option("--port", type=int, help="Port to listen on (default: DAILYPAPERS_PORT).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Web processes sharing the port; each one stateless, all on the one database.",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the site."""
    import uvicorn

    from dailypapers.search.availability import semantic_search_unavailable
    from dailypapers.search.embedder import default_embedder
    from dailypapers.search.hybrid import HybridSearcher
    from dailypapers.web.app import create_app
    from dailypapers.web.operations.logs import configure_logging
    from dailypapers.web.pages.semantic_status import announce_semantic_search_off
    from dailypapers.web.server import freeze_startup_objects, uvicorn_options

    settings = load_settings()
    configure_logging(settings, level=logging.WARNING)
    storage = open_configured_storage(settings)  # migrates, and fails early on a bad URL
    host, port = host or settings.host, port or settings.port
    click.echo(f"Serving {without_password(settings.database_url)} on http://{host}:{port}")
    # One model for the searches and the indexing (loaded when first needed): each copy
    # checks a 58 MB file and holds its own ONNX Runtime session.
    semantic_off = semantic_search_unavailable()
    load_embedder = None if semantic_off else functools.cache(default_embedder)
    if load_embedder is None:
        click.echo(f"Meaning-based search is off: {semantic_off}")
    else:
        index_in_background(settings, storage, load_embedder=load_embedder)
    if send_mail_in_background(settings, storage) is not None:
        click.echo(
            f"Sending mail through {settings.smtp_host}:{settings.smtp_port}"
            " (`dailypapers mail outbox` shows what waits)"
        )
    refit_in_background(settings, storage)  # For you: members' models, fitted off the request
    # operations: proxies, timeouts and limits from the settings; logs as configured above
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "log_config": None,
        "access_log": False,
        **uvicorn_options(settings),
    }
    if workers > 1:
        # Each worker builds its own app from the environment; this process supervises them
        # and keeps the search indexes up to date (and sends mail), once for all of them.
        uvicorn.run(
            "dailypapers.web.app:create_app",
            factory=True,
            workers=workers,
            # uvicorn restarts a worker that does not answer its supervisor within this; its
            # default (5 s) kills busy workers on a loaded machine, dropping their requests.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            **options,
        )
        return
    searcher = HybridSearcher(
        load_embedder=load_embedder, timeout_s=settings.search_timeout_ms / 1000
    )
    app = create_app(settings, storage=storage, searcher=searcher)
    if semantic_off:
        announce_semantic_search_off(app, semantic_off)
    freeze_startup_objects()
    uvicorn.run(app, **options)


@click.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = load_settings()
    applied = open_storage(settings.database_url, migrate=False).migrate()
    click.echo(f"applied {', '.join(applied)}" if applied else "database is up to date")


@click.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table that docs/settings.md holds.")
def show_settings(markdown: bool) -> None:
    """List every setting with its environment variable and default."""
    if markdown:
        click.echo("| variable | default | what it does |\n| --- | --- | --- |")
    for variable, default, help_text in describe_settings():
        if markdown:
            shown = f"`{default}`" if default else "(empty)"
            click.echo(f"| `{variable}` | {shown} | {help_text} |")
        else:
            click.echo(f"{variable}\n    default: {default or '(empty)'}\n    {help_text}")


COMMANDS = [serve, migrate, show_settings]
