"""
Seller Central → Orders (sellercentral/views/orders.py, orders/selectors.py): the status
pills, the search, "Select all on this page", the rows and their query counts.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cancellations.models import Reason
from cancellations.services.seller import cancel_as_seller
from cancellations.tasks import auto_cancel_late_orders_task
from orders import selectors
from orders.actors import Actor
from orders.models import Order, OrderLine, OrderStatus
from tests.cancellations.conftest import age, ship
from tests.factories import ListingFactory, OrderFactory, UserFactory
from tests.sellercentral.test_order import body, list_url, rows

pytestmark = pytest.mark.django_db

S = OrderStatus


# --- The order list ---------------------------------------------------------------------------
@pytest.fixture
def mixed_orders(seller):
    """One order in each state the filter knows, plus a late one."""
    past = timezone.now() - timedelta(days=5)
    return {
        "unshipped": OrderFactory(seller=seller, status=S.UNSHIPPED),
        "preparing": OrderFactory(seller=seller, status=S.PREPARING),
        "late": OrderFactory(seller=seller, status=S.UNSHIPPED, placed_at=past, ship_by=past),
        "partial": OrderFactory(seller=seller, status=S.PARTIALLY_SHIPPED),
        "shipped": OrderFactory(seller=seller, status=S.SHIPPED, placed_at=past, ship_by=past),
        "cancelled": OrderFactory(seller=seller, status=S.CANCELLED, placed_at=past, ship_by=past),
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", {"unshipped", "preparing", "late", "partial", "shipped", "cancelled"}),
        ("unshipped", {"unshipped", "late"}),
        ("preparing", {"preparing"}),
        ("late", {"late"}),
        ("partially_shipped", {"partial"}),
        ("shipped", {"shipped"}),
        ("cancelled", {"cancelled"}),
    ],
)
def test_the_status_filter(client, seller, mixed_orders, status, expected):
    """Late means past ship-by and still shippable; a shipped or cancelled order is never late."""
    client.force_login(seller.user)

    response = client.get(list_url(), {"status": status})

    numbers = {order.number for order in response.context["orders"]}
    assert numbers == {mixed_orders[key].number for key in expected}
    assert rows(response) == len(expected)


def test_status_tabs_show_counts_and_mark_the_current_one(client, seller, mixed_orders):
    """Each tab says how many orders it holds; the chosen one is aria-current."""
    client.force_login(seller.user)

    html = body(client.get(list_url(), {"status": "late", "q": "1"}))

    counts = dict(
        re.findall(r">([A-Za-z ]+) <span class=\"badge text-bg-light\">(\d+)</span>", html)
    )
    assert counts == {
        "All": "6",
        "Awaiting payment": "0",
        "Delivered": "0",
        "Unshipped": "2",
        "Preparing": "1",
        "Late": "1",
        "Partially shipped": "1",
        "Shipped": "1",
        "Cancelled": "1",
    }
    assert re.search(r'href="\?status=late&amp;q=1"\s+aria-current="page"', html)
    assert 'href="?q=1"' in html  # "All" drops the status and keeps the search


def test_search_by_order_number(client, seller, mixed_orders):
    """A full or partial number, with stray spaces, finds the order."""
    target = mixed_orders["preparing"]
    client.force_login(seller.user)

    full = client.get(list_url(), {"q": f"  {target.number} "})
    part = client.get(list_url(), {"q": target.number[-8:]})

    assert list(full.context["orders"]) == [target]
    assert target in part.context["orders"]


@pytest.mark.parametrize(
    "query",
    [
        lambda number: number.replace("-", ""),  # the whole number without its dashes
        lambda number: number.replace("-", " "),  # ... with spaces for dashes
        lambda number: number.replace("-", "")[2:12],  # a part of it, across a dash
        lambda number: f" {number[:5]} {number[5:9]} ",  # a part with spaces, as read out
    ],
)
def test_search_finds_numbers_with_or_without_dashes(client, seller, mixed_orders, query):
    """Given the seller's orders, when a number is searched as typed or pasted, it is found."""
    target = mixed_orders["preparing"]
    client.force_login(seller.user)

    response = client.get(list_url(), {"q": query(target.number)})

    assert target in response.context["orders"]
    assert target.number in body(response)


