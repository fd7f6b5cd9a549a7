"""
Every beat job runs with the same safety options (a lost worker, time limits, expiry),
and the README's beat table names every entry of the schedule, so what the README
promises about the jobs stays true.
"""

import re
from pathlib import Path

import pytest
from celery.utils.imports import symbol_by_name
from django.conf import settings

SCHEDULE = settings.CELERY_BEAT_SCHEDULE
README = Path(settings.BASE_DIR) / "README.md"


@pytest.mark.parametrize("entry", sorted(SCHEDULE))
def test_every_beat_job_survives_a_lost_worker_and_has_time_limits(entry):
    task = symbol_by_name(SCHEDULE[entry]["task"])

    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert 0 < task.soft_time_limit < task.time_limit
    # A message Redis redelivers while its task still runs would run it twice.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert task.time_limit < visibility
    assert task.retry_backoff_max < visibility


@pytest.mark.parametrize("entry", sorted(SCHEDULE))
def test_every_beat_message_expires_before_the_next_one_is_sent(entry):
    """A backlog after an outage is not run many times over (default intervals)."""
    schedule = SCHEDULE[entry]
    assert 0 < schedule["options"]["expires"] < schedule["schedule"]


def readme_beat_table() -> dict[str, str]:
    """The README's beat table: entry name -> task path, from its rows."""
    rows = re.findall(r"^\| ([a-z-]+) \| `([\w.]+)` \|", README.read_text(), re.MULTILINE)
    return dict(rows)


def test_the_readme_beat_table_lists_every_schedule_entry_and_no_other():
    expected = {name: entry["task"] for name, entry in SCHEDULE.items()}
    assert readme_beat_table() == expected
