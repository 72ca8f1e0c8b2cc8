"""Recorded arXiv responses, and OAI-PMH pages built from real records, for local serving."""

from __future__ import annotations

import json
import re
from pathlib import Path

OAI_NS = "http://www.openarchives.org/OAI/2.0/"


def recorded_api_body(shared_data: Path, prefix: str) -> bytes:
    """Return the body of a recorded arXiv API response, e.g. 'q_testing_s0_m10'."""
    folder = shared_data / "fixtures" / "arxiv_api" / "recorded_2026"
    (path,) = folder.glob(f"{prefix}_*.json")
    body: str = json.loads(path.read_text())["body"]
    return body.encode()


def real_oai_records(shared_data: Path) -> list[bytes]:
    """Return every <record> element of the recorded OAI-PMH responses, as bytes."""
    records = []
    for path in sorted((shared_data / "fixtures" / "arxiv_oaipmh").glob("*.xml")):
        text = path.read_text()
        records += re.findall(r"<record>.*?</record>", text, flags=re.DOTALL)
    return [record.encode() for record in records]


def oai_page(records: list[bytes], token: str | None, *, cursor: int, total: int) -> bytes:
    """Return a ListRecords page holding these records and a resumption token."""
    if token:
        resumption = f'<resumptionToken cursor="{cursor}" completeListSize="{total}">{token}'
        resumption += "</resumptionToken>"
    else:
        resumption = f'<resumptionToken cursor="{cursor}" completeListSize="{total}"/>'
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
            "<responseDate>2026-11-25T00:00:00Z</responseDate>"
            '<request verb="ListRecords">http://127.0.0.1/oai</request><ListRecords>'
        ).encode()
        + b"".join(records)
        + f"{resumption}</ListRecords></OAI-PMH>".encode()
    )


def oai_pages(records: list[bytes], per_page: int) -> dict[str | None, bytes]:
    """Split records into pages keyed by the token that asks for them (None: the first)."""
    pages: dict[str | None, bytes] = {}
    chunks = [records[i : i + per_page] for i in range(0, len(records), per_page)]
    for number, chunk in enumerate(chunks):
        asked_by = None if number == 0 else f"token-{number}"
        following = f"token-{number + 1}" if number + 1 < len(chunks) else None
        pages[asked_by] = oai_page(chunk, following, cursor=number * per_page, total=len(records))
    return pages
