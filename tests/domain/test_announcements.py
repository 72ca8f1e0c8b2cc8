"""arXiv's announcement schedule decides the day a new paper is featured."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dailypapers.domain.announcements import announcement_day, announcement_time

EASTERN = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("submitted", "mailing"),
    [
        (datetime(2025, 3, 17, 9, 0, tzinfo=EASTERN), date(2025, 3, 18)),  # Mon morning
        (datetime(2025, 3, 17, 13, 59, tzinfo=EASTERN), date(2025, 3, 18)),  # just before cutoff
        (datetime(2025, 3, 17, 14, 0, tzinfo=EASTERN), date(2025, 3, 19)),  # at the cutoff
        (datetime(2025, 3, 20, 15, 0, tzinfo=EASTERN), date(2025, 3, 24)),  # Thu after cutoff
        (datetime(2025, 3, 21, 10, 0, tzinfo=EASTERN), date(2025, 3, 24)),  # Fri: Sunday evening
        (datetime(2025, 3, 21, 16, 0, tzinfo=EASTERN), date(2025, 3, 25)),  # Fri late: Monday
        (datetime(2025, 3, 22, 12, 0, tzinfo=EASTERN), date(2025, 3, 25)),  # Saturday
        (datetime(2025, 3, 23, 23, 0, tzinfo=EASTERN), date(2025, 3, 25)),  # Sunday night
    ],
)
def test_mailing_day_follows_the_cutoff_and_the_weekend(submitted, mailing):
    assert announcement_day(submitted) == mailing


def test_announcements_are_at_eight_in_the_evening_eastern():
    announced = announcement_time(datetime(2025, 7, 1, 12, 0, tzinfo=UTC))
    assert (announced.hour, announced.minute) == (20, 0)
    assert announced.tzinfo == EASTERN


def test_mailings_fall_on_weekdays_only():
    days = {
        announcement_day(datetime(2025, 6, day, hour, tzinfo=UTC))
        for day in range(1, 29)
        for hour in range(0, 24, 3)
    }
    assert {day.weekday() for day in days} == {0, 1, 2, 3, 4}
