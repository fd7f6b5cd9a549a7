"""
Seller Central's pages from the page cache (core.pagecache): the order list, the home
page and the requests queue are served from the cache while nothing they show changed,
and never stale: each change a buyer, the seller or a job makes shows on the next view,
and as the clock walks over 45 days the served page is the page a fresh render gives.
"""

import dataclasses
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.services import update_name
from cancellations.models import Reason
from cancellations.services.requests import decline_request, request_cancellation
from cancellations.services.seller import cancel_as_seller
from cancellations.tasks import auto_cancel_late_orders_task
from catalog.services import StoreDetails, update_store
from orders.actors import Actor
from orders.services import post_message
from tests.cancellations.conftest import age, ship
from tests.factories import ListingFactory, UserFactory
from tests.pagecache import assert_served_as_rendered, at_moment, long_sessions, walk

pytestmark = pytest.mark.django_db

ORDERS_URL = reverse("sellercentral:orders")


def body(response) -> str:
    return response.content.decode()


def rows(response) -> int:
    return body(response).count('data-testid="order-row"')


def cached(response) -> bool:
    return getattr(response, "from_page_cache", False)


@pytest.fixture
def seller_in(client, seller, settings):
    """The seller, signed in for longer than the clock walks."""
    long_sessions(settings)
    client.force_login(seller.user)
    return client


def asked(order, buyer, units=1):
    """The buyer asks the seller to cancel ``units`` of an order past quick cancel."""
    return request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: units},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )


# --- Seller Central → Orders -------------------------------------------------------------------
def test_the_order_list_is_served_from_the_cache_while_nothing_changed(seller_in, place):
    place(), place()

    first = seller_in.get(ORDERS_URL)
    again = seller_in.get(ORDERS_URL)

    assert not cached(first) and cached(again)
    assert rows(again) == rows(first) == 2


def _cancel(order, seller, buyer):
    cancel_as_seller(order_id=order.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user))
    return "Cancelled"


def _ship(order, seller, buyer):
    ship(order, seller, {line.pk: line.quantity for line in order.lines.all()})
    return "Shipped"


def _message(order, seller, buyer):
    post_message(order_id=order.pk, body="Is it gift-wrapped?", actor=Actor.buyer(buyer))
    return "Buyer message waiting"


def _request(order, seller, buyer):
    age(order, hours=2)  # past quick cancel: the buyer asks
    asked(order, buyer)
    return "Cancellation requested"


def _sweep(order, seller, buyer):
    age(order, days=10)  # long past ship-by: the sweep cancels it
    assert auto_cancel_late_orders_task() == 1
    return "Cancelled"


@pytest.mark.parametrize(
    "change",
    [_cancel, _ship, _message, _request, _sweep],
    ids=["seller cancels", "seller ships", "buyer writes", "buyer asks", "sweep cancels"],
)
def test_a_change_to_a_listed_order_shows_on_the_next_view(seller_in, place, seller, buyer, change):
    order = place()
    seller_in.get(ORDERS_URL)
    assert cached(seller_in.get(ORDERS_URL))

    shown = change(order, seller, buyer)

    after = seller_in.get(ORDERS_URL)
    assert not cached(after)
    assert shown in body(after)


def test_what_moves_no_count_nor_badge_shows_on_the_next_view(seller_in, place, seller, buyer):
    """
    A buyer's new name, a message flag and a request's mark moving from one order to
    another change no pill count and no nav badge: the rows' digest sees them.
    """
    first, second = age(place(), hours=2), age(place(), hours=2)
    other = UserFactory(username="otto", first_name="Otto")
    third = place(who=other)
    _message(first, seller, buyer)
    declined = asked(first, buyer)
    seller_in.get(ORDERS_URL)

    update_name(user_id=other.pk, first_name="Ottilie", last_name="")
    post_message(order_id=first.pk, body="Yes, it is.", actor=Actor.seller(seller.user))
    _message(second, seller, buyer)
    decline_request(request_id=declined.pk, note="Already packed.", actor=Actor.seller(seller.user))
    asked(second, buyer)

    page = body(seller_in.get(ORDERS_URL))
    row = {order: page[page.index(order.number) :][:600] for order in (first, second, third)}
    assert "Ottilie" in row[third]
    assert "Buyer message waiting" in row[second] and "Buyer message waiting" not in row[first]
    assert "Cancellation requested" in row[second] and "Cancellation requested" not in row[first]


def test_a_new_order_shows_on_the_next_view_and_moves_the_pages(seller_in, place, seller):
    """A new order tops page 1, pushes one onto page 2 and adds to the pills' counts."""
    listing = ListingFactory(seller=seller, stock=100, price="5.00")
    orders = [place({listing: 1}) for _ in range(25)]
    seller_in.get(ORDERS_URL), seller_in.get(ORDERS_URL, {"status": "unshipped"})

    newest = place({listing: 1})

    page = body(seller_in.get(ORDERS_URL))
    unshipped = body(seller_in.get(ORDERS_URL, {"status": "unshipped"}))
    assert newest.number in page and "Page 1 of 2" in page
    assert newest.number in unshipped and "Page 1 of 2" in unshipped
    assert orders[0].number in body(seller_in.get(ORDERS_URL, {"page": 2}))


