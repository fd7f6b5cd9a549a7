"""
The auto-cancel sweep (docs/DESIGN.md §6): the real job against a raw-SQL baseline, one run.

Runs in a throwaway test database (created and dropped here). Point DATABASE_URL at
PostgreSQL; the figures are meaningless on SQLite:

    DATABASE_URL=postgres://root@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/bench_sweep.py --orders 2000 --memory-orders 1000

Settings as a worker in production has them (DEBUG off: no query log, cached
templates). Every due order has two lines and an authorized payment. Measured:

1. baseline: psycopg, one transaction per order doing the same row writes as
   ``cancel_items`` (lock order, lines and payment; cancellation and its lines;
   quantities; restock; status; void row; audit event; three outbox rows), run
   before and after the job's one-worker sweep: the job is compared with the mean,
   so a machine that got busier (or quieter) meanwhile weighs on both sides. It is
   the fixed yardstick: the same SQL, one order per transaction, as before the sweep
   became set-based;
2. the job (``auto_cancel_late_orders_task``: a hundred orders a transaction), one
   worker, with its SQL statements per order counted;
3. the job in two worker processes at once, on as many fresh orders; every order is
   counted afterwards: cancelled exactly once;
4. peak memory (ru_maxrss of a fresh child process) of a sweep over M and 10×M orders.

Issue 23's targets are printed with ``targets.report``: one worker at or under the
baseline's time per order (``sweep_vs_raw_sql``), at least 5× the orders/s of the
per-order job it replaced (``sweep_vs_today``, see TODAY_VS_BASELINE), two workers at
least 1.6× one (``sweep_two_workers``), each order handled once
(``sweep_each_order_once``) and memory at 10× the orders at most 1.2× the peak
(``sweep_memory_flat``).

Outbox rows are written and published (a run publishes a hundred messages per task,
``outbox.gathered``) to an in-memory broker, or with ``--broker redis://…/15`` to a
Redis database no worker reads, as a worker in production does (the queue is purged
at the end); delivering them is not part of the sweep.
"""

