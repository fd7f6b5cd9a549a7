"""
The system's cancellations, for the beat jobs (``tasks.py``).

Each writer runs in its own short transaction: it takes its orders' locks without
waiting (``orders.jobs``; a held order is left for the next run), re-checks its rule on
the locked rows with the clock it was given, and acts through ``cancel_locked_items``
(``cancel_items`` on the rows it locked) with actor "system", like every other
cancellation. The auto-cancel sweep takes its orders a hundred at a time and cancels
them together (``auto_cancel_batch``: the same code with more orders); the payment
timeout and the request deadline go one order or request at a time. Each returns
what it did, so a run can count, and a second run finds nothing left.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Exists, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.jobs import auto_cancel_at, lock_due_orders, lock_order_if_free, overdue_orders
from orders.models import Order, OrderLine, OrderStatus
from orders.services import (
    AUTHORIZATION_RETRY,
    authorization_key,
    payment_revision_deadline,
    record_authorization,
)
from payments import services as payments

from . import events, notifications
from .models import Cancellation, CancellationRequest, Reason
from .rules import requested_units
from .services.cancel import CancelAsk, cancel_in_batch, cancel_locked_items
from .services.common import CancellationError, LockedRequest, lock_request

logger = logging.getLogger(__name__)


def _open_units(order: Order, lines: list[OrderLine], *, reason: str, key: str) -> CancelAsk:
    """Every open unit of the order, cancelled by the system."""
    return CancelAsk(
        order,
        lines,
        quantities={line.pk: line.quantity_open for line in lines if line.quantity_open},
        reason=reason,
        actor=Actor.system(),
        idempotency_key=key,
    )


def _cancel_open_units(
    order: Order, lines: list[OrderLine], *, reason: str, key: str
) -> Cancellation:
    ask = _open_units(order, lines, reason=reason, key=key)
    return cancel_locked_items(
        order,
        lines,
        quantities=ask.quantities,
        reason=reason,
        actor=ask.actor,
        idempotency_key=key,
    )


# --- Auto-cancel for shipping delay ------------------------------------------------------
# Orders the sweep takes per transaction: a dozen statements for the batch instead of a
# dozen per order, and a batch's locks held for well under a second.
SWEEP_BATCH = 100


def auto_cancel_batch(
    *, now: datetime, after: int = 0, queryset: QuerySet[Order] | None = None
) -> tuple[int, int] | None:
    """
    One transaction of the sweep: the next SWEEP_BATCH overdue orders after id ``after``
    that no one else holds, locked with their lines (``lock_due_orders``), each
    re-checked under the lock and cancelled together (``cancel_in_batch``). Returns (the
    last order id taken, how many were cancelled), or None when none is left.
    """
    with transaction.atomic():
        locked = lock_due_orders(
            overdue_orders(now) if queryset is None else queryset, after=after, limit=SWEEP_BATCH
        )
        if not locked:
            return None
        done = cancel_in_batch(locked, lambda order, lines: _shipping_delay(order, lines, now))
        return locked[-1][0].pk, done


def auto_cancel_late_order(*, order_id: int, now: datetime | None = None) -> bool:
    """
    Cancel every unshipped unit of an order past ship-by + AUTO_CANCEL_AFTER_DAYS, as
    "Shipping delay" (counts against the seller): released or refunded, restocked,
    buyer and seller told. The sweep's batch with this one order; False when it is not
    due, or someone else holds it.
    """
    now = now or timezone.now()
    step = auto_cancel_batch(now=now, queryset=Order.objects.filter(pk=order_id))
    return step is not None and step[1] == 1


def _shipping_delay(order: Order, lines: list[OrderLine], now: datetime) -> CancelAsk | None:
    """The rule, on the locked rows: awaiting shipment, past its auto-cancel time, units open."""
    due = order.awaiting_shipment and auto_cancel_at(order) < now
    if not due or not any(line.quantity_open for line in lines):
        return None
    return _open_units(order, lines, reason=Reason.SHIPPING_DELAY, key=f"shipping-delay:{order.pk}")


# --- Payment timeout -----------------------------------------------------------------------
def unpaid_orders(now: datetime) -> QuerySet[Order]:
    """
    Orders whose payment never completed in PAYMENT_REVISE_DAYS: declined and not
    revised, or still waiting for an authorization whose outbox retry was given up
    (parked), so no retry is in flight that could still authorize it.
    """
    cutoff = now - timedelta(days=settings.PAYMENT_REVISE_DAYS)
    retry_in_flight = (
        OutboxMessage.objects.filter(
            kind=AUTHORIZATION_RETRY,
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.DELIVERING],
        )
        .annotate(order_ref=Cast(KT("payload__order_id"), BigIntegerField()))
        .filter(order_ref=OuterRef("pk"))
    )
    return Order.objects.filter(
        status__in=[OrderStatus.PAYMENT_FAILED, OrderStatus.PENDING_PAYMENT],
        placed_at__lt=cutoff,
    ).exclude(Exists(retry_in_flight))


def cancel_unpaid_order(*, order_id: int, now: datetime | None = None) -> bool:
    """
    Cancel an order whose payment did not complete within PAYMENT_REVISE_DAYS, as
    "Payment not completed" (not counted against the seller); its stock goes back.

    An order still pending payment first has its authorization looked up at the
    gateway by its key (outside any transaction): if the gateway did authorize it
    after all, that answer is recorded and the order goes on instead of being cancelled.
    """
    now = now or timezone.now()
    unlocked = (
        Order.objects.filter(pk=order_id).values("status", "payment_id", "payment_attempts").first()
    )
    if unlocked and unlocked["status"] == OrderStatus.PENDING_PAYMENT:
        key = authorization_key(order_id, unlocked["payment_attempts"])
        payment = payments.recover_authorization(
            payment_id=unlocked["payment_id"], idempotency_key=key
        )
        if payment.status != payment.Status.PENDING:
            record_authorization(order_id=order_id, idempotency_key=key)
    with transaction.atomic():
        locked = lock_order_if_free(order_id)
        if locked is None:
            return False
        order, lines = locked
        waiting = order.status in (OrderStatus.PAYMENT_FAILED, OrderStatus.PENDING_PAYMENT)
        if not waiting or payment_revision_deadline(order) >= now:
            return False
        if order.status == OrderStatus.PENDING_PAYMENT and not unpaid_orders(now).filter(
            pk=order.pk
        ):
            return False  # a retry was queued meanwhile: it decides
        _cancel_open_units(
            order, lines, reason=Reason.PAYMENT_NOT_COMPLETED, key=f"unpaid:{order.pk}"
        )
        return True


# --- Request deadline ------------------------------------------------------------------------
def overdue_requests(now: datetime) -> QuerySet[CancellationRequest]:
    cutoff = now - timedelta(hours=settings.CANCELLATION_REQUEST_RESPONSE_HOURS)
    return CancellationRequest.objects.filter(
        status=CancellationRequest.Status.PENDING, created_at__lt=cutoff
    )


def answer_overdue_request(*, request_id: int, now: datetime | None = None) -> bool:
    """
    A request the seller left unanswered for CANCELLATION_REQUEST_RESPONSE_HOURS is
    approved automatically when every unit asked about is still unshipped ("Buyer
    cancelled", not counted against the seller), and closed otherwise; both are told.
    """
    now = now or timezone.now()
    with transaction.atomic():
        try:
            locked = lock_request(request_id, skip_locked=True)
        except Order.DoesNotExist:
            return False  # someone holds the order: the next run answers it
        if not locked.still_pending or locked.request.response_due_at() >= now:
            return False
        if _auto_approve(locked):
            # cancel_locked_items already told both what was cancelled, and why.
            events.request_auto_approved(locked.request)
            return True
        locked.request.close(note="Some of the items shipped before the request was answered.")
        locked.request.save()
        events.request_closed(locked.request)
        notifications.request_closed(locked.request, locked.lines)
        return True


def _auto_approve(locked: LockedRequest) -> bool:
    """
    Cancel the units asked about, when every one is still open, and approve the request;
    False when some shipped, or the cancellation was refused: the request is closed then.
    """
    order, lines, pending = locked.order, locked.lines, locked.request
    asked = requested_units(pending)
    open_by_line = {line.pk: line.quantity_open for line in lines}
    if not order.is_cancellable_state or any(
        qty > open_by_line.get(line_id, 0) for line_id, qty in asked.items()
    ):
        return False
    try:
        # A savepoint: on a refusal this run goes on to close the request.
        with transaction.atomic():
            cancel_locked_items(
                order,
                lines,
                quantities=asked,
                reason=Reason.BUYER_CANCELLED,
                actor=Actor.system(),
                request=pending,
                idempotency_key=f"request-deadline:{pending.pk}",
            )
    except CancellationError as refusal:
        # The money did not add up (logged by cancel_locked_items): close rather than
        # leave the buyer waiting; staff see the log.
        logger.error("Request %s could not be auto-approved: %s", pending.pk, refusal)
        return False
    pending.auto_approve()
    pending.save()
    return True