def test_a_change_to_an_order_on_another_page_shows_in_the_pills(seller_in, place, seller):
    """Page 1's rows are as they were, but its pills count the order cancelled on page 2."""
    listing = ListingFactory(seller=seller, stock=100, price="5.00")
    oldest = age(place(), minutes=5)  # its own listing: page 1 shows no row of it
    for _ in range(25):
        place({listing: 1})
    seller_in.get(ORDERS_URL)

    _cancel(oldest, seller, None)

    page = body(seller_in.get(ORDERS_URL))
    assert oldest.number not in page
    assert 'Cancelled <span class="badge text-bg-light">1</span>' in page


def test_a_search_counts_a_buyer_who_took_the_name_after_it_was_cached(
    seller_in, place, seller, buyer
):
    """
    The search reads the buyers' names: a rename adds an order to the results, here on
    page 2, so page 1's rows are unchanged but it now says "Page 1 of 2".
    """
    listing = ListingFactory(seller=seller, stock=100, price="5.00")
    other = UserFactory(username="otto", first_name="Otto")
    age(place({listing: 1}, who=other), hours=1)  # older: last of the results
    for _ in range(25):
        place({listing: 1})
    search = {"q": "bea"}
    assert "Page 1 of 2" not in body(seller_in.get(ORDERS_URL, search))

    update_name(user_id=other.pk, first_name="Beatrix", last_name="Otto")

    found = seller_in.get(ORDERS_URL, search)
    assert not cached(found)
    assert rows(found) == 25 and "Page 1 of 2" in body(found)


def test_an_order_turning_late_shows_though_no_row_changed(seller_in, place, settings):
    """The late badge and the Late pill's count change at the ship-by date by time alone."""
    order = place()
    before, after = order.ship_by - timedelta(minutes=2), order.ship_by + timedelta(minutes=1)

    hits = assert_served_as_rendered(seller_in, ORDERS_URL, settings, at=[before, before, after])

    assert hits == 1  # the second view before; after, a fresh page says "Late"
    with at_moment(after):
        assert 'data-testid="late-badge"' in body(seller_in.get(ORDERS_URL))


@pytest.fixture
def orders_in_every_state(place, seller, buyer):
    """Today's order, one the buyer asked about, one turning late tomorrow, one shipped."""
    today = place()
    requested = age(place(), hours=2)
    asked(requested, buyer)
    late_soon = age(place(), days=2, hours=12)
    shipped = place()
    _ship(shipped, seller, buyer)
    return [today, requested, late_soon, shipped]


@pytest.mark.parametrize("query", ["", "?status=unshipped&q=bea", "?status=late"])
def test_the_order_list_is_served_as_rendered_as_time_goes_by(
    seller_in, orders_in_every_state, settings, query
):
    hits = assert_served_as_rendered(seller_in, ORDERS_URL + query, settings, at=walk())

    assert hits > 0


def test_another_seller_never_gets_the_list(client, seller_in, seller2, place, settings):
    """Each seller sees their own orders, before and after the owner's page was cached."""
    order = place()
    client2 = type(client)()
    client2.force_login(seller2.user)
    assert order.number not in body(client2.get(ORDERS_URL))

    seller_in.get(ORDERS_URL), seller_in.get(ORDERS_URL)

    theirs = client2.get(ORDERS_URL)
    assert theirs.status_code == 200
    assert order.number not in body(theirs)
    assert escape(seller2.store_name) in body(theirs)


def test_a_buyer_is_refused_the_list_after_the_seller_viewed_it(client, seller_in, buyer, place):
    place()
    seller_in.get(ORDERS_URL), seller_in.get(ORDERS_URL)
    buyer_client = type(client)()
    buyer_client.force_login(buyer)

    assert buyer_client.get(ORDERS_URL).status_code == 403


def renamed(seller, store_name: str) -> None:
    """The seller renames their store (Seller Central → Store settings)."""
    fields = {field.name for field in dataclasses.fields(StoreDetails)}
    details = {name: getattr(seller, name) for name in fields} | {"store_name": store_name}
    update_store(seller_id=seller.pk, details=StoreDetails(**details))


def test_a_renamed_store_shows_in_the_sub_navigation(seller_in, seller, place):
    """The store's name is in every Seller Central page's sub-navigation."""
    seller_in.get(ORDERS_URL)

    renamed(seller, "Sam's Stationery")

    assert "Sam&#x27;s Stationery" in body(seller_in.get(ORDERS_URL))
