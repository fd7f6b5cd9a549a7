"""The sweep delivers what is due, a batch at a time, and one bad message stops nothing."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from notifications import outbox, tasks
from notifications.models import OutboxMessage
from notifications.tasks import deliver_pending_outbox_task

from .conftest import make_due

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


@pytest.fixture
def effects(register):
    delivered = []

    def record(payload):
        delivered.append(payload["n"])

    def poison(payload):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    register("test.effect", record)
    register("test.poison", poison)
    return delivered


def messages(*kinds):
    return [
        OutboxMessage.objects.create(kind=kind, payload={"n": n}) for n, kind in enumerate(kinds)
    ]


def test_a_poison_message_does_not_stop_the_messages_behind_it(effects):
    """Given a message whose handler raises, the sweep still delivers every other one."""
    poison, _, _ = messages("test.poison", "test.effect", "test.effect")

    assert deliver_pending_outbox_task() == 2

    assert effects == [1, 2]
    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (Status.PENDING, 1)


def test_a_poison_message_is_parked_after_max_attempts_while_the_others_deliver(effects):
    poison, first = messages("test.poison", "test.effect")

    for run in range(outbox.MAX_ATTEMPTS):
        if run == 1:
            (second,) = messages("test.effect")  # new business keeps flowing meanwhile
        deliver_pending_outbox_task()
        make_due(poison)  # its back-off passes before the next run

    poison.refresh_from_db()
    assert (poison.status, poison.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)
    assert "TypeError" in poison.last_error
    assert effects == [1, 0]
    assert set(
        OutboxMessage.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {Status.DELIVERED}
    assert deliver_pending_outbox_task() == 0  # parked for staff, no longer swept


def test_an_outbox_error_on_one_message_is_logged_and_the_sweep_goes_on(
    effects, monkeypatch, caplog
):
    """Even a failure outside the handler (the database, a bug) is isolated per message."""
    first, _ = messages("test.effect", "test.effect")
    deliver = outbox.deliver

    def flaky(message_id):
        if message_id == first.pk:
            raise RuntimeError("server closed the connection unexpectedly")
        return deliver(message_id)

    monkeypatch.setattr(outbox, "deliver", flaky)

    assert deliver_pending_outbox_task() == 1

    assert effects == [1]
    assert f"Outbox sweep: could not handle {first.pk}" in caplog.text


def test_the_sweep_takes_only_messages_that_are_due(effects):
    """Back-off and a live lease keep a message out of the sweep; delivered ones too."""
    due, backing_off, leased, delivered = messages(*["test.effect"] * 4)
    backing_off.available_at = leased.available_at = due.available_at + timedelta(minutes=4)
    backing_off.save()
    leased.status = Status.DELIVERING
    leased.save()
    OutboxMessage.objects.filter(pk=delivered.pk).update(status=Status.DELIVERED)

    assert deliver_pending_outbox_task() == 1

    assert effects == [0]


def test_the_sweep_delivers_a_batch_at_a_time_oldest_first(effects, monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH_SIZE", 2)
    messages(*["test.effect"] * 5)

    assert deliver_pending_outbox_task() == 2
    assert effects == [0, 1]
    assert deliver_pending_outbox_task() == 2
    assert deliver_pending_outbox_task() == 1
    assert effects == [0, 1, 2, 3, 4]


def test_the_sweep_stops_at_its_soft_time_limit_and_leaves_the_rest_due(effects, monkeypatch):
    """Out of time, the sweep stops taking messages; the ones it did not reach stay pending."""
    _, second, third = messages("test.effect", "test.effect", "test.effect")
    deliver = outbox.deliver

    def out_of_time_on_the_second(message_id):
        if message_id == second.pk:
            raise SoftTimeLimitExceeded()
        return deliver(message_id)

    monkeypatch.setattr(outbox, "deliver", out_of_time_on_the_second)

    assert deliver_pending_outbox_task() == 1
    assert effects == [0]
    assert OutboxMessage.objects.get(pk=third.pk).status == Status.PENDING
