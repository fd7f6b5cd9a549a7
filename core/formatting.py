"""
The portal's money and date formats, one of each, so every page, email and timeline
sentence says them the same way (the templates' filters are ``core_tags``).

Dates and times are shown in the display time zone (``DISPLAY_TIME_ZONE``, activated
per request by ``marketplace.middleware.DisplayTimeZoneMiddleware``), and a time
always names its zone: "Nov 28, 2026, 7:05 PM EST".
"""

import re
from contextvars import ContextVar, Token
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

# While a page renders for the page cache (core.pagecache), the values that depend on the
# moment of the request ("5 minutes ago", "Today, 7:05 PM") are written as markers, and
# filled in for each request that is served the page (``fill_live``).
_live: ContextVar[bool] = ContextVar("live_values", default=False)
_LIVE = re.compile("\ue000(ago|placed)\ue002([^\ue001]*)\ue001")


def live_values(on: bool = True) -> Token[bool]:
    """Write the moment-dependent values as markers (or not: ``on=False``) until reset."""
    return _live.set(on)


def stop_live_values(token: Token[bool]) -> None:
    _live.reset(token)


def _marker(kind: str, value: datetime) -> str:
    return f"\ue000{kind}\ue002{value.isoformat()}\ue001"


def fill_live(text: str, now: datetime) -> str:
    """``text`` with its moment-dependent markers written out as of ``now``."""
    if "\ue000" not in text:
        return text

    def written(match: re.Match[str]) -> str:
        value = datetime.fromisoformat(match[2])
        return format_ago(value, now) if match[1] == "ago" else format_placed(value, now)

    return _LIVE.sub(written, text)


def money(value: object) -> str:
    """12 → "$12.00"; the portal's one currency is USD (docs/DESIGN.md §7, Payment.currency)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""  # template filters fail quietly, as Django's own do
    if not amount.is_finite():
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _local(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return timezone.localtime(value) if timezone.is_aware(value) else value


def iso(value: object) -> str:
    """
    A ``<time datetime>`` value: ISO 8601 to the second, with its offset
    ("2026-11-28T19:05:00-05:00"); Django's ``date:'c'`` adds microseconds, which HTML
    does not allow past three digits.
    """
    local = _local(value)
    if local is not None:
        return local.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""


def format_day(value: object) -> str:
    """The one date format: "Nov 28, 2026" (in the display time zone)."""
    if isinstance(value, datetime):
        value = _local(value)
    if not isinstance(value, date):
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def _clock(local: datetime) -> str:
    """ "7:05 PM EST": written out, so no locale turns it into "p.m." (and "p.m..")."""
    meridiem = "AM" if local.hour < 12 else "PM"
    return f"{local.hour % 12 or 12}:{local:%M} {meridiem} {local.tzname() or ''}".rstrip()


def format_when(value: object) -> str:
    """The one date-time format: "Nov 28, 2026, 7:05 PM EST" (the zone always shown)."""
    local = _local(value)
    if local is None:
        return ""
    return f"{format_day(local)}, {_clock(local)}"


def format_ago(value: object, now: datetime | None = None) -> str:
    """
    How long ago (or until): "just now" under a minute ago, "in under a minute" for a
    moment as close ahead (a deadline is never "just now"), then "5 minutes ago", "in 1
    day, 21 hours", "3 days ago" — never "0 minutes".
    """
    if not isinstance(value, datetime):
        return ""
    if now is None and _live.get():
        return _marker("ago", value)
    seconds = ((now or timezone.now()) - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "in under a minute" if future else "just now"
    parts = []
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        count, seconds = divmod(int(seconds), size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
        if len(parts) == 2 or (parts and not count):
            break  # two units at most, and only adjacent ones: "1 day, 21 hours"
    words = ", ".join(parts)
    return f"in {words}" if future else f"{words} ago"


def today_ends(moment: datetime) -> datetime:
    """The local midnight after ``moment``: when its "Today, 7:05 PM" becomes its date."""
    day = timezone.localdate(moment) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def format_placed(value: object, now: datetime | None = None) -> str:
    """An order card's date: the time too when it is today, so two of today's orders differ."""
    local = _local(value)
    if local is None:
        return ""
    if now is None and _live.get() and isinstance(value, datetime):
        return _marker("placed", value)
    if local.date() == timezone.localdate(now):
        return f"Today, {_clock(local)}"
    return format_day(local)