import argparse
import multiprocessing
import os
import resource
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
# A worker's production settings, whatever the laptop's .env says.
os.environ.update(DEBUG="0", ENV_FILE="", ALLOWED_HOSTS="127.0.0.1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from targets import report  # benchmarks/ is on the path when run as a script

# The per-order job this sweep replaced took 4.21× the baseline's time per order
# (docs/PERFORMANCE.md, "The auto-cancel sweep", the 13:40 UTC run with the Redis
# broker: 14 statements an order). It is no longer in the product, so "5× today's
# orders/s" is measured against it through the baseline of the same run:
# 4.21 / (the job's ratio to the baseline).
TODAY_VS_BASELINE = 4.21


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--memory-orders", type=int, default=1000)
    parser.add_argument(
        "--memory-only", action="store_true", help="only the memory phase (M and 10×M orders)"
    )
    parser.add_argument(
        "--broker",
        default="memory://",
        help="where the sweep publishes: memory:// (default) or a Redis database no worker "
        "reads, e.g. redis://127.0.0.1:6379/15",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from marketplace.celery import app

    app.conf.broker_url = args.broker
    # (No setup_test_environment: it instruments every template render.)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        if args.memory_only:
            memory(args.memory_orders)
        else:
            run(args.orders, args.memory_orders)
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
        if not args.broker.startswith("memory://"):
            app.control.purge()


def seed(count: int, tag: str) -> list[int]:
    """``count`` unshipped orders of two lines each, 10 days past ship-by (bulk inserts)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Listing, Seller
    from orders.models import Order, OrderLine, OrderStatus
    from payments.models import Payment

    User = get_user_model()
    buyer = User.objects.create_user(f"{tag}-buyer", f"{tag}-b@example.com", "x")
    seller = Seller.objects.create(
        user=User.objects.create_user(f"{tag}-seller", f"{tag}-s@example.com", "x"),
        store_name=f"Bench {tag}",
    )
    # Fifty pairs of listings, round robin: like a real backlog spread over many shelves
    # (with one pair every restock would queue on the same two rows).
    pairs = [
        [
            Listing.objects.create(seller=seller, title=f"{title} {n}", price=price, stock=0)
            for title, price in (("Mug", "9.50"), ("Pen", "2.00"))
        ]
        for n in range(50)
    ]
    placed = timezone.now() - timedelta(days=12)
    ids = []
    for start in range(0, count, 1000):
        size = min(1000, count - start)
        payments = Payment.objects.bulk_create(
            Payment(
                amount="13.50",
                payment_method="pm_card_visa",
                card_last4="4242",
                charge_reference=f"ch_{tag}_{start + n}",
                status=Payment.Status.AUTHORIZED,
                amount_authorized="13.50",
            )
            for n in range(size)
        )
        orders = Order.objects.bulk_create(
            Order(
                buyer=buyer,
                seller=seller,
                payment=payment,
                status=OrderStatus.UNSHIPPED,
                total="13.50",
                placed_at=placed,
                ship_by=placed + timedelta(days=2),
                deliver_by=placed + timedelta(days=7),
                ship_to_name="B",
                ship_to_line1="1 St",
                ship_to_city="C",
                ship_to_postcode="1",
            )
            for payment in payments
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                listing=listing,
                title=listing.title,
                unit_price=listing.price,
                quantity=1,
            )
            for n, order in enumerate(orders)
            for listing in pairs[n % len(pairs)]
        )
        ids += [order.pk for order in orders]
    return ids


BASELINE_SQL = {
    "order": "SELECT id, status, payment_id FROM orders_order WHERE id = %s FOR UPDATE",
    "lines": "SELECT id, listing_id, quantity, quantity_cancelled, quantity_shipped, unit_price "
    "FROM orders_orderline WHERE order_id = %s ORDER BY id FOR UPDATE",
    "payment": "SELECT amount_authorized, amount_captured, amount_voided, amount_refunded "
    "FROM payments_payment WHERE id = %s FOR UPDATE",
    "cancellation": "INSERT INTO cancellations_cancellation (order_id, initiator, reason, note, "
    "refund_amount, counts_against_seller, idempotency_key, created_at) "
    "VALUES (%s, 'system', 'shipping_delay', '', %s, true, %s, now()) RETURNING id",
    "cancellation_lines": "INSERT INTO cancellations_cancellationline "
    "(cancellation_id, order_line_id, quantity) VALUES (%s, %s, 1), (%s, %s, 1)",
    "quantities": "UPDATE orders_orderline SET quantity_cancelled = quantity_cancelled + 1 "
    "WHERE id = ANY(%s)",
    "restock": "UPDATE catalog_listing SET stock = stock + 1 WHERE id = ANY(%s)",
    "status": "UPDATE orders_order SET status = 'cancelled', updated_at = now() WHERE id = %s",
    "void": "INSERT INTO payments_paymenttransaction (payment_id, kind, amount, idempotency_key, "
    "status, gateway_reference, error, created_at) "
    "VALUES (%s, 'void', %s, %s, 'pending', '', '', now()) RETURNING id",
    "event": "INSERT INTO orders_orderevent (order_id, type, actor_role, summary, payload, "
    "created_at) VALUES (%s, 'items_cancelled', 'system', %s, %s, now())",
    "outbox": "INSERT INTO notifications_outboxmessage (kind, payload, status, attempts, "
    "last_error, created_at, available_at) VALUES "
    "('payments.transaction', %s, 'pending', 0, '', now(), now()), "
    "('notifications.email', %s, 'pending', 0, '', now(), now()), "
    "('notifications.email', %s, 'pending', 0, '', now(), now())",
}


def baseline(order_ids: list[int]) -> float:
    """The same writes by hand: 12 statements and a commit per order."""
    import json

    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as conn:
        started = time.perf_counter()
        for order_id in order_ids:
            with conn.transaction(), conn.cursor() as cur:
                _id, _status, payment_id = cur.execute(BASELINE_SQL["order"], [order_id]).fetchone()
                lines = cur.execute(BASELINE_SQL["lines"], [order_id]).fetchall()
                cur.execute(BASELINE_SQL["payment"], [payment_id]).fetchone()
                refund = sum(line[5] for line in lines)
                (cancellation_id,) = cur.execute(
                    BASELINE_SQL["cancellation"], [order_id, refund, f"raw:{order_id}"]
                ).fetchone()
                cur.execute(
                    BASELINE_SQL["cancellation_lines"],
                    [cancellation_id, lines[0][0], cancellation_id, lines[1][0]],
                )
                cur.execute(BASELINE_SQL["quantities"], [[line[0] for line in lines]])
                cur.execute(BASELINE_SQL["restock"], [sorted({line[1] for line in lines})])
                cur.execute(BASELINE_SQL["status"], [order_id])
                (void_id,) = cur.execute(
                    BASELINE_SQL["void"], [payment_id, refund, f"void:raw:{order_id}"]
                ).fetchone()
                cur.execute(
                    BASELINE_SQL["event"],
                    [
                        order_id,
                        "We cancelled 1 × Mug, 1 × Pen (Shipping delay).",
                        json.dumps({"cancellation": cancellation_id, "reason": "shipping_delay"}),
                    ],
                )
                email = json.dumps({"to": ["x@example.com"], "subject": "s", "body": "b" * 400})
                cur.execute(
                    BASELINE_SQL["outbox"], [json.dumps({"transaction_id": void_id}), email, email]
                )
        return time.perf_counter() - started


def sweep_in_child(conn_out, count_queries: bool, publish: bool) -> None:
    """
    A worker process: run the job once, report (done, seconds, peak RSS in KiB, SQL
    statements or None). Counting keeps no query text, so memory stays comparable.

    Without ``publish`` the outbox's delivery tasks are dropped instead of published:
    on Redis they leave the process, but the in-memory broker keeps every one (about
    1.7 KB an order), which is all a first 100,000-order memory run measured.
    """
    from django.db import connection, connections

    connections.close_all()
    from cancellations.tasks import auto_cancel_late_orders_task
    from notifications.tasks import deliver_outbox_messages_task

    if not publish:
        deliver_outbox_messages_task.delay = lambda message_ids: None

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(None)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    if count_queries:
        with connection.execute_wrapper(count):
            done = auto_cancel_late_orders_task()
    else:
        done = auto_cancel_late_orders_task()
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn_out.send((done, elapsed, rss, len(statements) if count_queries else None))
    conn_out.close()


def sweep_in_processes(
    workers: int, count_queries: bool = False, publish: bool = True
) -> list[tuple]:
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for _ in range(workers):
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=sweep_in_child, args=(child, count_queries, publish))
        process.start()
        pipes.append(parent)
        processes.append(process)
    results = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    return results


def cancelled_once(order_ids: list[int]) -> tuple[int, int]:
    """(orders cancelled exactly once, orders cancelled more than once)."""
    from django.db.models import Count

    from cancellations.models import Cancellation

    counts = dict(
        Cancellation.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(n=Count("id"))
        .values_list("order_id", "n")
    )
    return sum(1 for n in counts.values() if n == 1), sum(1 for n in counts.values() if n > 1)


def run(count: int, memory_count: int) -> None:
    from django.db import connection

    from marketplace.celery import app
    from orders.models import Order, OrderStatus

    print(f"database: {connection.vendor}; broker: {app.conf.broker_url.partition(':')[0]}")
    print(f"due orders per phase: {count} (two lines each)")

    ids = seed(count, "baseline")
    before = baseline(ids)
    Order.objects.filter(pk__in=ids).update(status=OrderStatus.CANCELLED)  # out of the job's way

    ids = seed(count, "one")
    ((done, one, _rss, statements),) = sweep_in_processes(1, count_queries=True)
    assert done == count, done

    ids = seed(count, "after")
    after = baseline(ids)
    Order.objects.filter(pk__in=ids).update(status=OrderStatus.CANCELLED)
    raw = (before + after) / 2
    ratio = one / raw
    print(
        f"raw-SQL baseline:   {raw / count * 1000:6.2f} ms/order  {count / raw:7.1f} orders/s"
        f"  (before the job {before / count * 1000:.2f}, after {after / count * 1000:.2f};"
        f" 14 round trips an order)"
    )
    print(
        f"job, one worker:    {one / count * 1000:6.2f} ms/order  {count / one:7.1f} orders/s"
        f"  ({ratio:.2f}× the baseline's time per order;"
        f" {statements / count:.2f} SQL statements an order)"
    )
    report("sweep_vs_raw_sql", "≤ 1× the baseline", f"{ratio:.2f}× the baseline", ratio <= 1)
    today = TODAY_VS_BASELINE / ratio
    report("sweep_vs_today", "≥ 5× today's orders/s", f"{today:.1f}× today's", today >= 5)

    ids = seed(count, "two")
    results = sweep_in_processes(2)
    wall = max(seconds for _done, seconds, _rss, _n in results)
    once, twice = cancelled_once(ids)
    handled = [done for done, _s, _r, _n in results]
    print(
        f"job, two workers:   {wall / count * 1000:6.2f} ms/order  {count / wall:7.1f} orders/s"
        f"  ({one / wall:.2f}× one worker); handled per worker {handled}, sum {sum(handled)};"
        f" orders cancelled once {once}/{count}, more than once {twice}"
    )
    report("sweep_two_workers", "≥ 1.6× one", f"{one / wall:.2f}× one worker", one / wall >= 1.6)
    report(
        "sweep_each_order_once",
        "every order once",
        f"{once}/{count} once, {twice} more",
        once == count and twice == 0 and sum(handled) == count,
    )

    memory(memory_count)


def memory(memory_count: int) -> None:
    """Peak RSS of a one-worker sweep over M, then 10×M due orders (publishes dropped)."""
    from cancellations.models import Cancellation

    peaks = {}
    for size in (memory_count, memory_count * 10):
        seed(size, f"memory{size}")
        ((done, seconds, rss, _n),) = sweep_in_processes(1, publish=False)
        assert done == size
        peaks[size] = rss
        print(
            f"peak RSS, sweep of {size:6d}: {rss / 1024:7.1f} MiB ({size / seconds:.0f} orders/s)"
        )
    small, large = peaks[memory_count], peaks[memory_count * 10]
    print(f"memory at 10× the orders: {large / small:.2f}× the peak")
    report(
        "sweep_memory_flat",
        "≤ 1.2× at 10× the orders",
        f"{small / 1024:.0f} → {large / 1024:.0f} MiB, {large / small:.2f}×",
        large / small <= 1.2,
    )
    print(f"cancellations written: {Cancellation.objects.count()}")


if __name__ == "__main__":
    main()
