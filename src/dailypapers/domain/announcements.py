"""When arXiv announces a submission: the day it becomes a daily entry.

arXiv takes submissions until 14:00 US Eastern on weekdays and announces them at
20:00 the same evening, Sunday to Thursday: Friday's batch (Thursday 14:00 to
Friday 14:00) goes out on Sunday evening, and the weekend's with Monday's. The
mailing is dated by the UTC day of that announcement, Monday to Friday. Holidays
shift the real schedule by a day now and then; this rule ignores them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ARXIV_TIME = ZoneInfo("America/New_York")
CUTOFF = time(14, 0)
ANNOUNCEMENT = time(20, 0)
_FRIDAY = 4


def announcement_time(submitted_at: datetime) -> datetime:
    """Return the moment arXiv announces a paper submitted at this time."""
    local = submitted_at.astimezone(ARXIV_TIME)
    day = local.date()
    # The first weekday cutoff at or after the submission closes its batch.
    while day.weekday() > _FRIDAY or (day == local.date() and local.time() >= CUTOFF):
        day += timedelta(days=1)
    if day.weekday() == _FRIDAY:  # Friday's batch is announced on Sunday
        day += timedelta(days=2)
    return datetime.combine(day, ANNOUNCEMENT, tzinfo=ARXIV_TIME)


def announcement_day(submitted_at: datetime) -> date:
    """Return the (UTC) day of the mailing that carries a paper submitted at this time."""
    return announcement_time(submitted_at).astimezone(ZoneInfo("UTC")).date()
