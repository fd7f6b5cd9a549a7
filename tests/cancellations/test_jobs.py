"""
The beat jobs that cancel (cancellations/jobs.py, cancellations/tasks.py), each at
its time boundaries with a clock the test holds (``now=``), run twice in a row, and
through its management command. Concurrency: test_jobs_race.py.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from cancellations import jobs, tasks
from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services.requests import request_cancellation
from catalog.models import Listing
from notifications.models import OutboxMessage
from orders import tasks as order_tasks
from orders.actors import Actor
from orders.models import OrderEvent, OrderStatus
from orders.services import AUTHORIZATION_RETRY
from payments.gateway import get_gateway, inject_timeouts
from payments.models import Payment
from tests.factories import DECLINED_CARD, ListingFactory

from .conftest import age, ship

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]

MINUTE = timedelta(minutes=1)


def overdue_at(order):
    return order.ship_by + timedelta(days=7)


# --- Auto-cancel for shipping delay --------------------------------------------------------
@pytest.mark.parametrize("first", ["delay notice", "auto-cancel"])
def test_an_order_due_for_auto_cancel_gets_the_cancellation_only(
    first, place, django_capture_on_commit_callbacks, mailoutbox
):
    """
    Given an order past its auto-cancel time that was never told it is late (a beat
    outage, or a fresh demo database), whichever job runs first, buyer and seller get the
    cancellation and no delay notice promising a date already passed.
    """
    order = age(place(), days=9)
    mailoutbox.clear()  # the order confirmation
    run = {
        "delay notice": order_tasks.send_delay_notices_task,
        "auto-cancel": tasks.auto_cancel_late_orders_task,
    }
    second = next(name for name in run if name != first)

    with django_capture_on_commit_callbacks(execute=True):
        run[first]()
        run[second]()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.late_notified_at is None
    assert not order.events.filter(type=OrderEvent.Type.LATE).exists()
    subjects = [mail.subject for mail in mailoutbox]
    assert subjects and all("late" not in subject.lower() for subject in subjects), subjects
    assert sorted(to for mail in mailoutbox for to in mail.to) == [
        "bea@example.com",
        "sam@example.com",
    ]


def test_auto_cancel_waits_until_seven_days_past_ship_by(place, settings):
    """Unshipped: nothing at ship-by + 7 days; a minute later it is cancelled."""
    order = place()
    settings.AUTO_CANCEL_AFTER_DAYS = 7

    assert jobs.auto_cancel_late_order(order_id=order.pk, now=overdue_at(order)) is False
    assert jobs.auto_cancel_late_order(order_id=order.pk, now=overdue_at(order) + MINUTE)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.reason == Reason.SHIPPING_DELAY
    assert cancellation.initiator == "system"
    assert cancellation.counts_against_seller is True


def test_auto_cancel_cancels_only_the_unshipped_units_and_restocks_them(
    place, seller, django_capture_on_commit_callbacks, mailoutbox
):
    listing = ListingFactory(seller=seller, stock=10, price="12.50")
    order = place({listing: 3})
    line = order.lines.get()
    ship(order, seller, {line.pk: 1})
    age(order, days=10)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.auto_cancel_late_orders_task()
        second = tasks.auto_cancel_late_orders_task()

    assert (first, second) == (1, 0)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # all that is left has shipped
    assert (line.quantity_shipped, line.quantity_cancelled) == (1, 2)
    assert Listing.objects.get(pk=listing.pk).stock == 9  # 10 - 3 + 2
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_voided == Decimal("25.00")
    assert sorted(m.to[0] for m in mailoutbox) == ["bea@example.com", "sam@example.com"]


def test_auto_cancel_leaves_shipped_and_on_time_orders_alone(place, seller):
    on_time = place()
    shipped = age(place(), days=10)
    ship(shipped, seller, {line.pk: line.quantity for line in shipped.lines.all()})

    assert tasks.auto_cancel_late_orders_task() == 0
    assert not Cancellation.objects.filter(order__in=[on_time, shipped]).exists()


# --- Payment timeout ----------------------------------------------------------------------
def test_a_declined_order_is_cancelled_once_the_revision_window_has_passed(place, settings):
    order = place(card=DECLINED_CARD)
    assert order.status == OrderStatus.PAYMENT_FAILED
    deadline = order.placed_at + timedelta(days=settings.PAYMENT_REVISE_DAYS)

    assert jobs.cancel_unpaid_order(order_id=order.pk, now=deadline) is False
    assert jobs.cancel_unpaid_order(order_id=order.pk, now=deadline + MINUTE)
    assert jobs.cancel_unpaid_order(order_id=order.pk, now=deadline + MINUTE) is False

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.reason == Reason.PAYMENT_NOT_COMPLETED
    assert cancellation.counts_against_seller is False
    listing = order.lines.get().listing
    assert Listing.objects.get(pk=listing.pk).stock == 10  # released


def test_a_pending_order_whose_authorization_retry_was_parked_is_cancelled(place):
    """The gateway never answered and the outbox gave up: the reserved stock goes back."""
    with inject_timeouts(2):  # checkout, and the retry dispatched on commit
        order = place()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    retry = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)
    now = timezone.now() + timedelta(days=4)

    assert not jobs.unpaid_orders(now).filter(pk=order.pk).exists()  # retry still in flight
    OutboxMessage.objects.filter(pk=retry.pk).update(status=OutboxMessage.Status.FAILED)
    assert jobs.unpaid_orders(now).filter(pk=order.pk).exists()

    assert jobs.cancel_unpaid_order(order_id=order.pk, now=now)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Cancellation.objects.get(order=order).reason == Reason.PAYMENT_NOT_COMPLETED


def test_a_parked_authorization_the_gateway_did_make_is_recorded_not_cancelled(place):
    """Looked up by its key first: the hold exists, so the order goes on to the seller."""
    with inject_timeouts(2):
        order = place()
    retry = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)
    # The gateway did authorize; its answer was lost on the way back.
    payment = Payment.objects.get(pk=order.payment_id)
    get_gateway().authorize(
        amount=payment.amount,
        payment_method=payment.payment_method,
        idempotency_key=retry.payload["idempotency_key"],
    )
    OutboxMessage.objects.filter(pk=retry.pk).update(status=OutboxMessage.Status.FAILED)

    assert (
        jobs.cancel_unpaid_order(order_id=order.pk, now=timezone.now() + timedelta(days=4)) is False
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.UNSHIPPED
    assert not Cancellation.objects.filter(order=order).exists()


# --- Request deadline ---------------------------------------------------------------------
@pytest.fixture
def requested(place, buyer):
    def make():
        order = age(place(), hours=1)  # past the direct-cancel window: a request
        line = order.lines.get()
        request = request_cancellation(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )
        return order, line, request

    return make


def test_an_unanswered_request_is_approved_automatically_after_48_hours(
    requested, mailoutbox, django_capture_on_commit_callbacks
):
    order, line, request = requested()
    due = request.response_due_at()
    mailoutbox.clear()

    assert jobs.answer_overdue_request(request_id=request.pk, now=due) is False
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.answer_overdue_request(request_id=request.pk, now=due + MINUTE)
    assert jobs.answer_overdue_request(request_id=request.pk, now=due + MINUTE) is False

    request.refresh_from_db()
    line.refresh_from_db()
    assert request.status == CancellationRequest.Status.AUTO_APPROVED
    assert line.quantity_cancelled == 1
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.reason == Reason.BUYER_CANCELLED
    assert cancellation.request == request
    assert cancellation.counts_against_seller is False
    assert order.events.filter(type=OrderEvent.Type.CANCELLATION_REQUEST_AUTO_APPROVED).count() == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["bea@example.com", "sam@example.com"]


def test_an_unanswered_request_whose_items_shipped_is_closed(
    requested, seller, mailoutbox, django_capture_on_commit_callbacks
):
    order, line, request = requested()
    ship(order, seller, {line.pk: line.quantity})
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.answer_overdue_request(
            request_id=request.pk, now=request.response_due_at() + MINUTE
        )

    request.refresh_from_db()
    assert request.status == CancellationRequest.Status.CLOSED
    assert not Cancellation.objects.filter(order=order).exists()
    assert order.events.filter(type=OrderEvent.Type.CANCELLATION_REQUEST_CLOSED).count() == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["bea@example.com", "sam@example.com"]
    assert "closed" in mailoutbox[0].subject


def test_the_task_answers_only_overdue_requests(requested):
    _order, _line, fresh = requested()
    assert tasks.answer_overdue_requests_task() == 0
    CancellationRequest.objects.filter(pk=fresh.pk).update(
        created_at=timezone.now() - timedelta(hours=49)
    )
    assert tasks.answer_overdue_requests_task() == 1
    assert tasks.answer_overdue_requests_task() == 0


# --- Commands, batches --------------------------------------------------------------------
@pytest.mark.parametrize(
    "command", ["auto_cancel_late_orders", "cancel_unpaid_orders", "answer_overdue_requests"]
)
def test_each_management_command_runs_its_job_once(command, capsys):
    call_command(command)
    assert ": 0." in capsys.readouterr().out


def test_a_backlog_larger_than_a_batch_is_worked_through_in_one_run(place, monkeypatch):
    monkeypatch.setattr(jobs, "SWEEP_BATCH", 2)
    for _ in range(5):
        age(place(), days=10)
    assert tasks.auto_cancel_late_orders_task() == 5


def test_one_broken_order_does_not_stop_the_others(place, monkeypatch, caplog):
    """
    Given a batch of three due orders, one of whose emails cannot be written, the batch
    fails whole and falls back to one order at a time: the two others are cancelled,
    the broken one is left (logged) for the next run, with nothing of it written.
    """
    from cancellations.services import cancel as cancel_module

    orders = [age(place(), days=10) for _ in range(3)]
    real = cancel_module.notifications.items_cancelled

    def broken_second(cancellation, **kwargs):
        if cancellation.order_id == orders[1].pk:
            raise RuntimeError("boom")
        return real(cancellation, **kwargs)

    monkeypatch.setattr(cancel_module.notifications, "items_cancelled", broken_second)
    assert tasks.auto_cancel_late_orders_task() == 2

    cancelled = set(Cancellation.objects.values_list("order_id", flat=True))
    assert cancelled == {orders[0].pk, orders[2].pk}
    broken = orders[1]
    broken.refresh_from_db()
    assert broken.status == OrderStatus.UNSHIPPED
    assert broken.lines.get().quantity_cancelled == 0
    assert not broken.events.filter(type=OrderEvent.Type.ITEMS_CANCELLED).exists()
    assert "one order at a time" in caplog.text
    assert f"Order {broken.pk} could not be cancelled" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_run_publishes_its_orders_messages_together_not_one_task_per_order(place, monkeypatch):
    """Three overdue orders: a void and two emails each, committed order by order, one task."""
    from notifications.tasks import deliver_outbox_messages_task

    orders = [age(place(), days=10) for _ in range(3)]
    published = []
    monkeypatch.setattr(deliver_outbox_messages_task, "delay", published.append)

    assert tasks.auto_cancel_late_orders_task() == 3

    (message_ids,) = published
    assert sorted(message_ids) == sorted(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    assert len(message_ids) == 3 * len(orders)
