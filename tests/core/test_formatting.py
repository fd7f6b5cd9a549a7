"""The one money and date style (core/formatting.py) and its template filters (core_tags)."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.formatting import format_ago, format_day, format_placed, format_when, iso, money


@pytest.mark.parametrize(
    "value, words",
    [
        (12, "$12.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("-3.10"), "-$3.10"),
        ("NaN", ""),
        ("twelve", ""),
        (None, ""),
    ],
)
def test_money_is_dollars_and_cents_with_thousands_and_fails_quietly(value, words):
    assert money(value) == words


def test_one_date_and_one_date_time_format_with_the_zone(settings):
    """ "Nov 28, 2026" and "Nov 28, 2026, 2:05 PM EST": no "a.m..", the zone named."""
    moment = datetime(2026, 11, 28, 19, 5, tzinfo=ZoneInfo("UTC"))
    with timezone.override(ZoneInfo("America/New_York")):
        assert format_day(moment) == "Nov 28, 2026"
        assert format_when(moment) == "Nov 28, 2026, 2:05 PM EST"
    with timezone.override(ZoneInfo("UTC")):
        assert format_when(moment.replace(hour=0)) == "Nov 28, 2026, 12:05 AM UTC"


def test_relative_times_say_just_now_and_never_zero_minutes():
    now = timezone.now()
    assert format_ago(now - timedelta(seconds=20), now) == "just now"
    assert format_ago(now + timedelta(seconds=20), now) == "in under a minute"
    assert format_ago(now - timedelta(minutes=5, seconds=3), now) == "5 minutes ago"
    assert format_ago(now + timedelta(hours=45, minutes=10), now) == "in 1 day, 21 hours"
    assert format_ago(now - timedelta(days=3, minutes=4), now) == "3 days ago"
    assert format_ago(now - timedelta(hours=1, seconds=30), now) == "1 hour ago"


def test_a_deadline_under_a_minute_away_is_never_just_now():
    """A deadline 38 s ahead is still ahead: "in under a minute", then "in 1 minute"."""
    now = timezone.now()
    assert format_ago(now + timedelta(seconds=38), now) == "in under a minute"
    assert format_ago(now + timedelta(seconds=1), now) == "in under a minute"
    assert format_ago(now + timedelta(seconds=61), now) == "in 1 minute"
    assert format_ago(now, now) == "just now"


def test_iso_is_to_the_second_with_the_offset_of_the_display_zone():
    """A <time datetime> value HTML accepts: no microseconds, the display zone's offset."""
    moment = datetime(2026, 11, 28, 19, 5, 7, 123456, tzinfo=ZoneInfo("UTC"))
    with timezone.override(ZoneInfo("America/New_York")):
        assert iso(moment) == "2026-11-28T14:05:07-05:00"
    assert iso(date(2026, 11, 28)) == "2026-11-28"
    assert iso("yesterday") == ""


def test_a_moment_of_today_is_placed_with_its_time_and_an_older_one_with_its_day():
    with timezone.override(ZoneInfo("UTC")):
        now = timezone.localtime().replace(hour=19, minute=5)
        assert format_placed(now) == "Today, 7:05 PM UTC"
        older = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("UTC"))
        assert format_placed(older) == "Nov 26, 2026"


def test_the_filters_the_templates_use_are_the_formats():
    """{% load core_tags %} gives money, iso, day, placed, when and ago, each the function."""
    moment = datetime(2026, 11, 28, 19, 5, tzinfo=ZoneInfo("UTC"))
    template = Template(
        "{% load core_tags %}{{ amount|money }}|{{ moment|day }}|{{ moment|when }}|"
        "{{ moment|iso }}|{{ moment|placed }}|{{ moment|ago }}"
    )
    with timezone.override(ZoneInfo("UTC")):
        html = template.render(Context({"amount": Decimal("1234.5"), "moment": moment}))

    *fields, ago = html.split("|")
    assert fields == [
        "$1,234.50",
        "Nov 28, 2026",
        "Nov 28, 2026, 7:05 PM UTC",
        "2026-11-28T19:05:00+00:00",
        "Nov 28, 2026",  # placed: not today, so its day
    ]
    assert re.fullmatch(r"\d+ days?(, \d+ hours?)? ago", ago)
