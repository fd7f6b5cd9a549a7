"""
The beat jobs under real concurrency on PostgreSQL: each thread has its own
connection, so the row locks (and ``skip_locked``) are what keep every order handled
once. Interleavings are forced with events, never sleeps: one side is paused while it
holds the order's lock, the other runs, then the first is let go.
"""

import contextlib
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from cancellations import jobs, tasks
from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services.cancel import cancel_items
from cancellations.services.requests import request_cancellation
from core import jobs as core_jobs
from notifications.models import OutboxMessage
from orders import jobs as order_jobs
from orders import services as order_services
from orders import tasks as order_tasks
from orders.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import OrderError, confirm_shipment, place_orders
from payments.models import Payment, SandboxCharge
from tests.factories import ADDRESS, DECLINED_CARD, GOOD_CARD, ListingFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def place(buyer, seller, *, card=GOOD_CARD, quantity=2):
    listing = ListingFactory(seller=seller, stock=10, price="12.50")
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=card
    )
    return order


def overdue(order, days=10):
    Order.objects.filter(pk=order.pk).update(
        placed_at=order.placed_at - timedelta(days=days),
        ship_by=order.ship_by - timedelta(days=days),
    )


def wait_until_someone_waits_for_a_lock(deadline=10.0):
    """Block until another connection is waiting on a row lock (the paused side holds it)."""
    end = time.monotonic() + deadline
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)  # polling a condition, not guessing a duration
    raise AssertionError("nobody queued for the lock")


def pause_inside(monkeypatch, module, name):
    """Make ``module.name`` stop (holding whatever its caller locked) until released."""
    locked, go = threading.Event(), threading.Event()
    real = getattr(module, name)

    def paused(*args, **kwargs):
        locked.set()
        assert go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, paused)
    return locked, go


# --- Two runs at once ---------------------------------------------------------------------
@contextlib.contextmanager
def every_bucket_shared(job, bucket):
    yield True


@pytest.mark.parametrize("buckets", ["claimed", "shared"])
@pytest.mark.parametrize(
    "task, setup",
    [
        ("auto_cancel", "overdue"),
        ("unpaid", "unpaid"),
        ("requests", "requests"),
        ("delay", "late"),
    ],
)
def test_two_runs_at_once_handle_each_order_once(task, setup, buckets, buyer, seller, monkeypatch):
    """
    Given 6 due orders, two runs of the same job at once handle each exactly once:
    when each claims its buckets of ids (two orders a bucket here), and when the
    claims are off and only the row locks keep them apart ("shared").
    """
    monkeypatch.setattr(core_jobs, "BUCKET_SIZE", 2)
    if buckets == "shared":
        monkeypatch.setattr(core_jobs, "_bucket_claimed", every_bucket_shared)
    orders = []
    for _ in range(6):
        order = place(buyer, seller, card=DECLINED_CARD if setup == "unpaid" else GOOD_CARD)
        if setup == "requests":
            overdue(order, days=0.1)  # past the 30-minute direct window, not late
            line = order.lines.get()
            request = request_cancellation(
                order_id=order.pk,
                quantities={line.pk: 1},
                reason=Reason.FOUND_CHEAPER,
                actor=Actor.buyer(buyer),
            )
            CancellationRequest.objects.filter(pk=request.pk).update(
                created_at=timezone.now() - timedelta(hours=49)
            )
        else:
            overdue(order, days=4 if setup == "late" else 10)
        orders.append(order)
    run = {
        "auto_cancel": tasks.auto_cancel_late_orders_task,
        "unpaid": tasks.cancel_unpaid_orders_task,
        "requests": tasks.answer_overdue_requests_task,
        "delay": order_tasks.send_delay_notices_task,
    }[task]
    mail.outbox.clear()

    first, second = run_together(run, run)

    assert first + second == 6, (first, second)
    assert run() == 0
    if task == "delay":
        assert OrderEvent.objects.filter(type=OrderEvent.Type.LATE).count() == 6
    else:
        assert Cancellation.objects.count() == 6
    assert len(mail.outbox) == 12  # buyer and seller, once per order
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED).exists()


# --- Auto-cancel racing the seller's shipment ---------------------------------------------
def ship_all(order, seller):
    line = order.lines.get()
    return confirm_shipment(
        order_id=order.pk,
        quantities={line.pk: line.quantity},
        carrier="UPS",
        tracking_number="1Z",
        actor=Actor.seller(seller.user),
    )


