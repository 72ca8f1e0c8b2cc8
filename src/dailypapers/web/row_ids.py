"""Row numbers named by paths, forms and bodies: a database holds at most a signed 64-bit one.

A larger number, or one written in other digits ("²"), names no row: it must read as
"not found" or "no parent", never reach the database as an integer it cannot hold.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def optional_row_id(text: str | None) -> int | None:
    """The row number a form or body field names, or None when it names none."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None