def test_a_whole_number_without_dashes_is_one_indexed_lookup(client, seller, mixed_orders):
    """The 14 digits of a number are looked up by the number itself (its unique index)."""
    target = mixed_orders["preparing"]
    client.force_login(seller.user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(list_url(), {"q": target.number.replace("-", "")})

    assert list(response.context["orders"]) == [target]
    listed = [q["sql"] for q in queries if f"'{target.number}'" in q["sql"]]
    assert listed and all("REPLACE" not in sql.upper() for sql in listed)


@pytest.mark.parametrize("query", ["Bea", "baker", "Bea Baker", "baker bea", "BEA_B"])
def test_search_finds_buyers_by_first_last_full_name_and_username(client, seller, query):
    """Given two buyers' orders, when a buyer's name or username is searched, only theirs show."""
    bea = UserFactory(username="bea_b", first_name="Bea", last_name="Baker")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Brown")
    listing = ListingFactory(seller=seller)
    beas = OrderFactory(buyer=bea, seller=seller, lines=[(listing, 1)])
    bobs = OrderFactory(buyer=bob, seller=seller, lines=[(listing, 1)])
    client.force_login(seller.user)

    response = client.get(list_url(), {"q": query})

    assert list(response.context["orders"]) == [beas]
    assert bobs.number not in body(response)


def test_search_never_finds_another_sellers_orders(client, seller, seller2, buyer):
    """A number or a buyer's name finds only the signed-in seller's own orders."""
    theirs = OrderFactory(buyer=buyer, seller=seller2)
    client.force_login(seller.user)

    by_number = client.get(list_url(), {"q": theirs.number.replace("-", "")})
    by_name = client.get(list_url(), {"q": "Bea"})

    assert list(by_number.context["orders"]) == []
    assert list(by_name.context["orders"]) == []


def test_select_all_ticks_every_order_on_this_page_without_javascript(client, seller, buyer):
    """
    "Select all on this page" is a link: the page comes back with every cancellable order
    ticked (its rows are cached: ticked and unticked are told apart), and only that page.
    """
    listing = ListingFactory(seller=seller)
    now = timezone.now()
    shipped = OrderFactory(
        buyer=buyer, seller=seller, status=S.SHIPPED, placed_at=now, lines=[(listing, 1)]
    )
    orders = [
        OrderFactory(buyer=buyer, seller=seller, placed_at=now - timedelta(minutes=i))
        for i in range(1, 28)
    ]
    client.force_login(seller.user)

    plain = body(client.get(list_url()))  # the rows cached unticked
    link = re.search(r'href="\?select=1" data-testid="select-all">Select all on this page<', plain)
    ticked = client.get(list_url(), {"select": "1"})
    again = body(client.get(list_url()))
    second_page = body(client.get(list_url(), {"select": "1", "page": "2"}))

    assert link and plain.count(" checked") == 0
    html = body(ticked)
    boxes = re.findall(r'<input type="checkbox"[^>]*name="orders"[^>]*>', html)
    assert len(boxes) == 24 and all(" checked" in box for box in boxes)
    assert shipped.number in html and f'value="{shipped.pk}"' not in html  # no box to tick
    assert "Untick all on this page" in html
    assert 'href="?status=unshipped"' in html  # a pill drops the selection
    assert again.count(" checked") == 0
    assert second_page.count(" checked") == 0
    assert list(ticked.context["orders"]) == [shipped, *orders[:24]]


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"q": "1" * 41}])
def test_invalid_filters_show_an_error_not_a_500(client, seller, mixed_orders, params):
    """Bad filter input is a form error and lists nothing, rather than everything."""
    client.force_login(seller.user)

    response = client.get(list_url(), params)

    assert response.status_code == 200
    assert response.context["filterset"].errors
    assert rows(response) == 0
    assert "Those filters are not valid" in body(response)
    pills = body(response).split('aria-label="Order status"', 1)[1].split("</nav>", 1)[0]
    assert "aria-current" not in pills  # no tab claims the wrong filters


