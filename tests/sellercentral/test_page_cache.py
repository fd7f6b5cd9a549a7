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
from django.utils import timezone
from django.utils.html import escape

from accounts.services import update_name
from cancellations.models import Reason
from cancellations.services.requests import (
    approve_request,
    decline_request,
    request_cancellation,
    withdraw_request,
)
from cancellations.services.seller import cancel_as_seller
from cancellations.tasks import answer_overdue_requests_task, auto_cancel_late_orders_task
from catalog.services import ListingDetails, StoreDetails, edit_listing, update_store
from orders.actors import Actor
from orders.selectors import EPOCH
from orders.services import post_message
from sellercentral.views.home import HEALTH_REFRESH_SECONDS
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


@pytest.fixture
def two_asked(place, seller, buyer):
    """Two orders past quick cancel, a third of another buyer's; the first's buyer waits."""
    first, second = age(place(), hours=2), age(place(), hours=2)
    other = UserFactory(username="otto", first_name="Otto")
    third = place(who=other)
    _message(first, seller, buyer)
    return first, second, third, asked(first, buyer)


def row_of(page: str, order) -> str:
    return page[page.index(order.number) :][:600]


def test_a_buyers_new_name_shows_in_their_row(seller_in, two_asked):
    """A new name moves no pill count and no nav badge: the buyers' rows are digested."""
    third = two_asked[2]
    seller_in.get(ORDERS_URL)

    update_name(user_id=third.buyer_id, first_name="Ottilie", last_name="")

    assert "Ottilie" in row_of(body(seller_in.get(ORDERS_URL)), third)


def test_the_message_flag_moving_to_another_order_shows(seller_in, two_asked, seller, buyer):
    """One buyer answered, another waits: the badge still says 1, the flag moved."""
    first, second, _third, _item = two_asked
    seller_in.get(ORDERS_URL)

    post_message(order_id=first.pk, body="Yes, it is.", actor=Actor.seller(seller.user))
    _message(second, seller, buyer)

    page = body(seller_in.get(ORDERS_URL))
    flag = "Buyer message waiting"
    assert flag in row_of(page, second) and flag not in row_of(page, first)


def test_the_request_mark_moving_to_another_order_shows(seller_in, two_asked, seller, buyer):
    """One request declined, another filed: the badge still says 1, the mark moved."""
    first, second, _third, item = two_asked
    seller_in.get(ORDERS_URL)

    decline_request(request_id=item.pk, note="Already packed.", actor=Actor.seller(seller.user))
    asked(second, buyer)

    page = body(seller_in.get(ORDERS_URL))
    mark = "Cancellation requested"
    assert mark in row_of(page, second) and mark not in row_of(page, first)


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


# --- Seller Central home -----------------------------------------------------------------------
HOME_URL = reverse("sellercentral:home")


def test_the_home_page_is_served_from_the_cache_while_nothing_changed(seller_in, place):
    place()

    first = seller_in.get(HOME_URL)
    again = seller_in.get(HOME_URL)

    assert not cached(first) and cached(again)
    assert "1 unshipped" in body(again)


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (lambda order, seller, buyer: _ship(order, seller, buyer), "No order waits to ship."),
        (lambda order, seller, buyer: _message(order, seller, buyer), "1 buyer</a>"),
        (lambda order, seller, buyer: _request(order, seller, buyer), "1 cancellation request"),
        (lambda order, seller, buyer: _cancel(order, seller, buyer), "1 of 1 orders cancelled"),
    ],
    ids=["seller ships", "buyer writes", "buyer asks", "seller cancels"],
)
def test_a_change_shows_on_the_home_page_at_once(seller_in, place, seller, buyer, change, shown):
    order = place()
    seller_in.get(HOME_URL)

    change(order, seller, buyer)

    after = seller_in.get(HOME_URL)
    assert not cached(after)
    assert shown in body(after)


def described(listing, title: str) -> None:
    """The seller gives the listing a new title (Seller Central → Inventory → Edit)."""
    fields = {field.name for field in dataclasses.fields(ListingDetails)} - {"stock_shown"}
    details = {name: getattr(listing, name) for name in fields} | {"title": title}
    edit_listing(
        listing_id=listing.pk, seller_id=listing.seller_id, details=ListingDetails(**details)
    )


def test_a_listing_renamed_shows_in_the_insights_though_no_count_moved(seller_in, place, seller):
    """
    The insights name the listings behind the cancellations: a new title moves neither
    the orders to ship nor a badge, only the figures' version (the listings' latest change).
    """
    lamp = ListingFactory(seller=seller, title="Desk lamp", stock=10, price="20.00")
    _cancel(place({lamp: 1}), seller, None)
    assert "Desk lamp" in body(seller_in.get(HOME_URL))

    described(lamp, "Reading lamp")

    after = body(seller_in.get(HOME_URL))
    assert "Reading lamp" in after and "Desk lamp" not in after


def test_an_order_turning_late_shows_on_the_home_page_within_the_figures_slot(
    seller_in, place, settings
):
    """Between two views in one 5-minute slot an order turns late: "1 late" to ship."""
    order = place()
    mid_slot = (order.ship_by.timestamp() - 150) % 300  # its ship-by 2.5 minutes into a slot
    order = age(order, seconds=mid_slot)
    before, after = order.ship_by - timedelta(seconds=5), order.ship_by + timedelta(seconds=5)

    hits = assert_served_as_rendered(seller_in, HOME_URL, settings, at=[before, before, after])

    assert hits == 1
    with at_moment(after):
        assert "1 late</a>" in body(seller_in.get(HOME_URL))


