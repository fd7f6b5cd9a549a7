"""
The set-based cancellation (cancellations/services/cancel.py ``cancel_locked_batch``) and
the auto-cancel sweep built on it: a batch costs the same statements whatever its size,
a refused order is left out, an error falls back to one order at a time, and a batch
writes the very rows and emails one order alone would.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations import jobs
from cancellations.models import Cancellation, Reason
from cancellations.services.cancel import CancelAsk, cancel_locked_batch
from catalog.models import Listing
from orders.actors import Actor
from orders.jobs import lock_due_orders
from orders.models import Order, OrderEvent, OrderStatus
from payments.models import Payment, PaymentTransaction
from tests.factories import ListingFactory

from .conftest import age

pytestmark = pytest.mark.django_db


def due_orders(place, count):
    return [age(place(), days=10) for _ in range(count)]


def statements_of_a_batch():
    with CaptureQueriesContext(connection) as queries:
        step = jobs.auto_cancel_batch(now=timezone.now())
    assert step is not None
    return step[1], len(queries)


def test_a_batch_costs_the_same_statements_for_3_orders_and_for_30(place):
    """
    Given 3 due orders, then 30 more, each sweep batch cancels all of them in the same
    handful of statements: nothing is read or written per order.
    """
    due_orders(place, 3)
    done_small, small = statements_of_a_batch()
    due_orders(place, 30)
    done_large, large = statements_of_a_batch()

    assert (done_small, done_large) == (3, 30)
    assert small == large
    assert large <= 20, large
    assert Cancellation.objects.count() == 33


def lock_all(orders):
    return lock_due_orders(Order.objects.filter(pk__in=[o.pk for o in orders]), after=0, limit=10)


def system_ask(order, lines, reason=Reason.SHIPPING_DELAY, **kwargs):
    return CancelAsk(
        order,
        lines,
        quantities={line.pk: line.quantity_open for line in lines},
        reason=reason,
        actor=Actor.system(),
        **kwargs,
    )


def test_a_refused_order_is_left_out_with_its_reason_and_the_others_are_cancelled(place, buyer):
    """
    Given three locked orders, one asked for by its buyer with "Other" and no note, the
    batch refuses that one (its reason kept) and cancels the two others.
    """
    orders = due_orders(place, 3)
    with transaction.atomic():
        locked = lock_all(orders)
        asks = [system_ask(order, lines) for order, lines in locked]
        asks[1] = CancelAsk(
            locked[1][0],
            locked[1][1],
            quantities={line.pk: 1 for line in locked[1][1]},
            reason=Reason.OTHER,
            actor=Actor.buyer(buyer),
        )
        outcome = cancel_locked_batch(asks)

    assert [c.order_id for c in outcome.cancelled] == [orders[0].pk, orders[2].pk]
    assert list(outcome.refused) == [orders[1].pk]
    assert "note" in str(outcome.refused[orders[1].pk])
    refused = Order.objects.get(pk=orders[1].pk)
    assert refused.status == OrderStatus.UNSHIPPED
    assert not Cancellation.objects.filter(order=refused).exists()


def test_money_that_does_not_add_up_for_one_order_falls_back_and_the_others_are_cancelled(
    place, caplog
):
    """
    Given three due orders, one of whose payments has nothing left to release, the batch
    fails whole, falls back to one order at a time: two cancelled, that one left (logged).
    """
    orders = due_orders(place, 3)
    bad = orders[1]
    payment = Payment.objects.get(pk=bad.payment_id)
    Payment.objects.filter(pk=payment.pk).update(amount_voided=payment.amount_authorized)

    assert jobs.auto_cancel_batch(now=timezone.now()) == (orders[-1].pk, 2)

    assert set(Cancellation.objects.values_list("order_id", flat=True)) == {
        orders[0].pk,
        orders[2].pk,
    }
    assert Order.objects.get(pk=bad.pk).status == OrderStatus.UNSHIPPED
    assert f"Order {bad.pk} left out" in caplog.text
    assert not PaymentTransaction.objects.filter(
        payment_id=bad.payment_id, kind=PaymentTransaction.Kind.VOID
    ).exists()


def test_a_status_changed_under_the_batch_is_refused_and_falls_back(place, monkeypatch):
    """
    The statuses are written guarded by each order's previous status: a row whose
    status is not the one the batch read makes the batch fail, and the fallback
    re-reads every order and cancels it from what it finds.
    """
    from cancellations.services import cancel as cancel_module

    orders = due_orders(place, 2)
    real = cancel_module._write_statuses
    calls = []

    def changed_meanwhile(planned):
        calls.append(len(planned))
        if len(calls) == 1:
            Order.objects.filter(pk=orders[0].pk).update(status=OrderStatus.PREPARING)
        return real(planned)

    monkeypatch.setattr(cancel_module, "_write_statuses", changed_meanwhile)
    assert jobs.auto_cancel_batch(now=timezone.now()) == (orders[-1].pk, 2)
    assert calls == [2, 1, 1]
    assert set(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)
    ) == {OrderStatus.CANCELLED}


def normalized(text, order):
    return text.replace(order.number, "<number>")


def test_a_batch_writes_the_rows_and_emails_one_order_alone_would(
    place, seller, django_capture_on_commit_callbacks, mailoutbox
):
    """
    Given three like orders, one cancelled alone and two in one batch, their events,
    money rows, shelves and emails are the same but for the order's number.
    """
    listing = ListingFactory(seller=seller, stock=10, price="12.50")
    orders = [age(place({listing: 2}), days=10) for _ in range(3)]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.auto_cancel_late_order(order_id=orders[0].pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.auto_cancel_batch(now=timezone.now()) == (orders[-1].pk, 2)

    def facts(order):
        event = order.events.get(type=OrderEvent.Type.ITEMS_CANCELLED)
        payload = {k: v for k, v in event.payload.items() if k != "cancellation"}
        voids = PaymentTransaction.objects.filter(payment_id=order.payment_id, kind="void")
        mails = sorted(
            (normalized(m.subject, order), normalized(m.body, order), m.to[0])
            for m in mailoutbox
            if order.number in m.subject or order.number in m.body
        )
        return (
            normalized(event.summary, order),
            event.actor_role,
            payload,
            [(v.amount, re.sub(r"\d+", "<n>", v.idempotency_key)) for v in voids],
            Order.objects.get(pk=order.pk).status,
            [line.quantity_cancelled for line in order.lines.all()],
            mails,
        )

    alone = facts(orders[0])
    assert len(alone[-1]) == 2
    assert facts(orders[1]) == alone
    assert facts(orders[2]) == alone
    assert Listing.objects.get(pk=listing.pk).stock == 10
    assert alone[3] == [(Decimal("25.00"), "void:cancellation:<n>")]


def test_the_sweep_takes_the_orders_a_batch_at_a_time(place, monkeypatch):
    """Batches of two: five due orders take three transactions, each order cancelled once."""
    monkeypatch.setattr(jobs, "SWEEP_BATCH", 2)
    orders = due_orders(place, 5)
    steps, after = [], 0
    now = timezone.now() + timedelta(seconds=1)
    while (step := jobs.auto_cancel_batch(now=now, after=after)) is not None:
        steps.append(step)
        after = step[0]
    assert [done for _last, done in steps] == [2, 2, 1]
    assert sorted(Cancellation.objects.values_list("order_id", flat=True)) == [o.pk for o in orders]
