"""Days, ISO weeks and months: parsing, bounds and neighbours."""

from datetime import date

import pytest

from dailypapers.domain.periods import (
    PeriodKind,
    PeriodOutOfRange,
    parse_day,
    parse_month,
    parse_period,
    parse_week,
    period_containing,
)


def test_day_bounds_and_key():
    day = parse_day("2025-10-17")
    assert (day.start, day.end) == (date(2025, 10, 17), date(2025, 10, 18))
    assert day.key == "2025-10-17"
    assert day.path == "/papers/date/2025-10-17"
    assert day.title == "Oct 17, 2025"


def test_iso_week_starts_on_monday_and_crosses_years():
    week = parse_week("2026-W01")
    assert week.start == date(2025, 12, 29)  # ISO week 1 of 2026 begins in 2025
    assert week.end == date(2026, 1, 5)
    assert week.key == "2026-W01"
    assert parse_week("2026-W1") == week
    assert week.previous().key == "2025-W52"
    assert parse_week("2020-W53").next().key == "2021-W01"


def test_month_bounds_wrap_the_year():
    december = parse_month("2025-12")
    assert (december.start, december.end) == (date(2025, 12, 1), date(2026, 1, 1))
    assert december.next().key == "2026-01"
    assert december.previous().key == "2025-11"
    assert december.title == "December 2025"


def test_period_containing_a_day():
    assert period_containing(PeriodKind.WEEK, date(2025, 10, 17)).key == "2025-W42"
    assert period_containing(PeriodKind.MONTH, date(2024, 2, 29)).end == date(2024, 3, 1)
    assert date(2025, 10, 19) in parse_week("2025-W42")
    assert date(2025, 10, 20) not in parse_week("2025-W42")


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (PeriodKind.DAY, "2025-13-01", "not a real date"),
        (PeriodKind.DAY, "2025-02-30", "not a real date"),
        (PeriodKind.DAY, "17/10/2025", "YYYY-MM-DD"),
        (PeriodKind.DAY, "", "YYYY-MM-DD"),
        (PeriodKind.WEEK, "2025-W54", "has no ISO week 54"),
        (PeriodKind.WEEK, "2025-W00", "has no ISO week 0"),
        (PeriodKind.WEEK, "2025-42", "YYYY-Www"),
        (PeriodKind.MONTH, "2025-13", "YYYY-MM"),
        (PeriodKind.MONTH, "2025-00", "YYYY-MM"),
        (PeriodKind.MONTH, "Oct 2025", "YYYY-MM"),
    ],
)
def test_bad_periods_say_what_is_wrong(kind, text, message):
    with pytest.raises(ValueError, match=message):
        parse_period(kind, text)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (PeriodKind.DAY, "9999-12-31"),
        (PeriodKind.WEEK, "9999-W52"),
        (PeriodKind.MONTH, "9999-12"),
    ],
)
def test_a_period_past_the_calendars_end_is_a_clear_error(kind, text):
    with pytest.raises(PeriodOutOfRange, match="9999-12-31"):
        parse_period(kind, text)


def test_neighbours_past_the_calendars_ends_are_clear_errors():
    with pytest.raises(PeriodOutOfRange, match="no day before 0001-01-01"):
        parse_day("0001-01-01").previous()
    with pytest.raises(PeriodOutOfRange):
        parse_day("9999-12-30").next()
    with pytest.raises(PeriodOutOfRange):
        period_containing(PeriodKind.MONTH, date(9999, 12, 5))
    assert parse_day("9999-12-30").end == date(9999, 12, 31)