def test_a_renamed_store_shows_on_the_home_page(seller_in, seller):
    seller_in.get(HOME_URL)

    renamed(seller, "Sam's Stationery")

    assert "Sam&#x27;s Stationery" in body(seller_in.get(HOME_URL))


def test_the_home_page_is_served_as_rendered_as_time_goes_by(
    seller_in, orders_in_every_state, settings
):
    """
    The figures are computed afresh each 5-minute slot, orders turn late, windows slide.
    The walk's steps are longer than a slot: each is viewed again half a minute later,
    in the same slot (the walk starts a minute into one: its steps are whole slots apart,
    so a start in a slot's last half minute would cross into the next at every step).
    """
    now = timezone.now()
    slot = timedelta(seconds=HEALTH_REFRESH_SECONDS)
    start = now - (now - EPOCH) % slot + slot + timedelta(minutes=1)
    at = [moment for step in walk(start) for moment in (step, step + timedelta(seconds=30))]

    hits = assert_served_as_rendered(seller_in, HOME_URL, settings, at=at)

    assert hits > 0


def test_another_seller_gets_their_own_home_page(client, seller_in, seller2, place):
    place()
    client2 = type(client)()
    client2.force_login(seller2.user)
    assert "No order waits to ship." in body(client2.get(HOME_URL))

    seller_in.get(HOME_URL), seller_in.get(HOME_URL)

    theirs = body(client2.get(HOME_URL))
    assert "No order waits to ship." in theirs and escape(seller2.store_name) in theirs


# --- Seller Central → Requests -----------------------------------------------------------------
REQUESTS_URL = reverse("sellercentral:requests")


def requests_shown(response) -> int:
    return body(response).count('data-testid="request"')


@pytest.fixture
def asking(place, buyer):
    """Two orders past quick cancel; the buyer asked about the first."""
    first, second = age(place(), hours=2), age(place(), hours=2)
    return first, second, asked(first, buyer)


def test_the_queue_is_served_from_the_cache_while_nothing_changed(seller_in, asking):
    first = seller_in.get(REQUESTS_URL)
    again = seller_in.get(REQUESTS_URL)

    assert not cached(first) and cached(again)
    assert requests_shown(again) == 1


def _withdrawn(item, seller, buyer):
    withdraw_request(request_id=item.pk, actor=Actor.buyer(buyer))


def _approved(item, seller, buyer):
    approve_request(request_id=item.pk, actor=Actor.seller(seller.user))


def _declined(item, seller, buyer):
    decline_request(request_id=item.pk, note="Already packed.", actor=Actor.seller(seller.user))


def _answered_by_the_job(item, seller, buyer):
    with at_moment(item.response_due_at() + timedelta(minutes=1)):
        assert answer_overdue_requests_task() == 1


@pytest.mark.parametrize(
    "change",
    [_withdrawn, _approved, _declined, _answered_by_the_job],
    ids=["buyer withdraws", "seller approves", "seller declines", "deadline job answers"],
)
def test_an_answered_request_leaves_the_queue_at_once(seller_in, asking, seller, buyer, change):
    seller_in.get(REQUESTS_URL)

    change(asking[2], seller, buyer)

    after = seller_in.get(REQUESTS_URL)
    assert not cached(after) and requests_shown(after) == 0


def test_a_request_moved_to_another_order_shows_though_as_many_wait(
    seller_in, asking, seller, buyer
):
    """The buyer withdraws one and asks about another order: the same count, another row."""
    first, second, item = asking
    seller_in.get(REQUESTS_URL)

    _withdrawn(item, seller, buyer)
    asked(second, buyer)

    page = body(seller_in.get(REQUESTS_URL))
    assert second.number in page and first.number not in page


def test_the_order_asked_about_shipped_renders_the_queue_afresh(seller_in, asking, seller, buyer):
    """No count nor badge moves, but the order's rows (all in the digest) did."""
    first, _second, _item = asking
    seller_in.get(REQUESTS_URL)

    _ship(first, seller, buyer)  # the request stays, now only to decline

    after = seller_in.get(REQUESTS_URL)
    assert not cached(after) and requests_shown(after) == 1


def test_the_queue_is_served_as_rendered_as_time_goes_by(seller_in, asking, place, buyer, settings):
    """Relative times are filled per view; the deadlines pass; nothing else moves."""
    asked(age(place(), hours=30), buyer)  # due in 18 hours

    hits = assert_served_as_rendered(seller_in, REQUESTS_URL, settings, at=walk())

    assert hits > 0


def test_another_seller_never_gets_the_queue(client, seller_in, seller2, asking):
    first = asking[0]
    client2 = type(client)()
    client2.force_login(seller2.user)
    assert first.number not in body(client2.get(REQUESTS_URL))

    seller_in.get(REQUESTS_URL), seller_in.get(REQUESTS_URL)

    theirs = body(client2.get(REQUESTS_URL))
    assert first.number not in theirs and "No requests wait for an answer." in theirs


def test_a_buyer_is_refused_the_queue_after_the_seller_viewed_it(client, seller_in, buyer, asking):
    seller_in.get(REQUESTS_URL), seller_in.get(REQUESTS_URL)
    buyer_client = type(client)()
    buyer_client.force_login(buyer)

    assert buyer_client.get(REQUESTS_URL).status_code == 403
