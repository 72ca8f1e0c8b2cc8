"""The small JSON file beside a search index that says what it holds (format, last seq).

An index beside the database is a cache: a description that is missing or unreadable only
means the index is rebuilt or caught up again, so reading never fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def read_description(path: Path | None) -> dict[str, object]:
    """Return what the description says, or nothing if it is missing or unreadable."""
    if path is None or not path.exists():
        return {}
    try:
        description = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return description if isinstance(description, dict) else {}


def write_description(path: Path, description: dict[str, object]) -> None:
    """Replace the description at once: a reader sees the old one or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(description))
    os.replace(temporary, path)
