#!/usr/bin/env bash
# Load test with the auto-cancel sweep running beside it: gunicorn (benchmarks/processes.py's
# command) + a Celery worker + beat, PostgreSQL (a throwaway database, dropped at the end) and
# Redis db 13; locust headless at 25 then 50 users, LOAD_SECONDS each; a feeder makes
# FEED_ORDERS open orders due for auto-cancel every FEED_SECONDS and beat runs the sweep every
# SWEEP_SECONDS; then benchmarks/invariants.sql (every query must return 0 rows). Issue 23's
# load targets, at 50 users, are printed through benchmarks/targets.py.
#   PG_URL=postgres://root@127.0.0.1:5432 LOAD_SECONDS=30 PORT=8320 benchmarks/run_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://root@127.0.0.1:5432}; PG_URL=${PG_URL%/}
PORT=${PORT:-8320}; LOAD_SECONDS=${LOAD_SECONDS:-30}; ORDERS=${ORDERS:-1000}
FEED_SECONDS=${FEED_SECONDS:-3}; FEED_ORDERS=${FEED_ORDERS:-5}
# The README's production step: gunicorn with about 2 workers a core (4 sync workers on
# these 2-core machines); GUNICORN_WORKERS / GUNICORN_THREADS compare other settings.
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-4}
DB=h_load_$$; OUT=var/load-$$; mkdir -p "$OUT"
export ENV_FILE= DEBUG=0 SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 DATABASE_URL=$PG_URL/$DB
export REDIS_URL=redis://127.0.0.1:6379/13 STATIC_ROOT=$PWD/var/bench-static LOG_LEVEL=WARNING
export EMAIL_URL=consolemail:// OUTBOX_SWEEP_SECONDS=5 AXES_ENABLED=0 ACCOUNT_RATE_LIMITS_ENABLED=0
# The sweep beside the load: beat sends the auto-cancel task every SWEEP_SECONDS (the
# production default is a minute), and the feeder below keeps it supplied with due orders.
export AUTO_CANCEL_SECONDS=${SWEEP_SECONDS:-3} AUTO_CANCEL_AFTER_DAYS=${AUTO_CANCEL_AFTER_DAYS:-7}
PY=.venv/bin/python; PIDS=()
# The per-level table, and (`targets`) issue 23's load targets at 50 users through targets.py.
# Pages: every GET and the review POSTs (they validate and render, writing nothing); confirms:
# the POSTs that write (cancel confirms, approve, resolve, confirm shipment).
REPORT=$(cat <<'PY'
import csv, re, sys
sys.path.insert(0, "benchmarks")
from targets import report

mode, stats, swept = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [r for r in csv.DictReader(open(stats)) if r["Name"] != "Aggregated"]
failures = list(csv.DictReader(open(stats.replace("_stats.csv", "_failures.csv"))))
# A dropped connection counts with the 5xx: behind a proxy it is a 502.
fivexx = sum(int(f["Occurrences"]) for f in failures
             if re.search(r"status (5|0\b)|Connection|Disconnected", f["Error"]))
if mode == "table":
    print(f"{'endpoint':<26}{'reqs':>7}{'fails':>6}{'req/s':>8}{'p50':>6}{'p95':>6}{'p99':>6}  (ms)")
    for r in rows + [r for r in csv.DictReader(open(stats)) if r["Name"] == "Aggregated"]:
        print(f"{r['Name'][:25]:<26}{r['Request Count']:>7}{r['Failure Count']:>6}"
              f"{float(r['Requests/s']):8.1f}{r['50%']:>6}{r['95%']:>6}{r['99%']:>6}")
    print(f"5xx: {fivexx}; failures: " + ("; ".join(
        f"{f['Method']} {f['Name']}: {f['Error']} ×{f['Occurrences']}" for f in failures) or "none"))
    print(f"orders auto-cancelled by the sweep during this level: {swept}")
    served = {}  # (method, path with ids masked) → ms inside gunicorn
    for line in open(sys.argv[4]):
        method, path, _status, micros = line.split()
        path = re.sub(r"/\d[\d-]*/", "/…/", path)
        served.setdefault(f"{method} {path}", []).append(int(micros) / 1000)
    print(f"inside gunicorn (ms; the rest of locust's time is waiting for a worker):")
    for key, times in sorted(served.items(), key=lambda kv: -len(kv[1])):
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"  {key[:60]:<60}{len(times):>6}  p50 {times[len(times) // 2]:7.0f}  p99 {p99:7.0f}")
    sys.exit()

