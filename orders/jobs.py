"""
What the beat jobs do to orders.

A job reads the ids of due rows and hands each to a writer (``core.jobs``) that runs in
its own short transaction (the auto-cancel sweep takes its orders a batch at a time
instead: ``lock_due_orders``): it takes the order's lock without waiting
(``lock_order_if_free``: an order another transaction holds, a buyer cancelling or a
second run of the same job, is skipped and seen again by the next run), re-checks the
rule on the locked rows, acts, and writes the audit row. So a job may run twice at once,
or be redelivered after a worker died, and still does nothing twice.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import events, notifications
from .models import SHIPPABLE_STATES, Order, OrderLine
from .services import lock_order


def lock_order_if_free(order_id: int) -> tuple[Order, list[OrderLine]] | None:
    """
    In the caller's transaction: ``lock_order`` if no one else holds the order, else
    None at once (``skip_locked``), so a job never queues behind a person's request
    or another run of itself.
    """
    try:
        return lock_order(order_id, skip_locked=True)
    except Order.DoesNotExist:
        return None


def lock_due_orders(
    queryset: QuerySet[Order], *, after: int, limit: int
) -> list[tuple[Order, list[OrderLine]]]:
    """
    In the caller's transaction: the next ``limit`` orders of ``queryset`` after id
    ``after``, in id order, that no one else holds (``skip_locked``: a second run of the
    job at once takes the next ones, never these), locked with their payment, buyer and
    seller read; then all their lines, locked in id order in one more statement. The
    caller re-checks its rule on the locked rows (``queryset`` was read before the locks).
    """
    orders = list(
        queryset.filter(pk__gt=after)
        .order_by("pk")
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("payment", "buyer", "seller__user")[:limit]
    )
    if not orders:
        return []
    by_id = {order.pk: order for order in orders}
    lines: dict[int, list[OrderLine]] = {order.pk: [] for order in orders}
    for line in OrderLine.objects.select_for_update().filter(order__in=orders).order_by("pk"):
        line.order = by_id[line.order_id]
        lines[line.order_id].append(line)
    return [(order, lines[order.pk]) for order in orders]


# --- Delay notice ----------------------------------------------------------------------
def late_orders_to_notify(now: datetime) -> QuerySet[Order]:
    """
    Late orders not yet told, whose auto-cancel is still ahead: an order already due for
    it gets the cancellation only, never a notice promising a date that has passed.
    """
    return Order.objects.late(now).filter(
        late_notified_at__isnull=True,
        ship_by__gt=now - timedelta(days=settings.AUTO_CANCEL_AFTER_DAYS),
    )


def send_delay_notice(*, order_id: int, now: datetime | None = None) -> bool:
    """
    Tell the buyer (who may now cancel at no cost) and the seller, once, that an order
    is past its ship-by date with units unshipped. Returns whether it did. An order
    whose auto-cancel is already due gets no notice: the auto-cancel tells both parties,
    whichever job runs first.

    ``late_notified_at`` set under the order's lock is the mark: a second run, a
    redelivered task or a concurrent worker finds it set and sends nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_order_if_free(order_id)
        if locked is None:
            return False
        order, lines = locked
        open_units = sum(line.quantity_open for line in lines)
        if order.late_notified_at or not order.is_late(now) or not open_units:
            return False
        if auto_cancel_at(order) <= now:
            return False
        Order.objects.filter(pk=order.pk).update(late_notified_at=now)
        order.late_notified_at = now
        events.delay_notice_sent(order, open_units=open_units, auto_cancel_at=auto_cancel_at(order))
        notifications.order_late(order, lines, auto_cancel_at(order))
        return True


def auto_cancel_at(order: Order) -> datetime:
    """When the system cancels what is still unshipped (docs/DESIGN.md §6)."""
    return order.ship_by + timedelta(days=settings.AUTO_CANCEL_AFTER_DAYS)


def overdue_orders(now: datetime) -> QuerySet[Order]:
    """Orders still open for shipment past ship-by + AUTO_CANCEL_AFTER_DAYS."""
    cutoff = now - timedelta(days=settings.AUTO_CANCEL_AFTER_DAYS)
    return Order.objects.filter(status__in=SHIPPABLE_STATES, ship_by__lt=cutoff)
