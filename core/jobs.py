"""
The two habits every beat job shares (docs/DESIGN.md §6).

A job reads the ids of due rows in keyset batches (``due_ids``: memory stays flat
however many are due) and hands each to a writer that runs in its own short
transaction (``run_for_each``): one broken row never stops a run, and a run that
reaches its soft time limit stops taking new rows, what it did being committed row
by row, for the next run to carry on. The writers live in each app's ``jobs.py`` or
``services.py``; they lock their rows without waiting (``skip_locked``) and re-check
the rule under the lock, so a job may run twice at once, or be redelivered after a
worker died, and still does nothing twice. A job that handles its rows a batch per
transaction (the auto-cancel sweep) runs on ``run_in_batches`` instead: its batches
are locked with ``skip_locked``, so runs at once take different batches without the
bucket claims ``due_ids`` needs.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, connection
from django.db.models import QuerySet

logger = logging.getLogger(__name__)

# Due ids read per query. Each row is handled in its own transaction, so a batch
# bounds only the ids held in memory and the number of queries spent finding work:
# 500 ints is nothing, and a backlog of 100,000 costs 200 cheap index scans.
BATCH_SIZE = 500

# The pk range two runs of a job at once split the work by (``due_ids``): claiming one
# costs three cheap queries, nothing next to up to 100 orders' work (2-4 s), and the
# runs finish within one bucket of each other. (1,000 was too coarse: a backlog of
# 1,000 orders fell in two buckets, 999 and 1, and one run did all the work.)
BUCKET_SIZE = 100


def due_ids(
    queryset: QuerySet[Any], *, job: str | None = None, batch_size: int | None = None
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
            if ours:
                yield from _bucket_ids(queryset, first, end, batch_size)
        after = end - 1


def _bucket_ids(queryset: QuerySet[Any], first: int, end: int, batch_size: int) -> Iterator[int]:
    """The ids of ``queryset`` from ``first`` up to ``end``, ``batch_size`` per query."""
    while True:
        batch = list(
            queryset.filter(pk__gte=first, pk__lt=end)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield from batch
        first = batch[-1] + 1


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


def run_in_batches(
    take: Callable[[int], tuple[int, int] | None],
    *,
    what: str,
    around: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> int:
    """
    For a job that handles its rows a batch per transaction (the auto-cancel sweep):
    ``take(after)`` handles the next batch of rows after id ``after`` and returns (the
    last id it saw, how many it handled), or None when none is left. Keyset, never
    OFFSET, so memory stays flat; the soft time limit ends the run between two batches
    (or rolls back the one under way), what was done being committed batch by batch.
    A batch that fails whole (the database went away) ends the run: the next one goes on.
    """
    done, after = 0, 0
    with around():
        while True:
            try:
                step = take(after)
            except SoftTimeLimitExceeded:
                logger.warning("%s: out of time after %s; the next run goes on", what, done)
                break
            except Exception:
                logger.exception("%s: a batch after %s failed; the next run goes on", what, after)
                break
            if step is None:
                break
            after, handled = step
            done += handled
    return done


def run_for_each(
    ids: Iterable[int],
    act: Callable[[int], bool],
    *,
    what: str,
    around: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> int:
    """
    Call ``act`` for each id; count the ids it returned something true for. One broken
    row never stops a run, and the soft time limit ends it between two rows.

    The whole run happens inside ``around()``: a job whose writers queue emails and
    payment calls passes ``outbox.gathered``, so they go to the broker a hundred at a
    time, not one publish per row (core imports no app, so the caller says so).
    """
    done = 0
    with around():
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
