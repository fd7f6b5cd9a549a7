-- Invariants after a load run or a drill: every query must return zero rows.
-- Run with: psql "$DATABASE_URL" -f benchmarks/invariants.sql   (each query is labelled)
-- Stock conservation compares with bench_stock_before, a snapshot run_load.sh takes
-- before the load (listing stock and units cancelled so far); without it, that check
-- only asserts stock >= 0.

\echo 'stock never negative'
SELECT id, stock FROM catalog_listing WHERE stock < 0;

\echo 'stock conserved: stock change = units cancelled since the snapshot (no checkout runs in the load; "No inventory" empties the shelf and is excluded)'
SELECT l.id, b.stock AS stock_before, l.stock AS stock_after,
       COALESCE(c.cancelled, 0) - b.cancelled AS cancelled_since
FROM catalog_listing l
JOIN bench_stock_before b ON b.listing_id = l.id
LEFT JOIN (SELECT ol.listing_id, SUM(ol.quantity_cancelled) AS cancelled
           FROM orders_orderline ol
           GROUP BY ol.listing_id) c ON c.listing_id = l.id
WHERE l.stock - b.stock <> COALESCE(c.cancelled, 0) - b.cancelled
  AND NOT EXISTS (SELECT 1 FROM cancellations_cancellation cc
                  JOIN cancellations_cancellationline cl ON cl.cancellation_id = cc.id
                  JOIN orders_orderline ol ON ol.id = cl.order_line_id
                  WHERE ol.listing_id = l.id AND cc.reason = 'no_inventory');

\echo 'refunds <= captures (succeeded gateway transactions per payment)'
SELECT payment_id,
       SUM(amount) FILTER (WHERE kind = 'capture') AS captured,
       SUM(amount) FILTER (WHERE kind = 'refund') AS refunded
FROM payments_paymenttransaction WHERE status = 'succeeded'
GROUP BY payment_id
HAVING COALESCE(SUM(amount) FILTER (WHERE kind = 'refund'), 0)
     > COALESCE(SUM(amount) FILTER (WHERE kind = 'capture'), 0);

\echo 'cancelled + shipped <= ordered'
SELECT id, quantity, quantity_cancelled, quantity_shipped FROM orders_orderline
WHERE quantity_cancelled + quantity_shipped > quantity;

\echo 'units cancelled on a line = its cancellation rows'
SELECT ol.id, ol.quantity_cancelled, COALESCE(SUM(cl.quantity), 0) AS in_cancellations
FROM orders_orderline ol LEFT JOIN cancellations_cancellationline cl ON cl.order_line_id = ol.id
GROUP BY ol.id HAVING ol.quantity_cancelled <> COALESCE(SUM(cl.quantity), 0);

\echo 'every cancellation audited (an items_cancelled event on its order)'
SELECT c.id, c.order_id FROM cancellations_cancellation c
WHERE NOT EXISTS (SELECT 1 FROM orders_orderevent e
                  WHERE e.order_id = c.order_id AND e.type = 'items_cancelled');

\echo 'every cancelled or shipped order audited'
SELECT o.id, o.status FROM orders_order o
WHERE (o.status = 'cancelled' AND NOT EXISTS (SELECT 1 FROM orders_orderevent e
        WHERE e.order_id = o.id AND e.type = 'items_cancelled'))
   OR (o.status IN ('shipped', 'partially_shipped', 'delivered') AND NOT EXISTS (
        SELECT 1 FROM orders_orderevent e WHERE e.order_id = o.id AND e.type = 'shipped'));

\echo 'every answered cancellation request audited'
SELECT r.id, r.status FROM cancellations_cancellationrequest r
WHERE r.status <> 'pending' AND NOT EXISTS (SELECT 1 FROM orders_orderevent e
      WHERE e.order_id = r.order_id AND e.type LIKE 'cancellation_request%' AND e.type <> 'cancellation_requested'
      UNION SELECT 1 FROM cancellations_cancellation c WHERE c.request_id = r.id);

\echo 'outbox drained'
SELECT id, kind, status, attempts, last_error FROM notifications_outboxmessage
WHERE status <> 'delivered';
