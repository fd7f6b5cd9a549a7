"""
The outbox delivers every message at least once, counts every failed attempt, parks
a message that keeps failing, and runs handlers with no transaction open.
"""

import logging
import threading
import time
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from notifications import outbox
from notifications.models import OutboxMessage
from notifications.tasks import deliver_outbox_messages_task
from payments import services as payments
from payments.models import SandboxCharge
from tests.payments.factories import PendingPaymentFactory

from .conftest import broker, make_due

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


class WorkerKilled(BaseException):
    """What a worker's death looks like from inside: nothing after it runs."""


def fail(payload):
    raise ValueError(f"no such template {payload['template']}")


# --- Failures count -----------------------------------------------------------------------


def test_a_handler_bug_counts_the_attempt_and_backs_off(register):
    """Given a handler that raises ValueError, the attempt is recorded and retried later."""
    register("test.bug", fail)
    message = outbox.enqueue("test.bug", {"template": "gone"})

    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error == "ValueError: no such template gone"
    assert message.available_at > timezone.now()
    assert message.pk not in outbox.pending_message_ids(limit=10)


def test_a_handler_bug_is_logged_with_its_traceback_and_message_id(register, caplog):
    register("test.bug", fail)
    message = outbox.enqueue("test.bug", {"template": "gone"})

    with caplog.at_level(logging.WARNING, logger="notifications.outbox"):
        outbox.deliver(message.pk)

    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"Outbox message {message.pk} (test.bug) attempt 1 failed" == record.getMessage()
    assert record.exc_info[0] is ValueError


def test_a_message_that_keeps_failing_is_parked_after_max_attempts(register):
    """Each attempt counts; the last one parks the message as failed, for staff."""
    register("test.bug", fail)
    message = outbox.enqueue("test.bug", {"template": "gone"})

    for _ in range(outbox.MAX_ATTEMPTS):
        assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)
    assert outbox.deliver(message.pk) is False  # parked: no more attempts
    message.refresh_from_db()
    assert message.attempts == outbox.MAX_ATTEMPTS


def test_retry_later_backs_off_exponentially_then_parks(register):
    def gateway_down(payload):
        raise outbox.RetryLater("gateway timeout")

    register("test.down", gateway_down)
    message = outbox.enqueue("test.down", {})

    waits = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        before = timezone.now()
        outbox.deliver(message.pk)
        message.refresh_from_db()
        waits.append(round((message.available_at - before).total_seconds() / 60))
    outbox.deliver(message.pk)

    assert waits == [1, 2, 4, 8, 16, 32, 64]
    message.refresh_from_db()
    assert (message.status, message.last_error) == (Status.FAILED, "gateway timeout")


def test_an_unknown_kind_counts_as_a_failed_attempt(register):
    """A message whose handler is gone (a deploy removed it) fails like any other."""
    register("test.gone", lambda payload: None)
    message = outbox.enqueue("test.gone", {})
    outbox._handlers.pop("test.gone")

    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error == "KeyError: 'test.gone'"


def test_a_handler_database_error_inside_a_callers_transaction_is_recorded(register):
    """Delivered inside an open transaction (an eager task), a savepoint contains the error."""

    def duplicate(payload):
        OutboxMessage.objects.create(pk=payload["pk"], kind="test.dup")

    register("test.dup", duplicate)
    message = outbox.enqueue("test.dup", {})
    OutboxMessage.objects.filter(pk=message.pk).update(payload={"pk": message.pk})

    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error.startswith("IntegrityError")


# --- Handlers ----------------------------------------------------------------------------


def test_a_handler_may_take_the_payload_only_or_the_message_id_too(register):
    seen = []
    register("test.payload", lambda payload: seen.append(payload))
    register("test.with_id", lambda payload, *, message_id: seen.append((payload, message_id)))
    first = outbox.enqueue("test.payload", {"n": 1})
    second = outbox.enqueue("test.with_id", {"n": 2})

    assert outbox.deliver(first.pk) is True
    assert outbox.deliver(second.pk) is True

    assert seen == [{"n": 1}, ({"n": 2}, second.pk)]


@pytest.mark.django_db(transaction=True)
def test_the_handler_runs_with_no_transaction_open(register):
    """A slow SMTP server or gateway must not run inside the row's transaction."""
    inside = []
    register("test.probe", lambda payload: inside.append(connection.in_atomic_block))
    message = OutboxMessage.objects.create(kind="test.probe", payload={})

    assert outbox.deliver(message.pk) is True

    assert inside == [False]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_row_is_not_locked_while_the_handler_runs(register):
    """Another connection can lock the message's row while its handler is busy."""
    outcomes = []

    def lock_from_elsewhere(message_id):
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update(nowait=True).get(pk=message_id)
            outcomes.append("locked")
        except DatabaseError as error:
            outcomes.append(error)
        finally:
            connection.close()

    def handler(payload):
        thread = threading.Thread(target=lock_from_elsewhere, args=[message.pk])
        thread.start()
        thread.join(timeout=10)

    register("test.slow", handler)
    message = OutboxMessage.objects.create(kind="test.slow", payload={})

    assert outbox.deliver(message.pk) is True

    assert outcomes == ["locked"]