def test_auto_cancel_first_then_the_seller_ships_nothing(buyer, seller, monkeypatch):
    """The job holds the order when the seller confirms: the job wins, the shipment is refused."""
    order = place(buyer, seller)
    overdue(order)
    locked, go = pause_inside(monkeypatch, jobs, "cancel_in_batch")

    def seller_after_the_job_locked():
        assert locked.wait(30)
        return ship_all(order, seller)

    def release():
        assert locked.wait(30)
        wait_until_someone_waits_for_a_lock()
        go.set()

    done, shipped, _ = run_together(
        lambda: jobs.auto_cancel_late_order(order_id=order.pk),
        seller_after_the_job_locked,
        release,
    )

    assert done is True
    assert isinstance(shipped, OrderError)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert not order.shipments.exists()
    assert Payment.objects.get(pk=order.payment_id).amount_voided == Decimal("25.00")


def test_the_seller_ships_first_then_auto_cancel_does_nothing(buyer, seller, monkeypatch):
    """The seller holds the order when the job runs: the job skips it, the shipment stands."""
    order = place(buyer, seller)
    overdue(order)
    locked, go = pause_inside(monkeypatch, order_services.payments, "schedule_capture")

    def job_while_the_seller_holds_it():
        assert locked.wait(30)
        try:
            return jobs.auto_cancel_late_order(order_id=order.pk)
        finally:
            go.set()

    shipment, skipped = run_together(lambda: ship_all(order, seller), job_while_the_seller_holds_it)

    assert skipped is False
    assert not isinstance(shipment, Exception), shipment
    assert tasks.auto_cancel_late_orders_task() == 0  # the next run finds it shipped
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert not Cancellation.objects.filter(order=order).exists()


# --- Auto-cancel racing the buyer's cancellation --------------------------------------------
def buyer_cancels(order, buyer):
    line = order.lines.get()
    return cancel_items(
        order_id=order.pk,
        quantities={line.pk: line.quantity},
        reason=Reason.WOULD_NOT_ARRIVE_ON_TIME,
        actor=Actor.buyer(buyer),
    )


def test_auto_cancel_first_then_the_buyer_cancel_is_refused(buyer, seller, monkeypatch):
    order = place(buyer, seller)
    overdue(order)
    locked, go = pause_inside(monkeypatch, jobs, "cancel_in_batch")

    def buyer_after_the_job_locked():
        assert locked.wait(30)
        return buyer_cancels(order, buyer)

    def release():
        assert locked.wait(30)
        wait_until_someone_waits_for_a_lock()
        go.set()

    done, refused, _ = run_together(
        lambda: jobs.auto_cancel_late_order(order_id=order.pk),
        buyer_after_the_job_locked,
        release,
    )

    assert done is True
    assert isinstance(refused, Exception)
    (cancellation,) = Cancellation.objects.filter(order=order)
    assert cancellation.reason == Reason.SHIPPING_DELAY
    assert SandboxCharge.objects.get(
        reference=Payment.objects.get(pk=order.payment_id).charge_reference
    ).amount_voided == Decimal("25.00")


def test_the_buyer_cancels_first_then_auto_cancel_does_nothing(buyer, seller, monkeypatch):
    order = place(buyer, seller)
    overdue(order)
    from cancellations.services import cancel as cancel_module

    locked, go = pause_inside(monkeypatch, cancel_module.payments, "schedule_releases")

    def job_while_the_buyer_holds_it():
        assert locked.wait(30)
        try:
            return jobs.auto_cancel_late_order(order_id=order.pk)
        finally:
            go.set()

    cancelled, skipped = run_together(
        lambda: buyer_cancels(order, buyer), job_while_the_buyer_holds_it
    )

    assert skipped is False
    assert isinstance(cancelled, Cancellation)
    assert tasks.auto_cancel_late_orders_task() == 0
    (cancellation,) = Cancellation.objects.filter(order=order)
    assert cancellation.initiator == "buyer"
    assert cancellation.counts_against_seller is False


