"""Where `serve`, its workers and `worker` write their logs, and in which format."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from dailypapers.settings import Settings
from dailypapers.web.operations.middleware import RequestIdFilter

_TEXT = "%(asctime)s %(levelname)s %(message)s"
# JSON logs name each field; an access line adds method, path, route, status, duration_ms.
# `process` tells apart the lines of `serve --workers N`, which share one stream.
_JSON_FIELDS = ["asctime", "levelname", "name", "process", "message", "request_id"]


def configure_logging(settings: Settings, *, level: int) -> None:
    """Send log records to stderr as text or JSON lines, each with its request id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                _JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
        # JSON logs are read by machines: every request gets its line.
        logging.getLogger("dailypapers.access").setLevel(logging.INFO)
    else:
        handler.setFormatter(logging.Formatter(_TEXT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
