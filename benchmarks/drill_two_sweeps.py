# ruff: noqa: S603 - runs the project's own tools (celery, manage.py)
"""
Two-sweeps drill: two Celery workers run the auto-cancel sweep at once on 10,000 due orders.

A throwaway PostgreSQL database (``drill_sweeps_<pid>``, dropped at the end) gets N due
orders (``bench_sweep.seed``: two lines each, ten days past ship-by, an authorized
payment). Two ``celery -A marketplace worker`` processes (one pool process each,
production settings, Redis db 12) consume a queue of their own, and the drill sends
``auto_cancel_late_orders_task`` to it twice at once: each worker takes one and both
sweep the same due orders. The outbox messages the cancellations publish wait in Redis
(nobody delivers them here: this drill counts what is queued). If a sweep stops at its
soft time limit (240 s), the drill sends the pair again, as beat would a minute later,
until nothing is due.

Checks (exit 1 on any failure): each order handled exactly once: the sweeps' counts add
up to N, one cancellation and one audit event per order, one void per payment (no
refund), one outbox message per void, two emails queued per cancellation (buyer and
seller, each once), stock put back once. Prints each sweep's window, count and time.

    .venv/bin/python benchmarks/drill_two_sweeps.py [--orders 10000]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    celery_worker_command,
    print_checks,
    run_drill,
)

REDIS_DB = 12
QUEUE = "drill-sweeps"
SWEEP = "cancellations.tasks.auto_cancel_late_orders_task"
ORDER_NUMBER = re.compile(r"\d{3}-\d{7}-\d{4}")
TASK_LOG = re.compile(
    r"^\[(?P<at>[\d-]+ [\d:]+,\d+): \w+/[\w-]+\] Task "
    + re.escape(SWEEP)
    + r"\[(?P<id>[0-9a-f-]+)\] (?:(?P<received>received)|succeeded in (?P<seconds>[\d.]+)s: "
    r"(?P<done>\d+))",
    re.M,
)


def start_worker(name: str, env: dict, out: Path) -> tuple[subprocess.Popen, Path]:
    log = out / f"{name}.log"
    with log.open("w") as handle:
        proc = subprocess.Popen(
            celery_worker_command(name=name, concurrency=1, queues=QUEUE),
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def wait_ready(workers) -> None:
    deadline = time.monotonic() + 90
    for proc, log in workers:
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker not ready; see {log}")
            time.sleep(0.2)


def sweeps_in_logs(workers) -> dict[str, dict]:
    """task id -> {worker, received, finished, seconds, done} from the workers' logs."""
    found: dict[str, dict] = {}
    for _proc, log in workers:
        for match in TASK_LOG.finditer(log.read_text(errors="replace")):
            at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            row = found.setdefault(match["id"], {"worker": log.stem})
            if match["received"]:
                row["received"] = at
            else:
                row.update(finished=at, seconds=float(match["seconds"]), done=int(match["done"]))
    return found


def due_left(ids: list[int]) -> int:
    from orders.models import Order, OrderStatus

    return Order.objects.filter(pk__in=ids).exclude(status=OrderStatus.CANCELLED).count()


def run(args, env: dict, out: Path) -> bool:
    import django

    django.setup()
    from benchmarks.bench_sweep import seed
    from marketplace.celery import app

    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    clock = time.monotonic()
    ids = seed(args.orders, "sweeps")
    print(f"seeded {len(ids)} due orders (two lines each) in {time.monotonic() - clock:.0f} s")

    workers = [start_worker(name, env, out) for name in ("sweep-a", "sweep-b")]
    sent: list[tuple[int, str]] = []
    try:
        wait_ready(workers)
        print("workers sweep-a and sweep-b ready (one pool process each)")
        started = time.monotonic()
        for round_number in range(1, 6):
            ids_now = [app.send_task(SWEEP, queue=QUEUE).id for _ in range(2)]
            sent += [(round_number, task_id) for task_id in ids_now]
            print(f"round {round_number}: two sweeps sent at once", flush=True)
            while True:
                logged = sweeps_in_logs(workers)
                if all("done" in logged.get(task_id, {}) for task_id in ids_now):
                    break
                if any(proc.poll() is not None for proc, _log in workers):
                    raise RuntimeError(f"a worker exited; see the logs in {out}")
                if time.monotonic() - started > 1800:
                    raise RuntimeError("sweeps not finished after 30 minutes")
                time.sleep(1)
            if not due_left(ids):
                break
        wall = time.monotonic() - started
    finally:
        for proc, _log in workers:
            proc.terminate()
        for proc, _log in workers:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return check(ids, sent, sweeps_in_logs(workers), wall, started_at, workers)


