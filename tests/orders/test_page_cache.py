"""
Your Orders from the page cache (core.pagecache): served while the rows of the slices the
page reads are unchanged and none of its deadlines has passed; anything another party or
a job changes, and anything time alone changes, shows on the next view.
"""

import uuid
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from cancellations.rules import BuyerMode
from cancellations.services.requests import approve_request, submit_buyer_cancellation
from cancellations.services.seller import cancel_as_seller
from catalog.services import StoreDetails, update_store
from orders.actors import Actor
from orders.services import confirm_shipment, mark_delivered, place_orders
from returns.models import ReturnReason
from returns.services import request_return
from tests.cancellations.conftest import age
from tests.factories import ADDRESS, DECLINED_CARD, GOOD_CARD, ListingFactory
from tests.pagecache import assert_served_as_rendered, at_moment, long_sessions, walk

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = reverse("orders:your_orders")


@pytest.fixture
def place(buyer, seller, django_capture_on_commit_callbacks):
    """Place an order through checkout, as the buyer does: ``place(card=...)``."""

    def place_order(*, card=GOOD_CARD, units=2):
        listing = ListingFactory(seller=seller, stock=10, price=Decimal("12.50"))
        with django_capture_on_commit_callbacks(execute=True):
            (order,) = place_orders(
                buyer=buyer, items={listing.pk: units}, address=ADDRESS, card_number=card
            )
        return order

    return place_order


def ship_all(order, seller):
    return confirm_shipment(
        order_id=order.pk,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        carrier="UPS",
        tracking_number="1Z999",
        actor=Actor.seller(seller.user),
    )


def ask_the_seller(order, buyer):
    return submit_buyer_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        note="",
        actor=Actor.buyer(buyer),
        idempotency_key=uuid.uuid4().hex,
        expected_mode=BuyerMode.REQUEST,
    )


def page(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def test_the_page_is_served_from_the_cache_while_nothing_changed(client, buyer, place):
    order = place()
    client.force_login(buyer)

    first = page(client)
    again = page(client)

    assert not getattr(first, "from_page_cache", False)
    assert again.from_page_cache
    assert order.number in main(again)
    assert main(again) == main(first)


def test_a_shipment_then_a_delivery_show_on_the_next_view(client, buyer, seller, place):
    """The seller ships, the carrier's job delivers: each shows on the card at once."""
    order = place()
    client.force_login(buyer)
    assert "Cancel Items" in main(page(client))

    ship_all(order, seller)
    shipped = page(client)
    assert not getattr(shipped, "from_page_cache", False)
    assert "2 shipped" in main(shipped) and "Cancel Items" not in main(shipped)

    mark_delivered(order_id=order.pk, actor=Actor.system())
    delivered = page(client)
    assert "Delivered" in main(delivered) and "Return items" in main(delivered)


def test_a_sellers_cancellation_moves_the_order_between_tabs(client, buyer, seller, place):
    order = place()
    client.force_login(buyer)
    assert order.number in main(page(client))
    assert order.number not in main(page(client, tab="cancelled"))

    cancel_as_seller(order_id=order.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user))

    assert order.number not in main(page(client))
    assert order.number in main(page(client, tab="cancelled"))


def test_an_answered_request_shows_on_the_next_view(client, buyer, seller, place):
    """The buyer asks (another tab), the seller approves: the card says each."""
    order = age(place(), hours=2)
    client.force_login(buyer)
    assert 'data-testid="card-pending-request"' not in main(page(client))

    request = ask_the_seller(order, buyer)
    assert 'data-testid="card-pending-request"' in main(page(client))

    approve_request(request_id=request.pk, actor=Actor.seller(seller.user))
    after = main(page(client))
    assert 'data-testid="card-pending-request"' not in after
    assert "1 of 2 cancelled" in after