# --- A redelivered task (the worker died before acknowledging) -------------------------------
def test_a_redelivered_run_after_a_lost_ack_moves_no_money_and_sends_no_mail_twice(
    buyer, seller, monkeypatch
):
    """
    The worker committed the cancellation and died before acking: Redis redelivers the
    task, and the outbox messages it queued are delivered again after their lease.
    """
    order = place(buyer, seller)
    overdue(order)
    # The worker dies right after the commit: nothing was dispatched.
    monkeypatch.setattr("notifications.outbox._dispatch", lambda message_id: None)
    assert tasks.auto_cancel_late_orders_task() == 1
    monkeypatch.undo()
    queued = list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING))
    assert queued

    assert tasks.auto_cancel_late_orders_task() == 0  # the redelivered task
    from notifications import outbox

    mail.outbox.clear()
    for message in queued:
        assert outbox.deliver(message.pk) is True
        assert outbox.deliver(message.pk) is False  # its own redelivery
    assert Cancellation.objects.filter(order=order).count() == 1
    assert len(mail.outbox) == 2
    payment = Payment.objects.get(pk=order.payment_id)
    charge = SandboxCharge.objects.get(reference=payment.charge_reference)
    assert payment.amount_voided == charge.amount_voided == Decimal("25.00")


def test_order_jobs_lock_helper_skips_a_held_order(buyer, seller):
    """``lock_order_if_free`` answers at once when another transaction holds the order."""
    order = place(buyer, seller)
    locked, go = threading.Event(), threading.Event()

    def hold():
        from django.db import transaction

        with transaction.atomic():
            order_services.lock_order(order.pk)
            locked.set()
            assert go.wait(30)

    def try_it():
        from django.db import transaction

        assert locked.wait(30)
        try:
            with transaction.atomic():
                return order_jobs.lock_order_if_free(order.pk)
        finally:
            go.set()

    _, result = run_together(hold, try_it)
    assert result is None


def test_a_sweep_leaves_the_orders_someone_holds_and_takes_the_others(buyer, seller):
    """
    Given four due orders, two of which another transaction holds (a buyer at their
    confirm page), a sweep cancels the other two at once without waiting; once they are
    let go, the next sweep cancels the rest.
    """
    orders = [place(buyer, seller) for _ in range(4)]
    for order in orders:
        overdue(order)
    held = {orders[0].pk, orders[2].pk}

    def hold(locked, go):
        from django.db import transaction

        with transaction.atomic():
            for order_id in sorted(held):
                order_services.lock_order(order_id)
            locked.set()
            assert go.wait(30)

    locked, go = threading.Event(), threading.Event()

    def sweep_while_held():
        assert locked.wait(30)
        try:
            return tasks.auto_cancel_late_orders_task()
        finally:
            go.set()

    _, done = run_together(lambda: hold(locked, go), sweep_while_held)

    cancelled = set(Order.objects.filter(status=OrderStatus.CANCELLED).values_list("pk", flat=True))
    assert done == 2
    assert cancelled == {order.pk for order in orders} - held
    assert tasks.auto_cancel_late_orders_task() == len(held)


def test_two_sweeps_at_once_take_different_batches(buyer, seller, monkeypatch):
    """
    Given six due orders and batches of two, while one sweep holds its first batch (paused
    inside it), a second sweep takes the four others; the first then cancels its own two:
    each order once, none waited for.
    """
    monkeypatch.setattr(jobs, "SWEEP_BATCH", 2)
    orders = [place(buyer, seller) for _ in range(6)]
    for order in orders:
        overdue(order)
    locked, go = threading.Event(), threading.Event()
    real = jobs.cancel_in_batch
    first_batch = []

    def paused_once(batch, ask_for):
        if not locked.is_set():
            first_batch.extend(order.pk for order, _lines in batch)
            locked.set()
            assert go.wait(30)
        return real(batch, ask_for)

    monkeypatch.setattr(jobs, "cancel_in_batch", paused_once)

    def second_sweep():
        assert locked.wait(30)
        try:
            return tasks.auto_cancel_late_orders_task()
        finally:
            go.set()

    first, second = run_together(tasks.auto_cancel_late_orders_task, second_sweep)

    assert (first, second) == (2, 4)
    assert sorted(first_batch) == sorted(order.pk for order in orders)[:2]
    counts = Cancellation.objects.filter(order__in=orders).values_list("order_id", flat=True)
    assert sorted(counts) == sorted(order.pk for order in orders)
