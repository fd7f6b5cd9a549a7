# ruff: noqa: S603 - runs the project's own tools (celery, manage.py)
"""
Worker-kill drill: a real Celery worker is SIGKILLed 10 times during the auto-cancel sweep.

A throwaway PostgreSQL database (``drill_kill_<pid>``, dropped at the end) gets N due
orders (``bench_sweep.seed``: two lines each, ten days past ship-by, an authorized
payment whose charge the sandbox gateway holds). ``celery -A marketplace worker``
(prefork, 2 processes, production settings, Redis db 11, emails to the console backend,
so to the worker's log) runs ``auto_cancel_late_orders_task`` and delivers the outbox.
Each time another N/12 orders (at most a batch of the sweep, 100) are cancelled, the
drill SIGKILLs in turn: the pool process running the sweep (the main process replaces
it; ``reject_on_worker_lost`` redelivers the message), the main process (its pool
processes die with it; the drill starts a new worker), or a pool process delivering
outbox messages (an email or a void cut off between its effect and its record). After
each kill it sends the sweep again, as beat would on its next tick. Beat itself does
not run: its other jobs (delay notices) would add emails this drill does not count.

Afterwards the sweep is sent until nothing is due, then the outbox sweep
(``deliver_pending_outbox_task``) until every message is delivered. A message claimed
by a killed process stays leased for ``outbox.LEASE`` (5 min): by default the drill stops
the worker (no live process holds a lease then) and lets that time pass by moving the
leases' end to now; ``--lease wait`` waits for them instead.

Checks (exit 1 on any failure): every due order cancelled, by exactly one
cancellation; per payment exactly one void, none refunded, and the gateway's charge
voided exactly once (no money released twice); stock put back once; every outbox
message delivered, one per money transaction; exactly one email outbox message per
cancellation and recipient; every delivered email in the worker's logs. An email sent
twice under the same Message-ID (a kill between sending and recording it: the outbox
is at-least-once by design) is reported, not failed.

    .venv/bin/python benchmarks/drill_worker_kill.py [--orders 2000] [--kills 10] [--lease expire]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.processes import (  # noqa: E402
    celery_worker_command,
    print_checks,
    run_drill,
)

REDIS_DB = 11
SWEEP_BATCH = 100  # cancellations.jobs.SWEEP_BATCH: the orders the sweep commits at once
SWEEP = "cancellations.tasks.auto_cancel_late_orders_task"
OUTBOX_SWEEP = "notifications.tasks.deliver_pending_outbox_task"
# The outbox's delivery tasks (one message, the messages of one transaction, the sweep).
DELIVERY_PREFIX = "notifications.tasks.deliver_"
MESSAGE_ID = re.compile(r"^Message-ID: <outbox\.(\d+)@", re.M)
ORDER_NUMBER = re.compile(r"\d{3}-\d{7}-\d{4}")


# --- Inside the worker (imported with --include): which pool process runs which task -------
def _mark_tasks(directory: str) -> None:
    """Each pool process writes the task it runs to ``<directory>/<pid>`` (empty when idle)."""
    from celery.signals import task_postrun, task_prerun

    def mark(task=None, **_kwargs):
        Path(directory, str(os.getpid())).write_text(task.name)

    def unmark(**_kwargs):
        Path(directory, str(os.getpid())).write_text("")

    task_prerun.connect(mark, weak=False)
    task_postrun.connect(unmark, weak=False)


if os.environ.get("DRILL_TASK_DIR") and __name__ != "__main__":
    _mark_tasks(os.environ["DRILL_TASK_DIR"])


# --- The drill's side -------------------------------------------------------------------------
def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


class Worker:
    """One ``celery -A marketplace worker`` incarnation after another, each with its log."""

    def __init__(self, env: dict, out: Path):
        self.env, self.out = env, out
        self.task_dir = out / "tasks"
        self.task_dir.mkdir()
        self.env["DRILL_TASK_DIR"] = str(self.task_dir)
        self.incarnation = 0
        self.proc = None
        self.log = None
        self.killed: set[int] = set()  # a killed child stays listed until the main reaps it

    def start(self) -> float:
        started = time.monotonic()
        self.incarnation += 1
        path = self.out / f"worker-{self.incarnation}.log"
        self.log = path.open("w")
        self.proc = subprocess.Popen(
            celery_worker_command(
                name=f"drill-kill-{self.incarnation}",
                concurrency=2,
                include="benchmarks.drill_worker_kill",
            ),
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        while time.monotonic() - started < 90:
            if " ready." in path.read_text(errors="replace"):
                return time.monotonic() - started
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}; see {path}")
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after 90 s; see {path}")

    def running(self) -> dict[int, str]:
        """Live pool processes of the current main process -> the task each runs ('' idle)."""
        found = {}
        for marker in self.task_dir.iterdir():
            pid = int(marker.name)
            if pid not in self.killed and parent_of(pid) == self.proc.pid:
                found[pid] = marker.read_text()
        return found

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # warm shutdown: running tasks finish
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()

    def logs(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in sorted(self.out.glob("worker-*.log"))
        )


def add_sandbox_charges(count: int, tag: str) -> None:
    """The gateway's side of seed()'s payments: a charge holding 13.50 for each."""
    from payments.models import SandboxCharge

    SandboxCharge.objects.bulk_create(
        (
            SandboxCharge(
                reference=f"ch_{tag}_{n}", payment_method="pm_card_visa", amount_authorized="13.50"
            )
            for n in range(count)
        ),
        batch_size=1000,
    )


def cancelled_count(ids: list[int]) -> int:
    from orders.models import Order, OrderStatus

    return Order.objects.filter(pk__in=ids, status=OrderStatus.CANCELLED).count()


def outbox_left() -> dict[str, int]:
    from django.db.models import Count

    from notifications.models import OutboxMessage

    rows = OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED)
    return dict(rows.values("status").annotate(n=Count("id")).values_list("status", "n"))


def kill(worker: Worker, mode: str) -> tuple[str, int, str]:
    """SIGKILL what ``mode`` names; returns (what was killed, pid, the task it ran)."""
    deadline = time.monotonic() + 5
    while True:
        running = worker.running()
        if mode == "main":
            target, task, what = worker.proc.pid, ",".join(v for v in running.values() if v), mode
        else:
            prefix = SWEEP if mode == "sweep process" else DELIVERY_PREFIX
            busy = [(pid, name) for pid, name in running.items() if name.startswith(prefix)]
            (target, task), what = busy[0] if busy else (None, ""), mode
            if target is None and time.monotonic() > deadline:
                # Nothing of that kind running just now: any busy pool process will do.
                busy = [(pid, name) for pid, name in running.items() if name]
                if busy:
                    (target, task), what = busy[0], "busy pool process"
        if target is not None:
            os.kill(target, signal.SIGKILL)
            worker.killed.add(target)
            return what, target, task
        time.sleep(0.05)


def short(tasks: str) -> str:
    """'a.b.task_one,c.d.task_two' -> 'task_one+task_two'."""
    return "+".join(task.rsplit(".", 1)[-1] for task in tasks.split(",") if task) or "idle"


def run(args, env: dict, out: Path) -> bool:
    import django

    django.setup()
    from benchmarks.bench_sweep import seed
    from marketplace.celery import app

    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    clock = time.monotonic()
    ids = seed(args.orders, "kill")
    add_sandbox_charges(args.orders, "kill")
    print(f"seeded {len(ids)} due orders (two lines each) in {time.monotonic() - clock:.0f} s")

    def send(task: str) -> None:
        app.send_task(task, expires=50)  # as beat sends it (settings: expires 50)

    worker = Worker(env, out)
    kills = []
    try:
        ready = worker.start()
        print(f"worker 1 ready in {ready:.1f} s (prefork, 2 processes); sweep sent")
        sweep_started = time.monotonic()
        send(SWEEP)
        # The sweep commits a batch (cancellations.jobs.SWEEP_BATCH, 100) at a time: a kill
        # after each batch at most, or the sweep is over before the kills are.
        step = max(1, min(args.orders // (args.kills + 2), SWEEP_BATCH))
        next_at = step
        plan = ["sweep process", "main", "delivery process"]
        while len(kills) < args.kills:
            done = cancelled_count(ids)
            if done >= args.orders:
                break
            if done < next_at:
                time.sleep(0.05)
                continue
            mode = plan[len(kills) % len(plan)]
            what, pid, task = kill(worker, mode)
            at = time.monotonic() - sweep_started
            restart = "pool process replaced by the main process"
            if what == "main":
                worker.proc.wait()
                worker.log.close()
                ready = worker.start()
                restart = f"worker {worker.incarnation} started, ready in {ready:.1f} s"
            send(SWEEP)
            kills.append((at, done, what, pid, short(task), restart))
            print(
                f"kill {len(kills):2d} at {at:5.1f} s, {done:5d} cancelled: SIGKILL {what} "
                f"{pid} (running {short(task)}); {restart}; sweep sent again",
                flush=True,
            )
            next_at = done + step

        # Beat's next ticks, compressed: the sweep until nothing is due.
        while cancelled_count(ids) < args.orders and time.monotonic() - sweep_started < 900:
            if not any(name == SWEEP for name in worker.running().values()):
                send(SWEEP)
            time.sleep(2)
        sweep_seconds = time.monotonic() - sweep_started
        print(f"sweep finished: {cancelled_count(ids)} cancelled after {sweep_seconds:.0f} s")

        # The outbox: deliveries in flight, then the outbox sweep until nothing is due.
        outbox_started = time.monotonic()
        expired, leases_ended = 0, False
        while time.monotonic() - outbox_started < 900:
            left = outbox_left()
            if not left:
                break
            only_leases = set(left) <= {"delivering"} and not any(worker.running().values())
            if only_leases and args.lease == "expire" and not leases_ended:
                # Only leases of killed processes are left.
                from django.utils import timezone

                from notifications.models import OutboxMessage

                worker.stop()  # no live process holds a lease now
                leases_ended = True
                expired = OutboxMessage.objects.filter(
                    status=OutboxMessage.Status.DELIVERING
                ).update(available_at=timezone.now())
                print(
                    f"{expired} outbox messages leased by killed processes: worker "
                    "stopped, their 5-minute leases ended now (time passes)"
                )
                worker.start()
            send(OUTBOX_SWEEP)
            time.sleep(3)
        outbox_seconds = time.monotonic() - outbox_started
        print(f"outbox: {outbox_left() or 'all delivered'} after {outbox_seconds:.0f} s more")
    finally:
        worker.stop()

    time.sleep(1)
    return check(args, ids, kills, worker.logs(), started_at, sweep_seconds, expired)


def check(args, ids, kills, logs, started_at, sweep_seconds, expired) -> bool:
    from decimal import Decimal

    from django.db.models import Count, Sum

    from cancellations.models import Cancellation
    from catalog.models import Listing
    from notifications.models import OutboxMessage
    from orders.models import Order, OrderStatus
    from payments.models import Payment, PaymentTransaction, SandboxCharge

    n = len(ids)
    results = []

    def verdict(what, expected, found, ok):
        results.append((what, str(expected), str(found), ok))

    landed = sum(1 for k in kills if k[1] < n)
    verdict("kills during the sweep", args.kills, landed, landed == args.kills)
    cancelled = Order.objects.filter(pk__in=ids, status=OrderStatus.CANCELLED).count()
    verdict("due orders cancelled", n, cancelled, cancelled == n)
    per_order = Counter(
        dict(
            Cancellation.objects.filter(order_id__in=ids)
            .values("order_id")
            .annotate(c=Count("id"))
            .values_list("order_id", "c")
        )
    )
    once = sum(1 for c in per_order.values() if c == 1)
    more = sum(1 for c in per_order.values() if c > 1)
    verdict("orders with exactly one cancellation", n, once, once == n)
    verdict("orders with more than one", 0, more, more == 0)

    payments = Payment.objects.filter(order__pk__in=ids)
    moves = Counter(
        PaymentTransaction.objects.filter(payment__in=payments, kind__in=["void", "refund"])
        .values_list("payment_id", "kind")
        .iterator()
    )
    voids = Counter(c for (_p, kind), c in moves.items() if kind == "void")
    refunds = sum(c for (_p, kind), c in moves.items() if kind == "refund")
    verdict("payments with exactly one void", n, voids[1], voids[1] == n)
    twice = sum(c for k, c in voids.items() if k > 1)
    verdict("payments with two or more voids", 0, twice, twice == 0)
    verdict("refund rows (nothing was captured)", 0, refunds, refunds == 0)
    not_ok = (
        PaymentTransaction.objects.filter(payment__in=payments, kind="void")
        .exclude(status="succeeded")
        .count()
    )
    verdict("voids not succeeded", 0, not_ok, not_ok == 0)
    # The money each cancellation released, as the payment, its void row and the
    # gateway's charge each record it: all equal, or money moved twice (or not at all).
    released = dict(
        Cancellation.objects.filter(order_id__in=ids).values_list(
            "order__payment__charge_reference", "refund_amount"
        )
    )
    recorded = dict(payments.values_list("charge_reference", "amount_voided"))
    rows = dict(
        PaymentTransaction.objects.filter(payment__in=payments, kind="void", status="succeeded")
        .values("payment__charge_reference")
        .annotate(total=Sum("amount"))
        .values_list("payment__charge_reference", "total")
    )
    gateway = dict(
        SandboxCharge.objects.filter(reference__in=recorded).values_list(
            "reference", "amount_voided"
        )
    )
    mismatched = [
        ref
        for ref in recorded
        if not (released.get(ref) == recorded[ref] == rows.get(ref) == gateway.get(ref))
    ]
    verdict(
        "payments: released = voided = void rows = gateway",
        n,
        n - len(mismatched),
        not mismatched,
    )
    total = sum(gateway.values(), Decimal(0))
    expected_total = sum(released.values(), Decimal(0))
    verdict("gateway: total voided", expected_total, total, total == expected_total)
    stock = Listing.objects.filter(seller__store_name="Bench kill").aggregate(s=Sum("stock"))["s"]
    verdict("units restocked (2 a cancellation)", 2 * n, stock, stock == 2 * n)

    outbox = OutboxMessage.objects
    undelivered = outbox.exclude(status="delivered").count()
    verdict("outbox messages not delivered", 0, undelivered, undelivered == 0)
    per_money_row = Counter(
        Counter(
            outbox.filter(kind="payments.transaction").values_list(
                "payload__transaction_id", flat=True
            )
        ).values()
    )
    verdict(
        "outbox messages per void: exactly one",
        n,
        per_money_row[1],
        per_money_row[1] == n and len(per_money_row) == 1,
    )
    email_rows = list(outbox.filter(kind="notifications.email").values_list("id", "payload"))
    per_email = Counter(
        (ORDER_NUMBER.search(payload["subject"]).group(0), payload["to"][0])
        for _id, payload in email_rows
    )
    doubled_email = sum(1 for c in per_email.values() if c > 1)
    verdict(
        "emails queued (buyer + seller per order)", 2 * n, len(per_email), len(per_email) == 2 * n
    )
    verdict(
        "one email queued twice (two outbox messages)",
        0,
        doubled_email,
        doubled_email == 0,
    )
    sent = Counter(int(i) for i in MESSAGE_ID.findall(logs))
    delivered = set(
        outbox.filter(kind="notifications.email", status="delivered").values_list("id", flat=True)
    )
    missing = delivered - set(sent)
    verdict("delivered emails missing from the logs", 0, len(missing), not missing)
    duplicates = {i: c for i, c in sent.items() if c > 1}

    print(
        f"\nWorker-kill drill, {started_at}, {os.cpu_count()} cores; {n} due orders; "
        f"celery worker prefork 2, PostgreSQL, Redis db {REDIS_DB}"
    )
    print(f"{'#':>3} {'at s':>6} {'cancelled':>9}  {'SIGKILL':<18}{'pid':>8}  {'running':<30}then")
    for number, (at, done, what, pid, task, restart) in enumerate(kills, 1):
        print(f"{number:3d} {at:6.1f} {done:9d}  {what:<18}{pid:8d}  {task:<30}{restart}")
    print(
        f"sweep done in {sweep_seconds:.0f} s with {len(kills)} kills; leases ended by the drill: "
        f"{expired}"
    )
    ok = print_checks(results)
    print(
        f"\nemails: {len(email_rows)} queued, {len(delivered)} delivered, {sum(sent.values())} "
        f"sent in the worker logs under {len(sent)} Message-IDs; sent more than once "
        f"(same Message-ID, at-least-once delivery): {len(duplicates)}"
        + (f" {dict(list(duplicates.items())[:10])}" if duplicates else "")
    )
    errors = Counter(
        match.group(1) for match in re.finditer(r"^([\w.]+(?:Error|Exception)):", logs, re.M)
    )
    print(
        f"worker logs: {logs.count('Traceback (most recent')} tracebacks, ending in "
        f"{dict(errors) or 'nothing'} (WorkerLostError: Celery reporting a killed pool process)"
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument(
        "--lease",
        choices=["expire", "wait"],
        default="expire",
        help="messages leased by killed processes: end their leases now, or wait (5 min)",
    )
    args = parser.parse_args()

    db = f"drill_kill_{os.getpid()}"
    out = Path(tempfile.mkdtemp(prefix="drill-kill-"))
    print(f"database {db}, Redis db {REDIS_DB}, logs in {out}")
    run_drill(
        db=db, redis_db=REDIS_DB, email_url="consolemail://", drill=lambda env: run(args, env, out)
    )


if __name__ == "__main__":
    main()