def check(ids, sent, logged, wall, started_at, workers) -> bool:
    from django.db.models import Count, Sum

    from cancellations.models import Cancellation
    from catalog.models import Listing
    from notifications.models import OutboxMessage
    from orders.models import Order, OrderEvent, OrderStatus
    from payments.models import PaymentTransaction

    n = len(ids)
    results = []

    def verdict(what, expected, found):
        results.append((what, expected, found, expected == found))

    def histogram(queryset, field):
        """How many keys occur once, twice, ...: {times: keys}."""
        return Counter(
            c for _key, c in queryset.values(field).annotate(c=Count("id")).values_list(field, "c")
        )

    done = sum(logged[task_id].get("done", 0) for _round, task_id in sent)
    verdict("orders handled, sum of the sweeps' counts", n, done)
    cancelled = Order.objects.filter(pk__in=ids, status=OrderStatus.CANCELLED).count()
    verdict("orders cancelled", n, cancelled)
    per_order = histogram(Cancellation.objects.filter(order_id__in=ids), "order_id")
    verdict("orders with exactly one cancellation", n, per_order[1])
    verdict("orders with more than one", 0, sum(c for k, c in per_order.items() if k > 1))
    events = histogram(
        OrderEvent.objects.filter(order_id__in=ids, type=OrderEvent.Type.ITEMS_CANCELLED),
        "order_id",
    )
    verdict("orders with exactly one cancellation event", n, events[1])
    moves = PaymentTransaction.objects.filter(payment__order__pk__in=ids)
    voids = histogram(moves.filter(kind="void"), "payment_id")
    verdict("payments with exactly one void", n, voids[1])
    verdict("payments with more than one void", 0, sum(c for k, c in voids.items() if k > 1))
    verdict("refund rows (nothing was captured)", 0, moves.filter(kind="refund").count())
    outbox = OutboxMessage.objects
    money = Counter(
        Counter(
            outbox.filter(kind="payments.transaction").values_list(
                "payload__transaction_id", flat=True
            )
        ).values()
    )
    verdict("voids with exactly one outbox message", n, money[1])
    verdict("voids with more than one", 0, sum(c for k, c in money.items() if k > 1))
    emails = Counter(
        (ORDER_NUMBER.search(payload["subject"]).group(0), payload["to"][0])
        for payload in outbox.filter(kind="notifications.email").values_list("payload", flat=True)
    )
    per_order_emails = Counter(Counter(number for number, _to in emails).values())
    verdict("cancellations with two emails queued", n, per_order_emails[2])
    verdict("emails queued twice (same order, same person)", 0, sum(emails.values()) - len(emails))
    stock = Listing.objects.filter(seller__store_name="Bench sweeps").aggregate(s=Sum("stock"))
    verdict("units restocked (2 an order)", 2 * n, stock["s"])

    print(
        f"\nTwo-sweeps drill, {started_at}, {os.cpu_count()} cores; {n} due orders, two lines "
        f"each; two celery workers (one pool process each), PostgreSQL, Redis db {REDIS_DB}"
    )
    first = min(row.get("received", float("inf")) for row in logged.values())
    print(f"{'round':>5}  {'worker':<8}{'started s':>10}{'ended s':>9}{'seconds':>9}{'orders':>8}")
    for round_number, task_id in sent:
        row = logged.get(task_id, {})
        print(
            f"{round_number:5d}  {row.get('worker', '?'):<8}"
            f"{row.get('received', first) - first:10.1f}{row.get('finished', first) - first:9.1f}"
            f"{row.get('seconds', 0):9.1f}{row.get('done', 0):8d}"
        )
    per_worker = Counter()
    for _round, task_id in sent:
        per_worker[logged[task_id]["worker"]] += logged[task_id].get("done", 0)
    print(
        f"total: {done} orders in {wall:.1f} s wall ({done / wall:.1f} orders/s, "
        f"{wall / max(done, 1) * 1000:.1f} ms/order); per worker {dict(per_worker)}"
    )
    logs = "".join(log.read_text(errors="replace") for _proc, log in workers)
    print(
        f"worker logs: {logs.count('Traceback (most recent')} tracebacks, "
        f"{logs.count('could not handle')} orders a sweep could not handle, "
        f"{logs.count('out of time')} sweeps stopped at the soft time limit"
    )
    return print_checks(results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--orders", type=int, default=10000)
    args = parser.parse_args()

    db = f"drill_sweeps_{os.getpid()}"
    out = Path(tempfile.mkdtemp(prefix="drill-sweeps-"))
    print(f"database {db}, Redis db {REDIS_DB}, logs in {out}")
    run_drill(
        db=db, redis_db=REDIS_DB, email_url="dummymail://", drill=lambda env: run(args, env, out)
    )


if __name__ == "__main__":
    main()
