"""Bring subscribers in by hand or from a CSV file, keeping everyone who left out.

An address that unsubscribed or bounced is never put back by an operator: only its
owner can subscribe it again, through the confirmation link.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dailypapers.domain.subscriptions import (
    DEFAULT_TOP_COUNT,
    Preferences,
    Subscriber,
    SubscriberStatus,
    normalize_email,
)
from dailypapers.services.subscriptions import (
    SubscriptionLinks,
    change_status,
    check_preferences,
    request_subscription,
)
from dailypapers.settings import Settings
from dailypapers.storage.digests_protocol import DigestStore

CSV_COLUMNS = ("email", "frequency", "top", "categories", "authors", "organizations", "searches")
LIST_SEPARATOR = ";"  # between several values in one cell: "cs.CL; cs.LG"


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    """One subscriber read from a file: the line it was on, the address and the choices."""

    line: int
    email: str
    preferences: Preferences


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a line of a subscriber file cannot be imported."""

    line: int
    column: str | None
    reason: str

    def describe(self) -> str:
        """Return the problem as one line naming the line and column."""
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ListReport:
    """What adding subscribers did."""

    added: int = 0  # new, confirmed or waiting for their confirmation
    unchanged: int = 0  # already subscribed or already asked
    kept_out: list[str] = field(default_factory=list)  # unsubscribed or bouncing addresses

    def summary(self) -> str:
        """Return a one-line account."""
        text = f"{self.added} added, {self.unchanged} already there"
        if self.kept_out:
            text += f", {len(self.kept_out)} left out (they unsubscribed or bounce)"
        return text


def read_subscriber_csv(text: str) -> tuple[list[SubscriberRow], list[RowProblem]]:
    """Read a CSV file with a header row (email, and optionally the other CSV_COLUMNS)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in header:
        return [], [RowProblem(1, None, f"the header must name an email column: {CSV_COLUMNS}")]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        return [], [RowProblem(1, unknown[0], f"unknown column; known: {', '.join(CSV_COLUMNS)}")]
    reader.fieldnames = header
    rows, problems, seen = [], [], set()
    for record in reader:
        line = reader.line_num
        cells = {key: (value or "").strip() for key, value in record.items() if key}
        if not any(cells.values()):
            continue
        row = _row(line, cells)
        if isinstance(row, RowProblem):
            problems.append(row)
        elif row.email.lower() in seen:
            problems.append(RowProblem(line, "email", f"{row.email} is on an earlier line too"))
        else:
            seen.add(row.email.lower())
            rows.append(row)
    return rows, problems


def _row(line: int, cells: dict[str, str]) -> SubscriberRow | RowProblem:
    """Read one CSV record into a subscriber row, or say what is wrong with it."""
    try:
        email = normalize_email(cells.get("email", ""))
    except ValueError as error:
        return RowProblem(line, "email", str(error))
    frequency = cells.get("frequency", "").lower() or "daily"
    if frequency not in ("daily", "weekly"):
        return RowProblem(line, "frequency", f"expected daily or weekly, got {frequency!r}")
    top = cells.get("top", "") or str(DEFAULT_TOP_COUNT)
    if not top.isdigit():
        return RowProblem(line, "top", f"expected a number of papers, got {top!r}")
    try:
        preferences = check_preferences(
            weekly=frequency == "weekly",
            top=int(top),
            **{name: _split(cells.get(name, "")) for name in CSV_COLUMNS[3:]},
        )
    except ValueError as error:
        return RowProblem(line, None, str(error))
    return SubscriberRow(line, email, preferences)


def _split(cell: str) -> list[str]:
    """Split a cell's list on semicolons."""
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def add_subscribers(
    *,
    storage: DigestStore,
    settings: Settings,
    links: SubscriptionLinks,
    rows: Sequence[SubscriberRow],
    confirmed: bool,
    now: datetime,
) -> ListReport:
    """Add these subscribers: confirmed at once, or each mailed a confirmation link.

    `confirmed` is for lists whose readers already opted in elsewhere. The caller owns
    the transaction.
    """
    report = ListReport()
    for row in rows:
        existing = storage.find_subscriber(row.email)
        if existing and existing.status in (
            SubscriberStatus.UNSUBSCRIBED,
            SubscriberStatus.BOUNCING,
        ):
            report.kept_out.append(existing.email)
        elif existing and (existing.status is SubscriberStatus.CONFIRMED or not confirmed):
            report.unchanged += 1
        elif existing:  # pending, and the operator vouches for the opt-in
            change_status(
                storage=storage, subscriber=existing, status=SubscriberStatus.CONFIRMED, now=now
            )
            report.added += 1
        elif confirmed:
            storage.save_subscriber(
                Subscriber(
                    None,
                    row.email,
                    SubscriberStatus.CONFIRMED,
                    row.preferences,
                    created_at=now,
                    status_at=now,
                )
            )
            report.added += 1
        else:
            request_subscription(
                storage=storage,
                settings=settings,
                links=links,
                email=row.email,
                now=now,
                preferences=row.preferences,
            )
            report.added += 1
    return report
