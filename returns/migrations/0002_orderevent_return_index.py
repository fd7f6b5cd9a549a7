"""
Issue 23 (100× the data): Seller Central home's version query asks for the latest return
event of the seller's orders (``type IN`` the return events, newest first). Without an
index it walked the whole timeline backwards, 400,000 events at 100,000 orders, to find
one (EXPLAIN: 63 ms); this partial index holds only the return events (0.4 ms).

The index is on ``orders_orderevent`` but written here, in SQL, because the return event
types belong to returns (``ReturnEvent``) and ``orders`` knows nothing of returns. The
list is frozen as migrations are; tests/returns/test_models.py checks it against
``ReturnEvent`` so a new event type comes with a new migration.
"""

from django.db import migrations

RETURN_EVENT_TYPES = [
    "return_requested",
    "return_authorized",
    "return_shipped_back",
    "return_delivered_back",
    "return_refunded",
    "return_closed",
]
TYPES = ", ".join(f"'{name}'" for name in RETURN_EVENT_TYPES)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("orders", "0012_scale_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX orderevent_return_idx ON orders_orderevent (id) WHERE type IN ({TYPES})",
            "DROP INDEX orderevent_return_idx",
        ),
    ]
