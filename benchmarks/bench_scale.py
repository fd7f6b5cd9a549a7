# ruff: noqa: S603, S607 - runs the project's own tools (createdb, manage.py)
"""
100× the data (issue 23 §3): each page's queries and time at 1,000 and at 100,000 orders.

Creates two throwaway PostgreSQL databases (prefix ``--db-prefix``, hsc_ by default,
dropped at the end), seeds one with `seed_demo --orders 1000` and one with `--orders
100000` (buyer2 places one order in ten, seller sells one in two: 100 and 10,000, 500 and
50,000), times the seeding, folds the change log (as its beat job does every 10 minutes)
and ANALYZEs each database (as autovacuum does within a minute of a bulk load: without
statistics the planner sorts all of a buyer's orders for a page).
Then, in a process per database with production settings (DEBUG off, the local-memory
cache), it opens every page once to warm it, counts its queries (Django's test client),
checks that no admin list runs a COUNT without a LIMIT, and takes the median of
``--repeat`` in-process requests. A page's time at 100,000 is compared with its time at
1,000 measured in the same run: the target is at most 1.5×, and no more queries.

The admin lists are compared like for like: at 1,000 orders some show 20–60 rows where
the big database fills a page of 100, so the big database's lists are measured with the
rows per page (``list_per_page``) the small one showed; a list that fills its page at
both sizes is measured as it is. So are the two paged lists of the portal, the requests
queue and the buyer's case list (25 a page): at 1,000 orders they show a few rows, so the
big database's are measured with as many a page. The rows each list showed are printed
beside it.

    .venv/bin/python benchmarks/bench_scale.py [--orders 100000] [--small 1000] [--repeat 15]

PostgreSQL comes from PG_URL (default postgres://root@127.0.0.1:5432). Seeding 100,000
orders takes a few minutes (a progress bar on stderr).
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from benchmarks.bench_pages import bench_env as pages_env  # noqa: E402
from benchmarks.processes import postgres_server  # noqa: E402
from benchmarks.targets import report  # noqa: E402
from tests.admin_counts import unbounded_counts  # noqa: E402

RATIO_TARGET = 1.5
# label, account; the admin lists are opened by a superuser the benchmark adds.
PAGES = [
    ("your_orders", "buyer2"),
    ("order_page", "buyer2"),
    ("seller_orders", "seller"),
    ("seller_home", "seller"),
    # seller2: the demo story leaves it requests to answer at both sizes (seller has none
    # pending at 1,000 orders, so an empty queue was compared with a full page).
    ("requests", "seller2"),
    ("case_list", "buyer2"),
    ("case_page", "buyer2"),
]
ADMIN_LISTS = [
    "orders.order",
    "orders.orderevent",
    "cancellations.cancellation",
    "cancellations.cancellationrequest",
    "disputes.dispute",
    "returns.returnrequest",
    "payments.payment",
    "payments.paymenttransaction",
    "payments.sandboxcharge",
    "notifications.outboxmessage",
    "auth.user",
    "account.emailaddress",
]
ADMIN = "hsc_admin"


def bench_env(database_url: str) -> dict[str, str]:
    """bench_pages.py's production-like environment, with the portal's own settings."""
    env = pages_env(database_url, redis_db=0)  # its Redis is replaced just below
    del env["DJANGO_SETTINGS_MODULE"]  # the portal's settings: no /bench/minimal/ here
    env.update(
        REDIS_URL="",  # the local-memory cache; the filesystem broker nothing reads
        PAYMENT_GATEWAY="sandbox",
        STATIC_ROOT=str(ROOT / "var" / "hsc-static"),  # collected once: the manifest
    )
    return env


# --- In-process part (a subprocess per database) -------------------------------------------
def page_urls() -> dict[str, tuple[str, str]]:
    """label → (account, url) in the current database."""
    from django.urls import reverse

    from disputes.models import Dispute
    from orders.models import Order

    order = Order.objects.filter(buyer__username="buyer2").order_by("-placed_at", "-pk").first()
    case = Dispute.objects.filter(buyer__username="buyer2").order_by("-created_at", "-pk").first()
    assert order is not None and case is not None, "seed_demo --orders gives buyer2 both"
    urls = {
        "your_orders": reverse("orders:your_orders"),
        "order_page": reverse("orders:order_detail", kwargs={"number": order.number}),
        "seller_orders": reverse("sellercentral:orders"),
        "seller_home": reverse("sellercentral:home"),
        "requests": reverse("sellercentral:requests"),
        "case_list": reverse("disputes:case_list"),
        "case_page": reverse("disputes:case_detail", kwargs={"pk": case.pk}),
    }
    pages = {label: (account, urls[label]) for label, account in PAGES}
    for label in ADMIN_LISTS:
        app, model = label.split(".")
        pages[f"admin_{model}"] = (ADMIN, reverse(f"admin:{app}_{model}_changelist"))
    return pages


def admin_rows(html: str) -> int:
    """The rows an admin change list shows (its result table's rows, less the header)."""
    table = html.partition('id="result_list"')[2].partition("</table>")[0]
    return max(table.count("<tr") - 1, 0)


def portal_rows() -> dict[str, int]:
    """The rows the two paged portal lists show on their first page."""
    from django.contrib.auth import get_user_model

    from cancellations.selectors import pending_requests_for_seller
    from catalog.models import Seller
    from disputes import views as disputes_views
    from disputes.selectors import cases_opened_by
    from sellercentral.views import requests

    seller = Seller.objects.get(user__username="seller2")
    buyer = get_user_model().objects.get(username="buyer2")
    return {
        "requests": min(pending_requests_for_seller(seller).count(), requests.REQUESTS_PER_PAGE),
        "case_list": min(cases_opened_by(user=buyer).count(), disputes_views.CASES_PER_PAGE),
    }


def show_rows(rows: dict[str, int]) -> None:
    """
    Each admin list in ``rows`` shows that many rows a page (``list_per_page``), and so do
    the requests queue and the buyer's case list (their page sizes).
    """
    from django.apps import apps
    from django.contrib import admin

    from disputes import views as disputes_views
    from sellercentral.views import requests

    for label in ADMIN_LISTS:
        shown = rows.get(f"admin_{label.split('.')[1]}")
        if shown:
            admin.site.get_model_admin(apps.get_model(label)).list_per_page = shown
    if rows.get("requests"):
        requests.REQUESTS_PER_PAGE = rows["requests"]
    if rows.get("case_list"):
        disputes_views.CASES_PER_PAGE = rows["case_list"]


def measure(repeat: int, rows: dict[str, int]) -> dict[str, object]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.models import Order

    User = get_user_model()
    if not User.objects.filter(username=ADMIN).exists():
        User.objects.create_superuser(ADMIN, f"{ADMIN}@example.com", None)
    clients: dict[str, Client] = {}
    out: dict[str, object] = {"orders": Order.objects.count(), "pages": {}}
    pages = page_urls()
    show_rows(rows)
    shown_here = portal_rows()
    for label, (account, url) in pages.items():
        if account not in clients:
            clients[account] = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
            clients[account].force_login(User.objects.get(username=account))
        client = clients[account]
        client.get(url)  # warm: caches, the first render of each template
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        status = response.status_code
        # Read now: each request's start empties Django's query log.
        captured = queries.captured_queries
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        out["pages"][label] = {  # type: ignore[index]
            "status": status,
            "queries": len(captured),
            "unbounded": unbounded_counts(captured),
            "ms": statistics.median(times),
            "rows": (
                admin_rows(response.content.decode())
                if label.startswith("admin_")
                else shown_here.get(label)
            ),
        }
    return out


# --- Driver --------------------------------------------------------------------------------
def run(cmd: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)  # type: ignore[call-overload]


def seed(db: str, orders: int, env: dict[str, str], host: str, user: str) -> float:
    """Create, migrate and seed ``db``; the seconds seed_demo took."""
    run(["createdb", "-h", host, "-U", user, db], env)
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    started = time.perf_counter()
    # -v1: the progress bar on stderr; its summary lines on stdout are dropped.
    run(
        [PYTHON, "manage.py", "seed_demo", "--force", "--orders", str(orders)],
        env,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    # A live site's change log is folded every 10 minutes (the compact-change-log beat job);
    # a fresh seed's is not, and the buyer's and seller's versions would sum every statement
    # that wrote their 10,000 and 50,000 orders.
    run([PYTHON, "manage.py", "compact_change_log"], env, stdout=subprocess.DEVNULL)
    run(["psql", "-h", host, "-U", user, "-d", db, "-qc", "ANALYZE"], env)
    return seconds


def describe(env: dict[str, str], repeat: int, rows: dict[str, int] | None = None) -> dict:
    """The pages' figures in one database; the admin lists ``rows`` rows a page if given."""
    shown = json.dumps(rows or {})
    result = run(
        [PYTHON, __file__, "--inprocess", "--repeat", str(repeat), "--rows", shown],
        env,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(small: dict, big: dict) -> None:
    print(
        f"{'page':<32} {'queries small/big':>17} {'ms small':>9} {'ms big':>8} {'ratio':>6}"
        f"  (median of in-process requests; target ≤ {RATIO_TARGET}×, no more queries)"
    )
    flat, unbounded = [], []
    for label, at_small in small["pages"].items():
        at_big = big["pages"][label]
        ratio = at_big["ms"] / at_small["ms"]
        # Flat: no page asks more with more data. The first page of each size may hold
        # other kinds of orders (a delivered one reads its returns once for the page).
        flat.append(at_big["queries"] <= at_small["queries"])
        status = "" if at_small["status"] == at_big["status"] == 200 else "  NOT 200"
        shown = f"  rows {at_small['rows']}/{at_big['rows']}" if at_small["rows"] else ""
        print(
            f"{label:<32} {at_small['queries']:>8}/{at_big['queries']:<8} "
            f"{at_small['ms']:>9.1f} {at_big['ms']:>8.1f} {ratio:>5.2f}×{status}{shown}",
            flush=True,
        )
        if label.startswith("admin_"):
            unbounded += [(label, sql) for sql in at_big["unbounded"]]
        report(
            f"scale_{label}",
            f"≤ {RATIO_TARGET}× at 1,000",
            f"{ratio:.2f}× ({at_small['ms']:.1f} → {at_big['ms']:.1f} ms)",
            ratio <= RATIO_TARGET and status == "",
        )
    report(
        "scale_queries_flat",
        "no page asks more at 100×",
        f"{sum(flat)} of {len(flat)} pages flat",
        all(flat),
    )
    for label, sql in unbounded:
        print(f"unbounded COUNT in {label}: {sql[:300]}")
    lists = sum(1 for label in big["pages"] if label.startswith("admin_"))
    report(
        "admin_bounded_counts",
        "no COUNT(*) without LIMIT",
        f"{len(unbounded)} unbounded in {lists} admin lists",
        not unbounded,
    )


def main() -> int | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--orders", type=int, default=100_000, help="the big database's")
    parser.add_argument("--small", type=int, default=1000, help="the small database's")
    parser.add_argument("--repeat", type=int, default=15, help="requests timed per page")
    parser.add_argument("--db-prefix", default="hsc", help="the throwaway databases' names")
    parser.add_argument("--inprocess", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inprocess:
        print(json.dumps(measure(args.repeat, json.loads(args.rows))))
        return None

    pg, host, user = postgres_server()
    suffix = os.getpid()
    dbs = {size: f"{args.db_prefix}_{size}_{suffix}" for size in ("small", "big")}
    secret = secrets.token_urlsafe(50)
    envs = {size: bench_env(f"{pg}/{db}") | {"SECRET_KEY": secret} for size, db in dbs.items()}
    started = time.perf_counter()
    try:
        seconds = {
            size: seed(dbs[size], count, envs[size], host, user)
            for size, count in (("small", args.small), ("big", args.orders))
        }
        run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], envs["small"])
        small = describe(envs["small"], args.repeat)
        # Like for like: the big lists show the rows the small ones did (a full page: as is).
        rows = {label: page["rows"] for label, page in small["pages"].items() if page["rows"]}
        big = describe(envs["big"], args.repeat, rows)
        print(
            f"date {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, DEBUG off, "
            f"PostgreSQL; {small['orders']} and {big['orders']} orders in all"
        )
        print(
            f"seed_demo --orders {args.small}: {seconds['small']:.0f} s; "
            f"--orders {args.orders}: {seconds['big']:.0f} s "
            f"({args.orders / seconds['big']:.0f} orders/s with the demo's own seeding)"
        )
        compare(small, big)
    finally:
        for db in dbs.values():
            subprocess.run(
                ["dropdb", "--if-exists", "-h", host, "-U", user, db],
                env=envs["small"],
                check=False,
            )
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    return None


if __name__ == "__main__":
    sys.exit(main())
