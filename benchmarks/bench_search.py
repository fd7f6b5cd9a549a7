"""
The Shop's search over a large catalogue: what a page of results costs.

Runs in a throwaway test database (created and dropped here), so it never touches the
portal's data. On PostgreSQL (the figures that mean something) it is the full-text
search with its GIN index; on SQLite the contains-match:

    DATABASE_URL=postgres://root@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/bench_search.py --listings 20000

Seeds ``--listings`` listings whose titles and descriptions draw on a small vocabulary
(so a common word matches most of them), plus 50 with a rare word, then prints for each
search the matches and the median time of one results page: the count, the first 24
listings and their first photos, as ShopView runs them. And whether PostgreSQL's plan
uses the index.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

# A small vocabulary, so that a common word is in most listings.
WORDS = [
    *("notebook", "pen", "pencil", "lamp", "kettle", "mug", "skillet", "knife", "board"),
    *("organizer", "sticky", "notes", "ink", "paper", "desk", "brass", "copper", "walnut"),
    *("enamel", "tea", "caddy"),
]
SEARCHES = [
    ("zeppelin", None),  # rare: 50 listings
    ("walnut caddy", None),  # common words: most listings, ranked
    ("walnut caddy", "price"),  # the same, by price: no ranking
    ("", "newest"),  # browsing, no words
]
RUNS = 15


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--listings", type=int, default=20000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        seed(args.listings)
        for query, sort in SEARCHES:
            report(query, sort)
        if connection.vendor == "postgresql":
            print(f"the plan uses listing_search_idx: {uses_the_index('walnut caddy')}")
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)


def seed(count):
    from django.contrib.auth import get_user_model

    from catalog.models import Listing, Seller

    shuffle = random.Random(7)  # made-up data, the same every run  # noqa: S311
    user = get_user_model().objects.create_user("bench-seller", "s@example.com", "x")
    seller = Seller.objects.create(user=user, store_name="Bench store")
    listings = [
        Listing(
            seller=seller,
            title=" ".join(shuffle.choices(WORDS, k=4)),
            description=" ".join(shuffle.choices(WORDS, k=40)),
            price=f"{shuffle.randint(100, 9999) / 100:.2f}",
            stock=5,
        )
        for _ in range(count)
    ]
    listings += [
        Listing(seller=seller, title=f"Tin zeppelin {n}", description="A wind-up toy.", price=19)
        for n in range(50)
    ]
    Listing.objects.bulk_create(listings, batch_size=2000)
    print(f"{len(listings):,} listings")


def report(query, sort):
    from catalog.selectors import shop_listings

    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        listings = shop_listings(query=query, sort=sort)
        matches = listings.count()
        list(listings[:24])
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"q={query!r:15} sort={sort or 'best match':10} matches={matches:7,}  "
        f"median {statistics.median(times):7.1f} ms a page"
    )


def uses_the_index(query):
    from django.db import connection

    from catalog.selectors import shop_listings

    sql, params = shop_listings(query=query).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "listing_search_idx" in "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    main()