def test_a_row_shows_buyer_dates_late_badge_status_items_total_and_link(client, buyer, seller):
    """Each row has what a seller scans for: who, when, by when, state, what, how much."""
    past = timezone.now() - timedelta(days=3)
    listing = ListingFactory(seller=seller, title="Kraft envelope", price=Decimal("1.25"))
    late = OrderFactory(
        buyer=buyer,
        seller=seller,
        placed_at=past,
        ship_by=past,
        total=Decimal("5.00"),
        lines=[(listing, 4)],
    )
    OrderLine.objects.filter(order=late).update(quantity_cancelled=1)
    client.force_login(seller.user)

    html = body(client.get(list_url()))

    assert f'href="{late.get_seller_url()}"' in html
    assert '<td data-label="Buyer">Bea</td>' in html
    assert "bea@example.com" not in html  # a first name only, no contact details
    assert past.strftime("%b") in html
    assert 'data-testid="late-badge"' in html
    assert "Unshipped" in html
    assert "Kraft envelope" in html and "× 4" in html
    assert "1 of 4 cancelled" in html
    assert '<del class="line-cancelled">' not in html
    # What the order costs now, the original struck
    assert re.search(r'data-testid="order-total-now">\$3\.75<', html)
    assert "was <del>$5.00</del>, $1.25 cancelled" in html


def test_orders_are_newest_first_25_per_page(client, seller):
    """Thirty orders make two pages; page links keep the filters."""
    now = timezone.now()
    orders = [OrderFactory(seller=seller, placed_at=now - timedelta(minutes=i)) for i in range(30)]
    client.force_login(seller.user)

    first = client.get(list_url(), {"status": "unshipped"})
    second = client.get(list_url(), {"status": "unshipped", "page": 2})

    assert list(first.context["orders"]) == orders[:25]
    assert list(second.context["orders"]) == orders[25:]
    assert "?status=unshipped&amp;page=2" in body(first)


@pytest.mark.parametrize("count", [5, 200])
def test_the_list_makes_the_same_queries_for_5_and_200_orders(
    client, seller, django_assert_num_queries, count, page_cache_off
):
    """
    Session, user, seller, the orders' latest change (the counts' key), counts per status
    (until cached), count, orders with their versions and buyers (whether a buyer message
    waits is on the order), the page's pending-request flags and the nav's badges; then,
    for the rows not cached yet, their lines (the payments come with the orders).
    """
    listing = ListingFactory(seller=seller)
    buyer = UserFactory()
    OrderFactory.create_batch(count, buyer=buyer, seller=seller, lines=[(listing, 2)])
    settle(seller)
    client.force_login(seller.user)

    with django_assert_num_queries(10):
        cold = client.get(list_url(), {"status": "unshipped", "q": "-"})
    with django_assert_num_queries(8):
        warm = client.get(list_url(), {"status": "unshipped", "q": "-"})

    assert rows(cold) == rows(warm) == min(count, 25)


@pytest.mark.parametrize("count", [5, 200])
def test_the_list_from_the_page_cache_makes_the_same_queries_for_5_and_200_orders(
    client, seller, django_assert_num_queries, count
):
    """
    Rendered: the queries above and the seller's version (orders.changelog: the page
    cache's key). Served again with nothing changed: session, user, seller and that
    version; no count, no ids, not even the nav's badges.
    """
    listing = ListingFactory(seller=seller)
    OrderFactory.create_batch(count, buyer=UserFactory(), seller=seller, lines=[(listing, 2)])
    settle(seller)
    client.force_login(seller.user)

    with django_assert_num_queries(11):
        rendered = client.get(list_url(), {"status": "unshipped", "q": "-"})
    with django_assert_num_queries(4):
        served = client.get(list_url(), {"status": "unshipped", "q": "-"})

    assert served.from_page_cache
    assert rows(rendered) == rows(served) == min(count, 25)


def test_the_unfiltered_list_counts_its_pages_with_the_pills_query(
    client, seller, django_assert_num_queries, page_cache_off
):
    """
    Without filters the pills' "All" is the list's length: no COUNT of its own (and
    once the orders' last change has settled, the pills' counts come from the cache).
    """
    OrderFactory.create_batch(30, seller=seller)
    settle(seller)
    client.force_login(seller.user)
    client.get(list_url())  # the rows cached

    with django_assert_num_queries(7):
        response = client.get(list_url())

    assert rows(response) == 25
    assert response.context["page_obj"].paginator.num_pages == 2
    assert "Page 1 of 2" in body(response)