# --- At least once -----------------------------------------------------------------------


def test_a_message_whose_worker_died_is_delivered_again_once_its_lease_runs_out(register):
    """Killed after the effect, before the record: skipped while leased, then redelivered."""
    effects = []

    def handler(payload):
        effects.append(payload["key"])  # e.g. a gateway call with this idempotency key
        if len(effects) == 1:
            raise WorkerKilled

    register("test.effect", handler)
    message = OutboxMessage.objects.create(kind="test.effect", payload={"key": "void:7"})

    with pytest.raises(WorkerKilled):
        outbox.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DELIVERING, 1)

    # While the lease runs, neither a repeated task nor the sweep takes it.
    assert outbox.deliver(message.pk) is False
    assert outbox.pending_message_ids(limit=10) == []
    assert effects == ["void:7"]

    make_due(message)  # the lease ran out
    assert outbox.pending_message_ids(limit=10) == [message.pk]
    assert outbox.deliver(message.pk) is True

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DELIVERED, 2)
    assert effects == ["void:7", "void:7"]  # same key: the gateway replays, no second effect


def test_a_lease_that_runs_out_on_the_last_attempt_parks_the_message(register):
    register("test.effect", lambda payload: None)
    message = OutboxMessage.objects.create(
        kind="test.effect", payload={}, status=Status.DELIVERING, attempts=outbox.MAX_ATTEMPTS
    )
    make_due(message)

    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)
    assert message.last_error == "The worker stopped during the last attempt."


@pytest.mark.django_db(transaction=True)
def test_a_late_outcome_does_not_overwrite_the_next_claim(register):
    """A worker that outlived its lease records nothing over its successor's claim."""
    slow_worker_done = []

    def handler(payload):
        if not slow_worker_done:
            slow_worker_done.append(True)
            # Meanwhile the lease ran out and another worker claimed the message.
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=2)
            raise ValueError("late")

    register("test.slow", handler)
    message = OutboxMessage.objects.create(kind="test.slow", payload={})

    outbox.deliver(message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.DELIVERING, 2, "")


def test_a_capture_redelivered_after_a_lost_record_captures_once(monkeypatch):
    """The gateway call is keyed: a worker killed after it leaves nothing to do twice."""
    pending = PendingPaymentFactory(amount=Decimal("100.00"))
    payment = payments.authorize_payment(payment_id=pending.pk, idempotency_key="auth:1")
    payments.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )
    message = OutboxMessage.objects.get()

    execute = payments.execute_transaction

    def killed_after_the_gateway_answered(**kwargs):
        execute(**kwargs)
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(payments, "execute_transaction", killed_after_the_gateway_answered)
        with pytest.raises(WorkerKilled):
            outbox.deliver(message.pk)
    make_due(message)
    assert outbox.deliver(message.pk) is True

    charge = SandboxCharge.objects.get(reference=payment.charge_reference)
    assert charge.amount_captured == Decimal("60.00")


# --- Dispatch ----------------------------------------------------------------------------


def test_dispatch_lets_a_bug_surface(monkeypatch):
    """Only broker errors are swallowed (the sweep delivers later); a bug is not."""

    def broken(message_ids):
        raise AttributeError("'NoneType' object has no attribute 'pk'")

    monkeypatch.setattr(deliver_outbox_messages_task, "delay", broken)

    with pytest.raises(AttributeError):
        outbox._dispatch([1])