def test_a_return_and_a_store_rename_show_on_the_next_view(client, buyer, seller, place):
    order = place()
    ship_all(order, seller)
    mark_delivered(order_id=order.pk, actor=Actor.system())
    client.force_login(buyer)
    assert 'data-testid="card-return"' not in main(page(client))

    request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=ReturnReason.NO_LONGER_NEEDED,
        note="",
        opened=False,
        actor=Actor.buyer(buyer),
    )
    assert 'data-testid="card-return"' in main(page(client))

    details = {field.name: getattr(seller, field.name) for field in fields(StoreDetails)}
    update_store(seller_id=seller.pk, details=StoreDetails(**{**details, "store_name": "Ink & Co"}))
    assert "Ink &amp; Co" in main(page(client))


def test_a_new_order_shows_and_the_older_link_follows_the_one_more(client, buyer, seller, place):
    """
    Ten orders fill a page: an eleventh placed elsewhere shows first, and "Older orders"
    appears; the seller cancelling the oldest (the page's one more) takes the link away.
    """
    orders = [place() for _ in range(10)]
    client.force_login(buyer)
    assert "Older orders" not in main(page(client))

    newest = place()
    first = main(page(client))
    assert newest.number in first and "Older orders" in first

    cancel_as_seller(
        order_id=orders[0].pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user)
    )
    assert "Older orders" not in main(page(client))


def test_the_page_is_served_as_rendered_as_time_goes_by(client, buyer, seller, place, settings):
    """
    Orders in every state the cards word by time: just placed (quick-cancel window,
    "Today"), asked to cancel, declined (revise by), shipped, delivered (return window,
    then off the Current tab): at every instant of 45 days the served page is a fresh one.
    """
    long_sessions(settings)
    place()
    ask_the_seller(age(place(), hours=2), buyer)
    age(place(card=DECLINED_CARD), hours=5)
    ship_all(age(place(), days=1), seller)
    delivered = age(place(), days=3)
    ship_all(delivered, seller)
    mark_delivered(order_id=delivered.pk, actor=Actor.system())
    client.force_login(buyer)

    hits = assert_served_as_rendered(client, URL, settings, at=walk())
    hits += assert_served_as_rendered(client, f"{URL}?tab=all", settings, at=walk()[::4])

    assert hits > 0


def test_a_page_of_older_orders_is_served_as_rendered(client, buyer, seller, place, settings):
    """The second page and the way back: the pager's links follow the orders."""
    long_sessions(settings)
    for _ in range(12):
        place()
    client.force_login(buyer)
    older = page(client, tab="all").context["page"].older
    second = f"{URL}?tab=all&older={older}"
    newer = page(client, tab="all", older=older).context["page"].newer

    hits = assert_served_as_rendered(client, second, settings, at=walk()[::6])
    hits += assert_served_as_rendered(
        client, f"{URL}?tab=all&newer={newer}", settings, at=walk()[::6]
    )

    assert hits > 0


def test_a_delivered_order_leaves_the_current_tab_when_its_days_are_over(
    client, buyer, seller, place, settings
):
    """No row changes when the days are over: the tab's page names that moment itself."""
    long_sessions(settings)
    # Within the walk's hourly steps, and not the return window's 30 days, whose end the
    # order's card names on its own.
    settings.YOUR_ORDERS_DELIVERED_DAYS = 2
    order = place()
    ship_all(order, seller)
    mark_delivered(order_id=order.pk, actor=Actor.system())
    client.force_login(buyer)
    assert order.number in main(page(client))
    assert page(client).from_page_cache

    assert assert_served_as_rendered(client, URL, settings, at=walk(days=4)) > 0
    with at_moment(timezone.now() + timedelta(days=2, minutes=1)):
        assert order.number not in main(page(client))


def test_another_buyer_never_gets_the_page(client, buyer, buyer2, place):
    order = place()
    client.force_login(buyer2)
    assert order.number not in main(page(client))

    client.force_login(buyer)
    assert order.number in main(page(client))
    assert page(client).from_page_cache

    client.force_login(buyer2)
    theirs = page(client)
    assert order.number not in main(theirs)
    assert "You have no current orders" in main(theirs)