# --- The status counts, cached under the orders' latest change ---------------------------------
def settle(seller, minutes=5):
    """Every change to the seller's orders happened ``minutes`` ago: its counts may be cached."""
    Order.objects.filter(seller=seller).update(
        updated_at=F("updated_at") - timedelta(minutes=minutes)
    )


def pills(client) -> dict[str, int]:
    response = client.get(list_url())
    counts = {value or "all": count for value, _label, count in response.context["status_tabs"]}
    counts["late"] = response.context["late_tab"][2]
    return counts


def counted(queries) -> bool:
    """Whether the page counted the orders by status (the grouped query the cache saves)."""
    grouped = 'SELECT "orders_order"."status" AS "status", COUNT('
    return any(query["sql"].startswith(grouped) for query in queries)


def test_the_counts_are_cached_once_the_last_change_has_settled(
    signed_in, seller, mixed_orders, page_cache_off
):
    """Given orders last changed minutes ago, the second view reads the counts from the cache."""
    settle(seller)
    first = pills(signed_in)

    with CaptureQueriesContext(connection) as queries:
        again = pills(signed_in)

    assert again == first
    assert not counted(queries.captured_queries)


def test_the_counts_are_fresh_after_a_seller_cancels_and_ships(signed_in, seller, place):
    """A cancellation or a shipment makes the next view's counts, cached or not, change."""
    cancelled, shipped = place(), place()
    settle(seller)
    assert pills(signed_in)["unshipped"] == 2  # and cached

    cancel_as_seller(
        order_id=cancelled.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user)
    )
    after_cancel = pills(signed_in)
    ship(shipped, seller, {line.pk: line.quantity for line in shipped.lines.all()})
    after_ship = pills(signed_in)

    assert (after_cancel["unshipped"], after_cancel["cancelled"]) == (1, 1)
    assert (after_ship["unshipped"], after_ship["shipped"]) == (0, 1)


def test_a_settled_write_to_an_order_moves_the_key(signed_in, seller, mixed_orders):
    """
    A write that sets ``updated_at`` (as every writer, bulk ones included, must) is a new
    key even when it is old enough to be cached: the counts are counted again.
    """
    settle(seller, minutes=10)
    assert pills(signed_in)["cancelled"] == 1
    Order.objects.filter(pk=mixed_orders["preparing"].pk).update(
        status=S.CANCELLED, updated_at=timezone.now() - timedelta(minutes=5)
    )

    assert pills(signed_in)["cancelled"] == 2


def test_an_unsettled_change_is_never_cached(signed_in, seller, mixed_orders, page_cache_off):
    """
    Within seconds of the latest change, an earlier transaction may still commit behind
    it: the counts are counted on every view until the change has settled.
    """
    pills(signed_in)

    with CaptureQueriesContext(connection) as queries:
        pills(signed_in)

    assert counted(queries.captured_queries)


def test_the_late_count_grows_when_a_ship_by_date_passes(seller):
    """A cached entry holds only until the next unshipped order it did not count turns late."""
    soon = timezone.now() + timedelta(hours=1)
    OrderFactory(seller=seller, status=S.UNSHIPPED, ship_by=soon)
    settle(seller)
    assert selectors.order_counts_for_seller(seller=seller)["late"] == 0  # and cached

    later = selectors.order_counts_for_seller(seller=seller, now=soon + timedelta(minutes=1))

    assert later["late"] == 1


def test_the_auto_cancel_sweep_moves_the_counts(signed_in, seller, place):
    """The sweep's writes set the orders' ``updated_at``: the next view counts its cancellations."""
    order = place()
    age(order, days=10)
    settle(seller)
    assert pills(signed_in)["unshipped"] == 1
    before = Order.objects.get(pk=order.pk).updated_at

    assert auto_cancel_late_orders_task() == 1

    assert Order.objects.get(pk=order.pk).updated_at > before
    assert pills(signed_in)["cancelled"] == 1
