# ruff: noqa: S603, S607 - runs the project's own tools (createdb, psql, celery, gunicorn)
"""
Redis drill: the broker refuses connections for 30 s, then hangs (accepts, never answers)
for 30 s, during a load of seller cancellation confirms; then it is restored.

The machine's Redis is never touched: the portal's REDIS_URL points at a TCP proxy this
script runs in front of it (db 13), and the proxy is what fails. gunicorn (2 sync
workers, DEBUG off), a Celery worker and beat run against a throwaway PostgreSQL
database (created and dropped here). The worker sends email with the console backend,
so every email's Message-ID (derived from its outbox row) is in its log.

Prints: confirms per phase, 5xx count, latency (p50/p99/max), whether every confirmed
cancellation committed, whether the outbox drained, and whether every notification
email was delivered exactly once (Message-IDs in the worker's log vs delivered rows).

    .venv/bin/python benchmarks/drill_redis.py [--refuse 30] [--hang 30] [--port 8330]
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from benchmarks.processes import gunicorn_command, postgres_server, production_env  # noqa: E402

CSRF = "drill" + "x" * 27  # a well-formed 32-character CSRF secret, sent as cookie and field
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


# --- The failing broker ---------------------------------------------------------------------
class FaultyProxy:
    """TCP proxy to Redis with three modes: pass, refuse (nothing listens), hang."""

    def __init__(self, port, upstream=("127.0.0.1", 6379)):
        self.port, self.upstream = port, upstream
        self.mode = "pass"
        self.server = None
        self.conns = set()
        self.lock = threading.Lock()
        self._listen()

    def _listen(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(128)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = None
            if self.mode == "pass":
                try:
                    upstream = socket.create_connection(self.upstream)
                except OSError:
                    client.close()
                    continue
            with self.lock:
                self.conns.add(client)
                if upstream:
                    self.conns.add(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            if upstream:
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source, target):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if self.mode != "pass" or target is None:
                continue  # hung: swallow everything, answer nothing
            try:
                target.sendall(data)
            except OSError:
                break
        for sock in (source, target):
            if sock is not None:
                self._close(sock)

    def _close(self, sock):
        with self.lock:
            self.conns.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _drop_all(self):
        with self.lock:
            conns = list(self.conns)
        for sock in conns:
            self._close(sock)

    def set(self, mode):
        if mode == "refuse":
            self.mode = "refuse"
            self.server.close()
            self._drop_all()
        elif mode == "hang":
            self.mode = "hang"
            self._listen()  # accept again, answer nothing
        elif mode == "pass":
            self.mode = "pass"
            self._drop_all()  # hung connections are dead to their clients anyway


# --- In-process parts (subprocesses with the drill's environment) ---------------------------
def setup(count):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from catalog.models import Listing
    from orders.services import ShippingAddress, place_orders

    User = get_user_model()
    buyer, seller = User.objects.get(username="buyer"), User.objects.get(username="seller")
    listing = Listing.objects.create(
        seller=seller.seller, title="Drill mug", price="9.50", stock=count * 2, handling_days=3
    )
    address = ShippingAddress(name="Bea Buyer", line1="1 St", city="C", postcode="1")
    orders = []
    for _ in range(count):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 1}, address=address, card_number="4242424242424242"
        )
        orders.append([order.number, order.lines.get().pk])
    client = Client()
    client.force_login(seller)
    print(json.dumps({"orders": orders, "session": client.cookies["sessionid"].value}))


def check(results_path):
    import django

    django.setup()
    from cancellations.models import Cancellation
    from notifications.models import OutboxMessage

    results = json.loads(Path(results_path).read_text())
    keys = [r["key"] for r in results if r.get("key")]
    committed = set(
        Cancellation.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    ok = [r for r in results if r["status"] == 302]
    lost = [r for r in ok if r["key"] not in committed]
    refused_but_committed = [r for r in results if r["status"] != 302 and r["key"] in committed]
    rows = OutboxMessage.objects
    print(
        json.dumps(
            {
                "confirmed": len(ok),
                "committed_of_confirmed": len(ok) - len(lost),
                "lost": [r["number"] for r in lost],
                "not_confirmed_but_committed": len(refused_but_committed),
                "outbox_total": rows.count(),
                "outbox_not_delivered": list(
                    rows.exclude(status="delivered").values_list("id", "status")
                ),
                # Sent by a worker: seed_demo marks its history's emails delivered
                # without sending them (attempts stays 0).
                "email_rows_delivered": list(
                    rows.filter(
                        kind="notifications.email", status="delivered", attempts__gt=0
                    ).values_list("id", flat=True)
                ),
            }
        )
    )


# --- The load -----------------------------------------------------------------------------------
class Load:
    """Threads that each cancel one order after another: review, then confirm."""

    def __init__(self, port, session, orders, threads=3, pace=0.5):
        self.port, self.session, self.pace = port, session, pace
        self.orders = list(orders)
        self.lock = threading.Lock()
        self.results = []
        self.phase = "before"
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def join(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _post(self, conn, path, data):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": CSRF, **data})
        headers = {
            "Cookie": f"sessionid={self.session}; csrftoken={CSRF}",
            "X-Forwarded-Proto": "https",
            "Host": f"127.0.0.1:{self.port}",
            "Referer": f"https://127.0.0.1:{self.port}{path}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")

    def _run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            with self.lock:
                if not self.orders:
                    return
                number, line = self.orders.pop()
            started = time.perf_counter()
            result = {"number": number, "phase": self.phase, "key": None}
            try:
                path = f"/seller/orders/{number}/cancel/"
                status, text = self._post(
                    conn,
                    path,
                    {
                        f"line_{line}": "on",
                        f"qty_{line}": "1",
                        "reason": "general_adjustment",
                        "note": "drill",
                    },
                )
                fields = dict(HIDDEN.findall(text))
                result["review"] = status
                result["key"] = fields.get("idempotency_key")
                started = time.perf_counter()  # the confirm is what is timed
                status, _text = self._post(conn, path + "confirm/", fields)
                result["status"] = status
            except (OSError, http.client.HTTPException) as error:
                result["status"] = f"error {type(error).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            result["ms"] = (time.perf_counter() - started) * 1000
            with self.lock:
                self.results.append(result)
            self.stop.wait(max(0.0, self.pace - (time.perf_counter() - started)))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--refuse", type=float, default=30)
    parser.add_argument("--hang", type=float, default=30)
    parser.add_argument("--warm", type=float, default=10, help="seconds before and after")
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--port", type=int, default=8330)
    parser.add_argument("--proxy-port", type=int, default=16390)
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        return setup(args.setup)
    if args.check:
        return check(args.check)

    pg, host, user = postgres_server()
    db = f"h_drill_redis_{os.getpid()}"
    out = ROOT / "var" / f"drill-redis-{os.getpid()}"
    out.mkdir(parents=True, exist_ok=True)
    env = production_env(
        database_url=f"{pg}/{db}",
        redis_db=13,
        # Through the faulty proxy, not straight to Redis.
        REDIS_URL=f"redis://127.0.0.1:{args.proxy_port}/13",
        SECURE_SSL_REDIRECT="0",
        EMAIL_URL="consolemail://",
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        OUTBOX_SWEEP_SECONDS="5",
        AXES_ENABLED="0",
        ACCOUNT_RATE_LIMITS_ENABLED="0",  # many sign-ins from one address, as with axes
    )
    proxy = FaultyProxy(args.proxy_port)
    procs = []
    started_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    try:
        subprocess.run(["createdb", "-h", host, "-U", user, db], check=True)
        for cmd in (
            ["migrate", "--no-input", "-v0"],
            ["seed_demo", "--force", "-v0"],
            ["collectstatic", "--no-input", "-v0"],
        ):
            subprocess.run(
                [PYTHON, "manage.py", *cmd],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        made = subprocess.run(
            [PYTHON, __file__, "--setup", str(args.orders)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        setup_out = json.loads(made.stdout.strip().splitlines()[-1])

        logs = {name: open(out / f"{name}.log", "w") for name in ("gunicorn", "worker", "beat")}  # noqa: SIM115
        commands = {
            "gunicorn": gunicorn_command(args.port),
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "beat",
                "--schedule",
                str(out / "beat-schedule"),
                "--loglevel",
                "WARNING",
            ],
        }
        for name, cmd in commands.items():
            procs.append(
                subprocess.Popen(
                    cmd, env=env, cwd=ROOT, stdout=logs[name], stderr=subprocess.STDOUT
                )
            )
        time.sleep(4)

        load = Load(args.port, setup_out["session"], setup_out["orders"])
        load.start()
        timeline = [
            ("before", "pass", args.warm),
            ("refused", "refuse", args.refuse),
            ("hung", "hang", args.hang),
            ("restored", "pass", args.warm),
        ]
        for phase, mode, seconds in timeline:
            proxy.set(mode)
            load.phase = phase
            print(
                f"{time.strftime('%H:%M:%S')} broker {mode} ({phase}) for {seconds:.0f} s",
                flush=True,
            )
            time.sleep(seconds)
        load.join()

        # The outbox sweep (beat every 5 s) delivers what the broker never saw.
        drained_after = None
        drain_start = time.monotonic()
        while time.monotonic() - drain_start < 180:
            left = subprocess.run(
                [
                    "psql",
                    "-tAq",
                    env["DATABASE_URL"],
                    "-c",
                    "SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'delivered'",
                ],
                capture_output=True,
                text=True,
            ).stdout.strip()
            if left == "0":
                drained_after = time.monotonic() - drain_start
                break
            time.sleep(2)
        time.sleep(3)  # let the last emails reach the log
        results_path = out / "results.json"
        results_path.write_text(json.dumps(load.results))
        checked = json.loads(
            subprocess.run(
                [PYTHON, __file__, "--check", str(results_path)],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )

        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
        procs = []
        for log in logs.values():
            log.close()
        worker_log = (out / "worker.log").read_text(errors="replace")
        sent = Counter(re.findall(r"^Message-ID: <outbox\.(\d+)@", worker_log, re.M))
        delivered = {str(i) for i in checked["email_rows_delivered"]}
        duplicated = {k: n for k, n in sent.items() if n > 1}
        missing = delivered - set(sent)
        gunicorn_log = (out / "gunicorn.log").read_text(errors="replace")

        print(
            f"\nRedis drill, {started_at}, {os.cpu_count()} cores; gunicorn 2 sync workers "
            f"(DEBUG off), Celery worker (2) + beat, PostgreSQL, Redis db 13 behind the proxy"
        )
        print(
            f"{'phase':<10}{'confirms':>9}{'302':>6}{'5xx':>5}{'other':>6}"
            f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        )
        for phase, _mode, _seconds in timeline:
            rows = [r for r in load.results if r["phase"] == phase]
            ms = [r["ms"] for r in rows]
            five = sum(1 for r in rows if isinstance(r["status"], int) and r["status"] >= 500)
            ok = sum(1 for r in rows if r["status"] == 302)
            print(
                f"{phase:<10}{len(rows):9d}{ok:6d}{five:5d}{len(rows) - ok - five:6d}"
                f"{percentile(ms, 0.5):8.0f}{percentile(ms, 0.99):8.0f}{max(ms or [0]):8.0f}"
            )
        statuses = Counter(str(r["status"]) for r in load.results)
        print(f"statuses: {dict(statuses)}")
        print(
            f"every confirmed cancellation committed: {checked['committed_of_confirmed']} of "
            f"{checked['confirmed']}" + (f"; LOST {checked['lost']}" if checked["lost"] else "")
        )
        print(
            f"outbox: {checked['outbox_total']} rows, not delivered "
            f"{len(checked['outbox_not_delivered'])}"
            + (
                f" {checked['outbox_not_delivered'][:10]}"
                if checked["outbox_not_delivered"]
                else ""
            )
            + (
                f"; drained {drained_after:.0f} s after the load"
                if drained_after is not None
                else "; NOT drained within 180 s"
            )
        )
        print(
            f"emails: {len(delivered)} email rows delivered, {sum(sent.values())} emails in the "
            f"worker log, {len(sent)} distinct Message-IDs; duplicated {len(duplicated)}"
            f"{' ' + str(dict(list(duplicated.items())[:10])) if duplicated else ''}; "
            f"missing {len(missing)}{' ' + str(sorted(missing)[:10]) if missing else ''}"
        )
        print(
            f"tracebacks: gunicorn log {gunicorn_log.count('Traceback')}, "
            f"worker log {worker_log.count('Traceback')} (logs in {out})"
        )
        bad = (
            any(isinstance(r["status"], int) and r["status"] >= 500 for r in load.results)
            or checked["lost"]
            or checked["outbox_not_delivered"]
            or duplicated
            or missing
        )
        sys.exit(1 if bad else 0)
    finally:
        proxy.set("pass")
        for proc in procs:
            proc.terminate()
            proc.wait(15)
        subprocess.run(["dropdb", "--if-exists", "-h", host, "-U", user, db], check=False)
        subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=False, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
