#!/usr/bin/env bash
# Load test: gunicorn (2 sync workers) + a Celery worker + beat, PostgreSQL (a throwaway
# database, dropped at the end) and Redis db 13; locust headless at 25 then 50 users,
# LOAD_SECONDS each; then benchmarks/invariants.sql (every query must return 0 rows).
#   PG_URL=postgres://root@127.0.0.1:5432 LOAD_SECONDS=30 PORT=8320 benchmarks/run_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgres://root@127.0.0.1:5432}; PG_URL=${PG_URL%/}
PORT=${PORT:-8320}; LOAD_SECONDS=${LOAD_SECONDS:-30}; ORDERS=${ORDERS:-1000}
DB=h_load_$$; OUT=var/load-$$; mkdir -p "$OUT"
export ENV_FILE= DEBUG=0 SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 DATABASE_URL=$PG_URL/$DB
export REDIS_URL=redis://127.0.0.1:6379/13 STATIC_ROOT=$PWD/var/bench-static LOG_LEVEL=WARNING
export EMAIL_URL=consolemail:// OUTBOX_SWEEP_SECONDS=5 AXES_ENABLED=0 ACCOUNT_RATE_LIMITS_ENABLED=0
PY=.venv/bin/python; PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true
  dropdb --if-exists -h 127.0.0.1 -U root "$DB" || true
  redis-cli -n 13 flushdb >/dev/null || true
}
trap cleanup EXIT
createdb -h 127.0.0.1 -U root "$DB"
$PY manage.py migrate --no-input -v0
$PY manage.py seed_demo --force --orders "$ORDERS" -v0 >/dev/null
$PY manage.py collectstatic --no-input -v0
# Open orders of `buyer` from `seller` placed through checkout, so the buyers and sellers
# have something to cancel and ship for the whole run (the demo set runs out in seconds).
$PY benchmarks/drill_redis.py --setup "${OPEN_ORDERS:-300}" >/dev/null
psql -q "$DATABASE_URL" -c "CREATE TABLE bench_stock_before AS SELECT l.id AS listing_id, l.stock,
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
$PY -m gunicorn marketplace.wsgi --workers 2 --bind 127.0.0.1:$PORT --log-level warning \
  --access-logfile /dev/null 2>"$OUT/gunicorn.log" & PIDS+=($!)
$PY -m celery -A marketplace worker --concurrency 1 --loglevel WARNING >"$OUT/worker.log" 2>&1 & PIDS+=($!)
$PY -m celery -A marketplace beat --schedule "$OUT/beat-schedule" --loglevel WARNING >"$OUT/beat.log" 2>&1 & PIDS+=($!)
sleep 3
for users in 25 50; do
  echo "== $users users, ${LOAD_SECONDS}s"
  .venv/bin/locust -f benchmarks/locustfile.py --headless -u "$users" -r 10 -t "${LOAD_SECONDS}s" \
    --host "http://127.0.0.1:$PORT" --csv "$OUT/u$users" --only-summary >/dev/null 2>&1 || true
  $PY - "$OUT/u${users}_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'endpoint':<26}{'reqs':>7}{'fails':>6}{'req/s':>8}{'p50':>6}{'p95':>6}{'p99':>6}  (ms)")
for r in rows:
    print(f"{r['Name'][:25]:<26}{r['Request Count']:>7}{r['Failure Count']:>6}{float(r['Requests/s']):8.1f}"
          f"{r['50%']:>6}{r['95%']:>6}{r['99%']:>6}")
failures = list(csv.DictReader(open(sys.argv[1].replace("_stats.csv", "_failures.csv"))))
fivexx = sum(int(f["Occurrences"]) for f in failures if "status 5" in f["Error"])
print(f"5xx: {fivexx}; failures: " + ("; ".join(
    f"{f['Method']} {f['Name']}: {f['Error']} ×{f['Occurrences']}" for f in failures) or "none"))
PY
done
echo "== waiting up to 60 s for the outbox to drain"
for _ in $(seq 60); do
  left=$(psql -tAq "$DATABASE_URL" -c "SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'delivered'")
  [ "$left" = 0 ] && break; sleep 1
done
grep -c "Traceback" "$OUT/gunicorn.log" "$OUT/worker.log" | sed 's/^/tracebacks in /' || true
echo "== invariants (each must be 0 rows)"
psql -q "$DATABASE_URL" -f benchmarks/invariants.sql | grep -E '^[a-z]|rows\)' | paste - - | sed 's/\t/  →  /'
