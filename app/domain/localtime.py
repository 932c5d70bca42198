"""Jiangmen's calendar and clock. Timestamps are stored as naive UTC (``app.models.base.utcnow``);
dates people see, type and number documents by (notice numbers, 申请表, bank dates) are local."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> dt.datetime:
    """The local wall-clock time, naive (as printed on documents)."""
    return dt.datetime.now(LOCAL_TZ).replace(tzinfo=None)


def local_today() -> dt.date:
    """Today in Jiangmen, not in UTC: between 00:00 and 08:00 local time they differ."""
    return dt.datetime.now(LOCAL_TZ).date()


def to_local(moment: dt.datetime) -> dt.datetime:
    """A stored naive-UTC timestamp as an aware local one."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ)


def local_date(moment: Optional[dt.datetime]) -> Optional[dt.date]:
    """A stored naive-UTC timestamp as the local calendar date (None stays None)."""
    return None if moment is None else to_local(moment).date()


def local_time_text(moment: Optional[dt.datetime]) -> str:
    """A stored naive-UTC timestamp as local "YYYY-MM-DD HH:MM" ("" for None)."""
    return "" if moment is None else to_local(moment).strftime("%Y-%m-%d %H:%M")


def local_day_start_utc(day: dt.date) -> dt.datetime:
    """The naive-UTC moment the local ``day`` begins (for "on or after this date" filters)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
    return start.astimezone(dt.timezone.utc).replace(tzinfo=None)
