"""How money, dates and times read to people."""

from datetime import date, datetime
from zoneinfo import ZoneInfo


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    dollars, remainder = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{remainder:02d}"


def local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone))


def local_day(moment: datetime, time_zone: str) -> date:
    """The business's calendar day at `moment`: 7 PM in Chicago on Dec 3 is Dec 3, though UTC is past midnight."""
    return local(moment, time_zone).date()


def day(value: date) -> str:
    return f"{value:%b} {value.day}, {value:%Y}"


def short_day(moment: datetime) -> str:
    """Dec 3 (the day a moment fell on, in the time zone it carries)."""
    return f"{moment:%b} {moment.day}"


def time_of_day(moment: datetime, time_zone: str) -> str:
    moment = local(moment, time_zone)
    return f"{moment:%I:%M %p}".lstrip("0")


def moment(moment: datetime, time_zone: str) -> str:
    """Nov 24, 2026 3:05 PM CST"""
    at = local(moment, time_zone)
    return f"{day(at.date())} {time_of_day(at, time_zone)} {at:%Z}"
