"""Days, ISO weeks and months: the periods the feed is shown by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class PeriodOutOfRange(ValueError):
    """A period (or its neighbour) that falls outside the calendar dates can be written in."""


class PeriodKind(StrEnum):
    """How long a period is."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """A day, ISO week or month: `start` inclusive, `end` exclusive."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def key(self) -> str:
        """Return the period as written in URLs: 2025-10-17, 2025-W42, 2025-10."""
        if self.kind is PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def path(self) -> str:
        """Return the site path of this period's page."""
        return f"/papers/{_PATH_SEGMENT[self.kind]}/{self.key}"

    @property
    def title(self) -> str:
        """Return a human label such as 'Oct 17, 2025' or 'Week 42, 2025'."""
        if self.kind is PeriodKind.DAY:
            return f"{self.start:%b} {self.start.day}, {self.start.year}"
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year}"
        return f"{self.start:%B %Y}"

    @property
    def end_of_period(self) -> datetime:
        """Return the instant the period ends (UTC)."""
        return datetime.combine(self.end, time(), tzinfo=UTC)

    def previous(self) -> Period:
        """Return the period just before this one."""
        if self.start == date.min:
            raise PeriodOutOfRange(f"there is no {self.kind.value} before {date.min.isoformat()}")
        return period_containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        """Return the period just after this one."""
        return period_containing(self.kind, self.end)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


_PATH_SEGMENT = {PeriodKind.DAY: "date", PeriodKind.WEEK: "week", PeriodKind.MONTH: "month"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def period_containing(kind: PeriodKind, day: date) -> Period:
    """Return the day, ISO week or month that contains the day, within the calendar's range."""
    try:
        return _period_containing(kind, day)
    except (OverflowError, ValueError):
        # Only the calendar's ends make this arithmetic fail: 9999-12-31 has no next day.
        raise PeriodOutOfRange(
            f"{day.isoformat()} is out of range: the calendar ends on {date.max.isoformat()},"
            f" and its {kind.value} must end before then"
        ) from None


def _period_containing(kind: PeriodKind, day: date) -> Period:
    if kind is PeriodKind.DAY:
        return Period(kind, day, day + timedelta(days=1))
    if kind is PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=7))
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period(kind, first, following)


def parse_day(text: str) -> Period:
    """Parse YYYY-MM-DD; raise ValueError (PeriodOutOfRange at the calendar's ends) naming why."""
    if not _DAY.match(text):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"not a real date: {text!r} ({error})") from None
    return period_containing(PeriodKind.DAY, day)


def parse_week(text: str) -> Period:
    """Parse an ISO week such as 2025-W42; raise ValueError naming what is wrong."""
    match = _WEEK.match(text)
    if not match:
        raise ValueError(f"expected an ISO week as YYYY-Www, got {text!r}")
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {week}") from None
    return period_containing(PeriodKind.WEEK, monday)


def parse_month(text: str) -> Period:
    """Parse YYYY-MM; raise ValueError naming what is wrong."""
    match = _MONTH.match(text)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
    return period_containing(PeriodKind.MONTH, date(int(match[1]), int(match[2]), 1))


def parse_period(kind: PeriodKind, text: str) -> Period:
    """Parse a period written the way its kind is written in URLs."""
    parsers = {
        PeriodKind.DAY: parse_day,
        PeriodKind.WEEK: parse_week,
        PeriodKind.MONTH: parse_month,
    }
    return parsers[kind](text)
