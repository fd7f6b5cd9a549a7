# ruff: noqa: S603, S607 - runs the project's own tools (createdb, manage.py, gunicorn)
"""
Page throughput against a minimal signed-in page, query counts at 10 and 1,000 orders,
and a profile of the worst page.

Creates two throwaway PostgreSQL databases (dropped at the end): a small one seeded with
`seed_demo --force` (about ten orders per demo account) and a big one with
`seed_demo --force --orders 1000`. Serves the big one with gunicorn (2 sync workers,
DEBUG off, benchmarks/bench_settings.py: the portal plus /bench/minimal/), drives each
page with keep-alive HTTP clients in threads, and prints requests/s and the ratio to
/bench/minimal/ measured in the same run (the target is ≥ 0.5×). A page asked again and
again is served by the page cache (core.pagecache); the "fresh" column is what it costs
rendered (page cache off), as after a change.

    .venv/bin/python benchmarks/bench_pages.py [--seconds 5] [--port 8310] [--prefix bench]
        [--redis-db 14]

PostgreSQL comes from PG_URL (default postgres://root@127.0.0.1:5432); Redis db 14 (or
--redis-db) is the broker while seeding (nothing consumes it) and the servers' fragment
cache; its keys are deleted afterwards. --prefix names the throwaway databases, so two
runs on one server never meet.
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = f"{ROOT}/"  # the project's own files in a profile
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from benchmarks.processes import gunicorn_command, postgres_server  # noqa: E402
from benchmarks.targets import report  # noqa: E402

PAGES = [
    # label, account, how to find the URL (see page_urls)
    ("minimal", "buyer2"),
    ("your_orders", "buyer2"),
    ("order_page", "buyer2"),
    ("cancel_items", "buyer2"),
    ("seller_orders", "seller"),
    ("seller_home", "seller"),
    ("seller_requests", "seller2"),
    ("case_page", "buyer"),
    ("dispute_admin", "staff"),
]


def bench_env(database_url, redis_db):
    env = dict(os.environ)
    env.update(
        ENV_FILE="",  # production-like: no .env, DEBUG off
        DEBUG="0",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        DJANGO_SETTINGS_MODULE="benchmarks.bench_settings",
        LOG_LEVEL="WARNING",
        AXES_ENABLED="0",
        ACCOUNT_RATE_LIMITS_ENABLED="0",  # many sign-ins from one address, as with axes
    )
    return env


# --- In-process part (run in a subprocess per database) ------------------------------------
def page_urls():
    """label → (account, url) for the pages of the current database."""
    from django.urls import reverse

    from cancellations.models import CancellationRequest
    from disputes.models import Dispute
    from orders.models import Order, OrderStatus

    buyer2_orders = Order.objects.filter(buyer__username="buyer2").order_by("-placed_at")
    order = buyer2_orders.first()
    open_order = buyer2_orders.filter(status=OrderStatus.UNSHIPPED).first() or order
    request = CancellationRequest.objects.order_by("pk").first()
    requests_seller = request.order.seller.user.username if request else "seller"
    case = Dispute.objects.filter(buyer__username="buyer").order_by("pk").first()
    urls = {
        "minimal": "/bench/minimal/",
        "your_orders": reverse("orders:your_orders"),
        "order_page": reverse("orders:order_detail", kwargs={"number": order.number}),
        "cancel_items": reverse("cancellations:cancel_items", kwargs={"number": open_order.number}),
        "seller_orders": reverse("sellercentral:orders"),
        "seller_home": reverse("sellercentral:home"),
        "seller_requests": reverse("sellercentral:requests"),
        "case_page": reverse("disputes:case_detail", kwargs={"pk": case.pk}),
        "dispute_admin": reverse("admin:disputes_dispute_changelist"),
    }
    accounts = dict(PAGES) | {"seller_requests": requests_seller}
    return {label: (accounts[label], urls[label]) for label, _account in PAGES}


def client_for(username):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def cost(client, url, repeat=10):
    """In-process ms a request: in all, in SQL (as Django times it), rendering templates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = cProfile.Profile()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for _ in range(repeat):
            client.get(url)
        profiler.disable()
    total = (time.perf_counter() - started) * 1000 / repeat
    sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000 / repeat
    stats = pstats.Stats(profiler).stats
    render = sum(
        cumulative
        for (filename, line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.items()
        # Template.render (top of django/template/base.py), not Node.render
        if function == "render" and filename.endswith("django/template/base.py") and line < 200
    )
    own = sorted(
        (
            (cumulative * 1000 / repeat, f"{filename.split(PROJECT)[1]}:{line}({function})")
            for (filename, line, function), (_cc, _nc, _tt, cumulative, _c) in stats.items()
            if PROJECT in filename
            and "/.venv/" not in filename
            and not filename.endswith(("middleware.py", "access.py", "bench_urls.py"))
        ),
        reverse=True,
    )[:4]
    top = [f"{where} {ms:.1f}" for ms, where in own]
    return [round(total, 1), round(sql, 1), round(render * 1000 / repeat, 1), top]


def inprocess(mode, label):
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order

    pages = page_urls()
    out = {"orders": Order.objects.count(), "pages": pages, "queries": {}, "cookies": {}}
    clients = {}
    for account in {account for account, _url in pages.values()}:
        clients[account] = client_for(account)
        out["cookies"][account] = clients[account].cookies["sessionid"].value
    if mode == "describe":
        from django.conf import settings

        for name, (account, url) in pages.items():
            clients[account].get(url)  # warm caches
            with CaptureQueriesContext(connection) as queries:
                response = clients[account].get(url)
            out["queries"][name] = [response.status_code, len(queries)]
            out.setdefault("cost", {})[name] = cost(clients[account], url)
            # What a page costs when the page cache cannot serve it (a change, a deadline).
            settings.PAGE_CACHE = False
            with CaptureQueriesContext(connection) as queries:
                clients[account].get(url)
            fresh = cost(clients[account], url)
            settings.PAGE_CACHE = True
            out.setdefault("fresh", {})[name] = [fresh[0], len(queries)]
        print(json.dumps(out))
    elif mode == "profile":
        account, url = pages[label]
        client = clients[account]
        client.get(url)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(20):
            client.get(url)
        profiler.disable()
        elapsed = (time.perf_counter() - started) / 20 * 1000
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        print(
            f"{label} ({url} as {account}): {elapsed:.1f} ms a request in-process "
            f"(profiler on), {len(queries)} queries, {sql_ms:.1f} ms SQL as Django timed it"
        )
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        # The framework's wrappers fill the top of the first list; the project's own code
        # and the time spent in each function itself say where the time goes.
        for title, order, restrictions in (
            ("Top 15 by cumulative", "cumulative", (15,)),
            (
                "Project code only, top 15 by cumulative",
                "cumulative",
                (re.escape(PROJECT) + r"(?!\.venv)", 15),
            ),
            ("Top 10 by own time", "tottime", (10,)),
        ):
            stream.seek(0)
            stream.truncate()
            stats.sort_stats(order).print_stats(*restrictions)
            table = stream.getvalue()
            print(f"-- {title}:")
            print(table[table.index("   ncalls") :].rstrip() + "\n")


# --- Load generator -------------------------------------------------------------------------
def hammer(port, url, cookie, seconds, threads=4):
    """Requests/s over ``seconds`` with ``threads`` keep-alive connections; and non-200s."""
    headers = {"Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    counts, errors = [0] * threads, [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline:
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[i] += 1
                counts[i] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(errors)


def report_targets(rates, baselines, small, big):
    """One TARGET line a page (≥ 0.5× minimal), and one for flat query counts."""
    for label, (rate, _errors) in rates.items():
        if label != "minimal":
            ratio = rate / baselines[label]
            report(f"page_{label}", "≥ 0.5× minimal", f"{ratio:.2f}×", ratio >= 0.5)
    counts = {label: (small["queries"][label][1], big["queries"][label][1]) for label in rates}
    # Flat: no page asks more at the big size. The first page of each size may hold other
    # kinds of orders (a delivered one reads its returns once for the page), so a page may
    # ask fewer at the big size; what must not happen is a count that grows with the data.
    grown = [
        f"{label} {q_small}/{q_big}"
        for label, (q_small, q_big) in counts.items()
        if q_big > q_small
    ]
    report(
        "page_queries_flat",
        f"none more at {big['orders']} orders than at {small['orders']}",
        ", ".join(grown) or f"none grows ({len(counts)} pages)",
        not grown,
    )


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=5.0, help="per page")
    parser.add_argument("--port", type=int, default=8310)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--prefix", default="bench", help="of the throwaway databases' names")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--inprocess", choices=["describe", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inprocess:
        return inprocess(args.inprocess, args.label)

    pg, host, user = postgres_server()
    suffix = f"{os.getpid()}"
    small_db, big_db = f"{args.prefix}_small_{suffix}", f"{args.prefix}_big_{suffix}"
    envs = {db: bench_env(f"{pg}/{db}", args.redis_db) for db in (small_db, big_db)}
    envs[big_db]["SECRET_KEY"] = envs[small_db]["SECRET_KEY"]
    gunicorn = None
    try:
        for db, extra in ((small_db, []), (big_db, ["--orders", str(args.orders)])):
            run(["createdb", "-h", host, "-U", user, db], envs[db])
            run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], envs[db])
            run(
                [PYTHON, "manage.py", "seed_demo", "--force", "-v0", *extra],
                envs[db],
                stdout=subprocess.DEVNULL,
            )
            # A live database has the planner statistics autovacuum keeps; a fresh seed has
            # none until autovacuum gets to it, and the plans (the nav badges' counts scan
            # the seller's orders without them) would depend on when the run starts.
            # A live site's change log is folded every 10 minutes (compact-change-log).
            run([PYTHON, "manage.py", "compact_change_log"], envs[db], stdout=subprocess.DEVNULL)
            run(["vacuumdb", "--analyze-only", "-q", "-h", host, "-U", user, db], envs[db])
        run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], envs[big_db])
        # Seller Central's counts are cached once the seller's last change has settled
        # (orders.selectors.COUNTS_SETTLE_SECONDS): a live shop's last change is older
        # than that; a database seeded a moment ago is not, and would count its queries
        # on the not-yet-cached path at one size and the cached one at the other.
        time.sleep(10)
        described = {}
        for db in (small_db, big_db):
            result = run(
                [PYTHON, __file__, "--inprocess", "describe"],
                envs[db],
                capture_output=True,
                text=True,
            )
            described[db] = json.loads(result.stdout.strip().splitlines()[-1])
        small, big = described[small_db], described[big_db]

        gunicorn = subprocess.Popen(
            gunicorn_command(args.port),
            env=envs[big_db],
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.1)
        cookies = big["cookies"]
        for account, url in big["pages"].values():  # warm both workers
            hammer(args.port, url, cookies[account], 0.5, threads=2)
        # Each page is measured between two runs of the minimal page and compared with
        # their mean: the machine is shared, and its load drifts within a run.
        account, url = big["pages"]["minimal"]
        rates, baselines = {}, {}
        for label, (account_, url_) in big["pages"].items():
            before = hammer(args.port, url, cookies[account], args.seconds / 2)[0]
            rates[label] = hammer(args.port, url_, cookies[account_], args.seconds)
            after = hammer(args.port, url, cookies[account], args.seconds / 2)[0]
            baselines[label] = (before + after) / 2
        minimal = sum(baselines.values()) / len(baselines)
        print(
            f"date {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, "
            f"gunicorn 2 sync workers, DEBUG off, PostgreSQL, "
            f"{big['orders']} orders in the big database, {small['orders']} in the small one"
        )
        print(
            f"minimal page: {min(baselines.values()):.0f}–{max(baselines.values()):.0f} req/s "
            f"over the run, mean {minimal:.0f} (4 client threads × keep-alive, "
            f"{args.seconds:.0f} s a page, each page against the minimal page around it)"
        )
        print(
            f"{'page':<16} {'account':<8} {'req/s':>7} {'ratio':>6} {'non-200':>7} "
            f"{'queries@small':>13} {'queries@big':>11} {'ms':>5} {'sql':>5} {'render':>6} "
            f"{'fresh ms/q':>10}"
            "  (ms: in-process at the big size, profiler on; fresh: page cache off; "
            "target ≥ 0.5×, equal queries)"
        )
        worst = None
        for label, (rate, errors) in rates.items():
            account = big["pages"][label][0]
            ratio = rate / baselines[label]
            q_small, q_big = small["queries"][label][1], big["queries"][label][1]
            ms, sql, render, _top = big["cost"][label]
            status = (small["queries"][label][0], big["queries"][label][0])
            flag = "" if ratio >= 0.5 and q_small == q_big else "  MISS"
            if status != (200, 200):
                flag += f"  status {status}"
            fresh_ms, fresh_queries = big["fresh"][label]
            print(
                f"{label:<16} {account:<8} {rate:7.0f} {ratio:6.2f} {errors:7d} "
                f"{q_small:13d} {q_big:11d} {ms:5.0f} {sql:5.0f} {render:6.0f} "
                f"{fresh_ms:5.0f}/{fresh_queries:<4d}{flag}"
            )
            if label != "minimal" and (worst is None or ratio < worst[1]):
                worst = (label, ratio)
        report_targets(rates, baselines, small, big)
        print("\nWhere each page's time goes outside the templates (project code, in-process ms")
        print("a request, cumulative, profiler on; the view's own work shows first):")
        for label, (_ms, _sql, _render, top) in big["cost"].items():
            print(f"  {label:<16} " + "; ".join(top))
        gunicorn.terminate()
        gunicorn.wait(10)
        gunicorn = None
        print(f"\nProfile of the worst page, {worst[0]} ({worst[1]:.2f}×), top 15 by cumulative:")
        run([PYTHON, __file__, "--inprocess", "profile", "--label", worst[0]], envs[big_db])
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(10)
        for db in (small_db, big_db):
            subprocess.run(["dropdb", "--if-exists", "-h", host, "-U", user, db], check=False)
        subprocess.run(
            ["redis-cli", "-n", str(args.redis_db), "flushdb"],
            check=False,
            stdout=subprocess.DEVNULL,
        )


if __name__ == "__main__":
    main()
