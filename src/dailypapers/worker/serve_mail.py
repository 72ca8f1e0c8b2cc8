"""Send the outbox from `dailypapers serve`, so a site run as one process delivers its mail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from dailypapers.services.outbox import worker_name
from dailypapers.settings import Settings
from dailypapers.storage import Storage
from dailypapers.worker.digest_jobs import outbox_job
from dailypapers.worker.runner import run_jobs


def send_mail_in_background(
    settings: Settings, storage: Storage, *, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Run the outbox job on a daemon thread, unless DAILYPAPERS_SERVE_SENDS_MAIL is 0."""
    if not settings.serve_sends_mail:
        return None
    job = outbox_job(
        settings=settings, storage=storage, clock=lambda: datetime.now(UTC), owner=worker_name()
    )
    thread = threading.Thread(
        target=run_jobs,
        args=([job],),
        kwargs={"clock": lambda: datetime.now(UTC), "stop": stop or threading.Event()},
        name="outbox",
        daemon=True,
    )
    thread.start()
    return thread