def worst(group):
    timed = [r for r in group if r["99%"] not in ("", "N/A") and int(r["Request Count"])]
    top = max(timed, key=lambda r: float(r["99%"]), default=None)
    return (float(top["99%"]), top["Name"]) if top else (None, "none measured")

confirm = [r for r in rows if r["Type"] == "POST" and not r["Name"].endswith("review")]
pages = [r for r in rows if r not in confirm]
report("load_5xx", "0 at 50 users", f"{fivexx} of {sum(int(r['Request Count']) for r in rows)}", fivexx == 0)
for name, group, limit in (("load_pages_p99", pages, 500), ("load_confirms_p99", confirm, 1000)):
    p99, where = worst(group)
    figure = f"{p99:,.0f} ms ({where})" if p99 is not None else where
    report(name, f"worst p99 < {limit:,} ms at 50 users", figure, p99 is not None and p99 < limit)
text, checks = open(sys.argv[4]).read(), open(sys.argv[5]).read().count("\\echo")
counts = [int(n) for n in re.findall(r"^\((\d+) rows?\)$", text, re.M)]
labels = re.findall(r"^[a-z].*$", text, re.M)
for label, n in zip(labels, counts):
    print(f"{label[:90]}  →  {n} rows")
bad = [label for label, n in zip(labels, counts) if n]
figure = (f"{sum(counts)} rows in {len(counts)} of {checks} checks"
          + (f" ({'; '.join(b[:40] for b in bad)})" if bad else ""))
