"""
What the beat jobs do to orders, and the two habits every job shares.

A job reads the ids of due rows in keyset batches (``due_ids``: memory stays flat
however many are due) and hands each to a writer that runs in its own short
transaction: it takes the order's lock without waiting (``lock_order_if_free``: an
order another transaction holds, a buyer cancelling or a second run of the same job,
is skipped and seen again by the next run), re-checks the rule on the locked rows,
acts, and writes the audit row. So a job may run twice at once, or be redelivered
after a worker died, and still does nothing twice.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications import outbox

from . import events, notifications
from .models import SHIPPABLE_STATES, Order, OrderLine
from .services import lock_order

logger = logging.getLogger(__name__)

# Due ids read per query. Each order is handled in its own transaction, so a batch
# bounds only the ids held in memory and the number of queries spent finding work:
# 500 ints is nothing, and a backlog of 100,000 costs 200 cheap index scans.
BATCH_SIZE = 500

# The pk range two runs of a job at once split the work by (``due_ids``): claiming one
# costs three cheap queries, nothing next to up to 100 orders' work (2-4 s), and the
# runs finish within one bucket of each other. (1,000 was too coarse: a backlog of
# 1,000 orders fell in two buckets, 999 and 1, and one run did all the work.)
BUCKET_SIZE = 100


def due_ids(
    queryset: QuerySet, *, job: str | None = None, batch_size: int | None = None
) -> Iterator[int]:
    """
    The ids of ``queryset`` in pk order, ``batch_size`` at a time (keyset pagination,
    never OFFSET, never all at once). Rows that stop being due meanwhile are still
    yielded: the writer re-checks each under its lock.

    Runs of the same ``job`` at once (two workers, a second beat) share the work on
    PostgreSQL instead of walking the same ids one step apart: the pk space is cut in
    buckets of BUCKET_SIZE, and a run takes a bucket only if it gets the bucket's
    advisory lock, else moves on to the next one. The lock belongs to the connection's
    session, so it lasts across the writers' transactions; it is let go when the bucket
    is done, the run stops, or the connection dies. It only spares the runs each other's
    work: the row locks remain what makes a second run harmless.
    """
    batch_size = batch_size or BATCH_SIZE
    after = 0
    while True:
        first = queryset.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True).first()
        if first is None:
            return
        end = (first // BUCKET_SIZE + 1) * BUCKET_SIZE
        with _bucket_claimed(job, first // BUCKET_SIZE) as ours:
            while ours:
                batch = list(
                    queryset.filter(pk__gte=first, pk__lt=end)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not batch:
                    break
                yield from batch
                first = batch[-1] + 1
        after = end - 1


@contextmanager
def _bucket_claimed(job: str | None, bucket: int) -> Iterator[bool]:
    if job is None or connection.vendor != "postgresql":
        yield True
        return
    key = f"{job}:{bucket}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        (ours,) = cursor.fetchone()
    try:
        yield ours
    finally:
        if ours:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("%s: could not let go of bucket %s", job, bucket)


def run_for_each(ids: Iterable[int], act: Callable[[int], bool], *, what: str) -> int:
    """
    Call ``act`` for each id; count what it did. One broken row never stops a run.
    The emails and payment calls the writers queue go to the broker a hundred at a
    time (``outbox.gathered``), not one publish per order.
    """
    done = 0
    with outbox.gathered():
        for object_id in ids:
            try:
                done += bool(act(object_id))
            except SoftTimeLimitExceeded:
                logger.warning("%s: out of time after %s; the next run goes on", what, done)
                break
            except Exception:
                # A bug or a broken row: logged, left for the next run (which tries again).
                logger.exception("%s: could not handle %s", what, object_id)
    return done


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