@pytest.mark.django_db(transaction=True)
def test_messages_left_to_the_sweep_are_not_published_one_by_one(register, monkeypatch):
    """
    Given a bulk writer inside ``left_to_the_sweep()``, its committed messages are not
    published (they stay pending for the sweep); after the block, publishing resumes.
    """
    from notifications.tasks import deliver_pending_outbox_task

    published, delivered = [], []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: delivered.append(payload))

    with outbox.left_to_the_sweep(), transaction.atomic():
        quiet = [outbox.enqueue("test.effect", {"n": n}) for n in range(3)]
    assert published == []
    with transaction.atomic():
        loud = outbox.enqueue("test.effect", {"n": 3})
    assert published == [[loud.pk]]

    make_due(*quiet)
    deliver_pending_outbox_task()

    assert sorted(payload["n"] for payload in delivered) == [0, 1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_change_commits_and_the_sweep_delivers_later(
    register, closed_port
):
    from notifications.tasks import deliver_pending_outbox_task

    delivered = []
    register("test.effect", lambda payload: delivered.append(payload))

    with broker(closed_port), transaction.atomic():
        message = outbox.enqueue("test.effect", {"n": 1})

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert delivered == []

    assert deliver_pending_outbox_task() == 1
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert delivered == [{"n": 1}]


def run_with_deadline(function, seconds):
    """Run ``function`` in a thread; return (seconds it took, what it raised), or fail."""
    outcome = {}

    def run():
        started = time.monotonic()
        try:
            function()
        except BaseException as error:  # reported to the test
            outcome["error"] = error
        finally:
            outcome["elapsed"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), f"still waiting for the broker after {seconds} s"
    return outcome["elapsed"], outcome.get("error")


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_never_answers_delays_a_commit_by_less_than_3_seconds(
    register, silent_broker
):
    """Redis accepts the connection and says nothing: the commit still answers fast."""
    from notifications.tasks import deliver_pending_outbox_task

    delivered = []
    register("test.effect", lambda payload: delivered.append(payload))

    def commit_three_messages():
        with transaction.atomic():
            for n in range(3):  # a cancellation queues a void and two emails
                outbox.enqueue("test.effect", {"n": n})

    with broker(silent_broker):
        elapsed, error = run_with_deadline(commit_three_messages, seconds=15)

    assert error is None
    assert elapsed < 3
    assert (
        list(OutboxMessage.objects.values_list("status", "attempts")) == [(Status.PENDING, 0)] * 3
    )
    # Once the broker is back, beat runs the sweep.
    assert deliver_pending_outbox_task() == 3
    assert delivered == [{"n": 0}, {"n": 1}, {"n": 2}]


# --- Batches -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_written_at_once_and_published_as_one_task(register, monkeypatch):
    """
    Given three messages enqueued in one ``batch()``, they are written together as the
    block ends (no pk before), and one task carries all three after commit.
    """
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: None)

    with transaction.atomic():
        with outbox.batch():
            messages = [outbox.enqueue("test.effect", {"n": n}) for n in range(3)]
            with outbox.batch():  # a nested block joins the outer one
                messages.append(outbox.enqueue("test.effect", {"n": 3}))
            assert [message.pk for message in messages] == [None] * 4
            assert not OutboxMessage.objects.exists()
        assert published == []  # not before commit

    ids = [message.pk for message in messages]
    assert published == [ids]
    assert list(OutboxMessage.objects.values_list("pk", "payload__n")) == list(
        zip(ids, range(4), strict=True)
    )


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_raises_writes_nothing(register, monkeypatch):
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: None)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), outbox.batch():
        outbox.enqueue("test.effect", {"n": 1})
        raise Refused

    assert not OutboxMessage.objects.exists()
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_the_task_of_a_batch_delivers_each_message(register, monkeypatch):
    published, delivered = [], []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: delivered.append(payload["n"]))
    with outbox.batch():
        for n in range(3):
            outbox.enqueue("test.effect", {"n": n})

    (message_ids,) = published
    assert deliver_outbox_messages_task(message_ids) == 3
    assert delivered == [0, 1, 2]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.DELIVERED}


# --- Gathered publishes (a beat job's run) ------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_gathered_transactions_are_published_together_when_the_block_ends(register, monkeypatch):
    """
    Given three transactions committed inside ``gathered()``: nothing is published until
    the block ends, then one task carries the messages of all three.
    """
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: None)

    with outbox.gathered():
        for n in range(3):
            with transaction.atomic(), outbox.batch():
                outbox.enqueue("test.effect", {"n": n})
                outbox.enqueue("test.effect", {"n": n})
        with outbox.gathered(), transaction.atomic():  # a nested block joins the outer one
            outbox.enqueue("test.effect", {"n": 3})
        assert published == []

    assert published == [list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))]
    assert len(published[0]) == 7


@pytest.mark.django_db(transaction=True)
def test_gathered_publishes_every_hundred_messages_and_the_rest_at_the_end(register, monkeypatch):
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    monkeypatch.setattr(outbox, "GATHER_EVERY", 4)
    register("test.effect", lambda payload: None)

    with outbox.gathered():
        for n in range(5):
            with transaction.atomic(), outbox.batch():
                outbox.enqueue("test.effect", {"n": n})
                outbox.enqueue("test.effect", {"n": n})
        assert [len(ids) for ids in published] == [4, 4]

    assert [len(ids) for ids in published] == [4, 4, 2]
    ids = [message_id for task in published for message_id in task]
    assert sorted(ids) == sorted(OutboxMessage.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_what_a_gathered_block_committed_is_published_even_when_it_raises(register, monkeypatch):
    """A run stopped by an error publishes what it committed, not what was rolled back."""
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)
    register("test.effect", lambda payload: None)

    class Stop(Exception):
        pass

    with pytest.raises(Stop), outbox.gathered():
        with transaction.atomic():
            kept = outbox.enqueue("test.effect", {"n": 1})
        with transaction.atomic():
            outbox.enqueue("test.effect", {"n": 2})
            raise Stop

    assert published == [[kept.pk]]
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [kept.pk]
