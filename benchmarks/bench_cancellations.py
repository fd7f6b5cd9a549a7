"""
Throughput of checkout and of buyer cancellations through the real services.

Runs in a throwaway test database (created and dropped here), so it never touches
the portal's data. Point DATABASE_URL at PostgreSQL for figures that mean something:

    DATABASE_URL=postgres://root@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/bench_cancellations.py --orders 300

Prints orders/s for checkout (place + authorize) and for cancel_items (lock, re-check,
restock, audit row, outbox rows), and the outbox delivery rate (sandbox gateway + email).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from marketplace.celery import app

    # Dispatching to a broker is measured elsewhere (~2.5 ms through Redis); here the
    # outbox rows stay pending and are delivered in the third phase.
    app.conf.broker_url = "memory://"
    setup_test_environment()  # locmem email
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        run(args.orders)
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)


def run(count):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cancellations.models import Reason
    from cancellations.services import cancel_items
    from catalog.models import Listing, Seller
    from notifications import outbox
    from orders.actors import Actor
    from orders.services import ShippingAddress, place_orders

    User = get_user_model()
    buyer = User.objects.create_user("bench-buyer", "b@example.com", "x")
    # Checkout asks for a confirmed email address (docs/DESIGN.md §16).
    EmailAddress.objects.create(user=buyer, email=buyer.email, verified=True, primary=True)
    seller = Seller.objects.create(
        user=User.objects.create_user("bench-seller", "s@example.com", "x"), store_name="Bench"
    )
    listing = Listing.objects.create(seller=seller, title="Mug", price="9.50", stock=count * 2)
    address = ShippingAddress(name="B", line1="1 St", city="C", postcode="1")

    started = time.perf_counter()
    orders = [
        place_orders(
            buyer=buyer, items={listing.pk: 2}, address=address, card_number="4242424242424242"
        )[0]
        for _ in range(count)
    ]
    checkout = time.perf_counter() - started

    lines = {order.pk: order.lines.get().pk for order in orders}
    started = time.perf_counter()
    for order in orders:
        cancel_items(
            order_id=order.pk,
            quantities={lines[order.pk]: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    cancelling = time.perf_counter() - started

    pending = outbox.pending_message_ids(limit=100_000)
    started = time.perf_counter()
    for message_id in pending:
        outbox.deliver(message_id)
    delivering = time.perf_counter() - started

    print(f"database: {connection.vendor}, orders: {count}")
    print(f"checkout (place + authorize):   {count / checkout:8.1f} orders/s")
    print(f"cancel_items (one unit each):   {count / cancelling:8.1f} cancellations/s")
    print(f"outbox delivery (void + email): {len(pending) / delivering:8.1f} messages/s")


if __name__ == "__main__":
    main()
