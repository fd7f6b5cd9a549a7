"""
The orders' change log (core.changelog, orders.changelog): every statement that changes
anything of an order, whoever runs it, adds to the version of that order, its buyer and its
seller, which the page cache's keys read; nothing else does, and compacting the log keeps
every version.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from catalog.models import Listing
from core.changelog import compact
from core.rowversions import Rows
from orders.changelog import ORDER_LOG
from orders.models import Order, OrderChange, OrderEvent, OrderLine
from orders.selectors import ORDER_PAGE_ROWS
from payments.models import Payment, PaymentTransaction
from tests.factories import OrderFactory, SellerFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
Kind = OrderChange.Kind


def version(kind: int, owner_id: int) -> int:
    found = ORDER_LOG.version(kind, owner_id)
    assert found is not None
    return found


def versions(order: Order) -> tuple[int, int, int]:
    return (
        version(Kind.ORDER, order.pk),
        version(Kind.BUYER, order.buyer_id),
        version(Kind.SELLER, order.seller_id),
    )


def test_every_table_that_belongs_to_an_order_has_the_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger "
            "WHERE tgname IN ('changelog_insert', 'changelog_update', 'changelog_delete') "
            "GROUP BY 1"
        )
        triggers = dict(cursor.fetchall())

    tables = {model._meta.db_table for model, _path in ORDER_LOG.sources()}
    # The order, its lines and theirs (cancelled, shipped, returned), its cases and their
    # messages, its payment and the payment's money rows.
    assert {"orders_order", "orders_orderline", "cancellations_cancellationline"} <= tables
    assert {"disputes_disputemessage", "payments_payment", "payments_paymenttransaction"} <= tables
    assert triggers == dict.fromkeys(tables, 3)  # insert, update, delete


def test_writes_at_every_depth_count_for_their_order_and_its_parties_only():
    order = OrderFactory()
    other = OrderFactory()  # another buyer's, from another store
    before, theirs = versions(order), versions(other)

    OrderLine.objects.filter(order=order).update(quantity_cancelled=1)  # a bulk statement
    after_line = versions(order)
    # Through the payment: the order names it, the money row names the payment.
    PaymentTransaction.objects.filter(payment=order.payment).delete()
    Payment.objects.filter(pk=order.payment_id).update(amount=order.payment.amount)
    after_payment = versions(order)
    # A statement written by hand, as a migration or the database's console would.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO orders_orderevent (order_id, type, actor_role, summary, payload, "
            "created_at) SELECT id, 'note', 'system', '', '{}', now() FROM orders_order "
            "WHERE id = %s",
            [order.pk],
        )

    assert all(a < b for a, b in zip(before, after_line, strict=True))
    assert all(a < b for a, b in zip(after_line, after_payment, strict=True))
    assert all(a < b for a, b in zip(after_payment, versions(order), strict=True))
    assert versions(other) == theirs


def test_a_statement_over_many_orders_counts_once_for_each_owner():
    buyer = UserFactory()
    orders = [OrderFactory(buyer=buyer), OrderFactory(buyer=buyer)]
    before = [version(Kind.ORDER, order.pk) for order in orders]
    buyer_before = version(Kind.BUYER, buyer.pk)

    OrderLine.objects.filter(order__in=orders).update(quantity_cancelled=1)
    OrderLine.objects.filter(order__in=orders).update(quantity_cancelled=0)
    OrderEvent.objects.filter(order__in=orders).update(summary="None: no statement")

    assert [version(Kind.ORDER, order.pk) for order in orders] == [n + 2 for n in before]
    assert version(Kind.BUYER, buyer.pk) == buyer_before + 2


def test_an_order_moved_to_another_buyer_counts_for_both():
    order, newcomer = OrderFactory(), UserFactory()
    first, second = version(Kind.BUYER, order.buyer_id), version(Kind.BUYER, newcomer.pk)

    Order.objects.filter(pk=order.pk).update(buyer=newcomer)

    assert version(Kind.BUYER, order.buyer_id) == first + 1
    assert version(Kind.BUYER, newcomer.pk) == second + 1


def test_names_shown_on_others_pages_count_for_them():
    """A buyer renamed shows on their sellers' lists; a store renamed, on its buyers'."""
    order = OrderFactory()
    buyer, seller = order.buyer, order.seller
    bystander = SellerFactory()
    before = versions(order)
    unseen = version(Kind.SELLER, bystander.pk)

    buyer.last_login = buyer.date_joined  # shown nowhere: counts for no one
    buyer.save()
    assert versions(order) == before
    buyer.first_name = "Renamed"
    buyer.save()
    after_buyer = versions(order)
    seller.store_name = "Renamed store"
    seller.save()

    assert after_buyer == (before[0], before[1], before[2] + 1)
    assert versions(order) == (before[0], before[1] + 1, before[2] + 1)
    assert version(Kind.SELLER, bystander.pk) == unseen


def test_a_stores_listings_count_for_its_seller_only():
    """Seller Central home's insights show listings' titles; no buyer's page shows them."""
    order = OrderFactory()
    listing = order.lines.get().listing
    before = versions(order)

    listing.title = "Renamed"
    listing.save()
    Listing.objects.filter(pk=listing.pk).update(stock=0)
    after = versions(order)
    Listing.objects.filter(pk=listing.pk).update(stock=0)  # the same values: still a statement

    assert after == (before[0], before[1], before[2] + 2)
    assert versions(order)[2] == before[2] + 3


def test_compacting_keeps_every_version_and_folds_the_rows():
    buyer = UserFactory()
    orders = [OrderFactory(buyer=buyer) for _ in range(3)]
    for _ in range(4):
        OrderLine.objects.filter(order__in=orders).update(quantity_cancelled=0)
    before = [versions(order) for order in orders]
    rows = OrderChange.objects.filter(kind=Kind.BUYER, owner_id=buyer.pk)
    crowded = rows.count()

    gone = compact(ORDER_LOG, more_than=2)

    assert [versions(order) for order in orders] == before
    assert rows.count() == 1 < crowded
    assert gone >= crowded - 1
    assert compact(ORDER_LOG, more_than=2) == 0  # nothing left to fold


def test_order_page_rows_change_with_the_order_and_its_listings():
    order = OrderFactory()
    before = ORDER_PAGE_ROWS.versions(order.buyer_id, order.number)

    OrderLine.objects.filter(order=order).update(quantity_cancelled=1)
    after_line = ORDER_PAGE_ROWS.versions(order.buyer_id, order.number)
    listing = order.lines.get().listing
    listing.title = "Renamed"  # not the order's: read as a path (ORDER_PATHS)
    listing.save()
    after_listing = ORDER_PAGE_ROWS.versions(order.buyer_id, order.number)

    assert len({before, after_line, after_listing}) == 3
    assert ORDER_PAGE_ROWS.versions(order.buyer_id, order.number) == after_listing
    assert set(ORDER_PAGE_ROWS.versions(order.buyer_id + 1000, order.number)) == {"|"}  # none


def test_roots_the_log_does_not_cover_are_refused():
    """A root table without the triggers would be read as never changing."""
    listings = Rows(model=Listing, log=ORDER_LOG)
    with pytest.raises(ImproperlyConfigured, match="change log misses Listing"):
        listings.versions_of([1])
    lines = Rows(model=OrderLine, log=ORDER_LOG)  # tracked, but no path to their order
    with pytest.raises(ImproperlyConfigured, match="leads to OrderLine, not Order"):
        lines.versions_of([1])
