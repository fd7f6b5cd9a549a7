"""The beat job that sends unanswered cases to staff, and its management command."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import call_command
from django.utils import timezone

from disputes import tasks
from disputes.models import Dispute, DisputeEvent
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def overdue(case):
    Dispute.objects.filter(pk=case.pk).update(respond_by=timezone.now() - timedelta(minutes=5))


def test_running_twice_escalates_once(open_case, mailoutbox, django_capture_on_commit_callbacks):
    """Given an overdue open case, two runs escalate it once: one event, one email per party."""
    case = open_case()
    overdue(case)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.escalate_unresponsive_disputes_task()
        second = tasks.escalate_unresponsive_disputes_task()

    assert (first, second) == (1, 0)
    case.refresh_from_db()
    assert case.status == Dispute.Status.UNDER_REVIEW and case.seller_unresponsive
    assert OrderEvent.objects.filter(type=DisputeEvent.ESCALATED).count() == 1
    assert len(mailoutbox) == 2


def test_cases_not_due_or_answered_are_left_alone(open_case):
    case = open_case()
    assert tasks.escalate_unresponsive_disputes_task() == 0
    assert Dispute.objects.get(pk=case.pk).status == Dispute.Status.OPEN


def test_works_through_more_than_one_batch(open_case, place, ship, monkeypatch):
    """A backlog larger than a batch is worked through in one run."""
    from .conftest import past_due

    monkeypatch.setattr(tasks, "ESCALATION_BATCH_SIZE", 2)
    cases = []
    for _ in range(3):
        order = ship(place())
        past_due(order)
        cases.append(open_case(order))
        overdue(cases[-1])

    assert tasks.escalate_unresponsive_disputes_task() == 3
    assert Dispute.objects.filter(seller_unresponsive=True).count() == 3


def test_a_broken_case_does_not_stop_the_others(open_case, monkeypatch):
    case = open_case()
    overdue(case)
    calls = []

    def broken(*, dispute_id, now):
        calls.append(dispute_id)
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks.services, "escalate_unresponsive", broken)

    assert tasks.escalate_unresponsive_disputes_task() == 0
    assert calls == [case.pk]


def test_a_run_out_of_time_stops_and_leaves_the_rest_to_the_next(
    open_case, place, ship, monkeypatch
):
    """At the soft time limit the run stops taking cases; the next run goes on from there."""
    from .conftest import past_due

    cases = []
    for _ in range(2):
        order = ship(place())
        past_due(order)
        cases.append(open_case(order))
        overdue(cases[-1])
    calls = []

    def out_of_time(*, dispute_id, now):
        calls.append(dispute_id)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks.services, "escalate_unresponsive", out_of_time)

    assert tasks.escalate_unresponsive_disputes_task() == 0
    assert calls == [cases[0].pk]


def test_the_management_command_runs_it_once(open_case, capsys):
    overdue(open_case())

    call_command("escalate_disputes")

    assert "Escalated 1 case." in capsys.readouterr().out
    assert Dispute.objects.get().status == Dispute.Status.UNDER_REVIEW


def test_the_beat_schedule_runs_it(settings):
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "disputes.tasks.escalate_unresponsive_disputes_task" in entries