report("load_invariants", "every check 0 rows", figure, len(counts) == checks and not any(counts))
report("load_sweep_ran", "> 0 orders auto-cancelled at 50 users", f"{swept} orders", swept > 0)
PY
)
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
  dropdb --if-exists --force -h 127.0.0.1 -U root "$DB" || true
  redis-cli -n 13 flushdb >/dev/null || true
}
trap cleanup EXIT
sql() { psql -qtAX -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
createdb -h 127.0.0.1 -U root "$DB"
$PY manage.py migrate --no-input -v0
$PY manage.py seed_demo --force --orders "$ORDERS" -v0 >/dev/null
$PY manage.py collectstatic --no-input -v0
# Open orders of `buyer` from `seller` placed through checkout, so the buyers and sellers
# have something to cancel and ship for the whole run (the demo set runs out in seconds).
$PY benchmarks/drill_redis.py --setup "${OPEN_ORDERS:-300}" >/dev/null
sql "CREATE TABLE bench_stock_before AS SELECT l.id AS listing_id, l.stock,
  COALESCE((SELECT SUM(ol.quantity_cancelled) FROM orders_orderline ol WHERE ol.listing_id = l.id), 0) AS cancelled
  FROM catalog_listing l"
# One signed-in session per account, shared by that account's simulated users.
export LOAD_SESSIONS=$($PY manage.py shell -v0 -c "
import json
from django.contrib.auth import get_user_model
from django.test import Client
sessions = {}
for user in get_user_model().objects.filter(username__in=['buyer', 'seller', 'seller2', 'staff']):
    client = Client()
    client.force_login(user)
    sessions[user.username] = client.cookies['sessionid'].value
print(json.dumps(sessions))" | tail -1)
# Due orders for the sweep: every FEED_SECONDS, FEED_ORDERS open orders picked at random
# (the simulated users' own among them, so the sweep races their confirms) go back in time
# until they are a day past ship-by + AUTO_CANCEL_AFTER_DAYS: placed_at, ship_by and
# deliver_by move together, as if the seller had let them sit. Each moved id is logged.
feed() {
  while sleep "$FEED_SECONDS"; do
    sql "WITH picked AS (
           SELECT id, ship_by - (now() - interval '$((AUTO_CANCEL_AFTER_DAYS + 1)) days') AS back
           FROM orders_order
           WHERE status IN ('unshipped', 'preparing', 'partially_shipped') AND ship_by > now()
           ORDER BY random() LIMIT $FEED_ORDERS)
         UPDATE orders_order o SET placed_at = o.placed_at - p.back, ship_by = o.ship_by - p.back,
                deliver_by = o.deliver_by - p.back
         FROM picked p WHERE o.id = p.id RETURNING o.id" >>"$OUT/fed" 2>>"$OUT/feeder.log" || true
  done
}
swept() {  # orders the sweep cancelled since the run began
  sql "SELECT count(DISTINCT order_id) FROM cancellations_cancellation
       WHERE reason = 'shipping_delay' AND created_at >= '$STARTED'"
}
mapfile -t GUNICORN < <($PY -c "import sys; sys.path.insert(0, 'benchmarks')
from processes import gunicorn_command
print(*gunicorn_command($PORT), sep='\n')")
echo "== ${GUNICORN[*]:1}"
# The access log holds each request's time inside gunicorn (%(D)s µs), which the table sets
# beside locust's: the difference is time spent waiting for a free worker.
"${GUNICORN[@]}" --access-logfile "$OUT/access.log" --access-logformat '%(m)s %(U)s %(s)s %(D)s' \
  2>"$OUT/gunicorn.log" & PIDS+=($!)
$PY -m celery -A marketplace worker --concurrency 1 --loglevel WARNING >"$OUT/worker.log" 2>&1 & PIDS+=($!)
$PY -m celery -A marketplace beat --schedule "$OUT/beat-schedule" --loglevel WARNING >"$OUT/beat.log" 2>&1 & PIDS+=($!)
STARTED=$(sql "SELECT now()"); touch "$OUT/fed"
feed & FEEDER=$!; PIDS+=($FEEDER)
# The load starts once gunicorn answers and the sweep has cancelled the first orders fed to
# it (the worker and beat take 10-20 s to start on a busy machine).
for waited in $(seq 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/accounts/sign-in/" || true)
  [ "$code" = 200 ] && { [ "$FEED_ORDERS" = 0 ] || [ "$(swept)" -gt 0 ]; } && break; sleep 1
done
echo "== ready after ${waited}s: gunicorn answers ($code), the sweep has cancelled $(swept) orders"
for users in 25 50; do
  echo "== $users users, ${LOAD_SECONDS}s; the sweep every ${AUTO_CANCEL_SECONDS}s, $FEED_ORDERS orders made due every ${FEED_SECONDS}s"
  before=$(swept); served=$(wc -l <"$OUT/access.log")
  .venv/bin/locust -f benchmarks/locustfile.py --headless -u "$users" -r 10 -t "${LOAD_SECONDS}s" \
    --host "http://127.0.0.1:$PORT" --csv "$OUT/u$users" --only-summary >/dev/null 2>&1 || true
  after=$(swept)
  echo "$((after - before))" >"$OUT/u${users}_swept"
  tail -n "+$((served + 1))" "$OUT/access.log" >"$OUT/u${users}_access.log"
  $PY -c "$REPORT" table "$OUT/u${users}_stats.csv" "$((after - before))" "$OUT/u${users}_access.log"
done
kill "$FEEDER"
echo "== feeder stopped; waiting up to 120 s for the sweep to finish and the outbox to drain"
for _ in $(seq 120); do
  left=$(sql "SELECT (SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'delivered')
    + (SELECT count(*) FROM orders_order WHERE status IN ('unshipped', 'preparing', 'partially_shipped')
       AND ship_by < now() - interval '$AUTO_CANCEL_AFTER_DAYS days')")
  [ "$left" = 0 ] && break; sleep 1
done
echo "orders made due by the feeder: $(wc -l <"$OUT/fed"); auto-cancelled by the sweep: $(swept)"
grep -c "Traceback" "$OUT/gunicorn.log" "$OUT/worker.log" | sed 's/^/tracebacks in /' || true
echo "== invariants (each must be 0 rows)"
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f benchmarks/invariants.sql >"$OUT/invariants.txt" || true
$PY -c "$REPORT" targets "$OUT/u50_stats.csv" "$(cat "$OUT/u50_swept")" \
  "$OUT/invariants.txt" benchmarks/invariants.sql
