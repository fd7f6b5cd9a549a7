"""
Colours and alignment in Chromium at 1280 px: the positive answer to a request is the
primary button and Decline the danger one, the signed-in name sits level with
"Sign out", and the columns of Your Orders cards line up whatever each total says.
"""

import re
from datetime import timedelta

from django.urls import reverse
from playwright.sync_api import expect

from cancellations.models import Reason
from cancellations.services import cancel_items, request_cancellation
from orders.actors import Actor
from orders.models import Order
from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory

PRIMARY_BLUE = "rgb(13, 110, 253)"  # Bootstrap's --bs-primary
DANGER_RED = "rgb(220, 53, 69)"  # Bootstrap's --bs-danger


def place(buyer, listing, quantity=1):
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=GOOD_CARD
    )
    return order


def centre_y(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"] / 2


def test_approve_is_primary_decline_is_danger_and_the_name_sits_level_with_sign_out(
    live_server, page, sign_in, buyer, seller
):
    # Given a buyer's pending request to cancel an order placed two hours ago
    order = place(buyer, ListingFactory(seller=seller, title="Desk lamp", price="30.00"))
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
    request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )

    # When the seller opens their requests at 1280 px
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, seller.user)
    page.goto(reverse("sellercentral:requests"))

    # Then Approve is the blue primary button, Decline the red-outlined one
    approve = page.get_by_role("button", name=re.compile("^Approve request"))
    decline = page.get_by_role("button", name=re.compile("^Decline request"))
    expect(approve).to_have_css("background-color", PRIMARY_BLUE)
    expect(decline).to_have_css("color", DANGER_RED)
    expect(decline).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    # And the signed-in name and Sign out share one centre line
    name = page.get_by_test_id("user-name")
    sign_out = page.get_by_role("button", name="Sign out")
    assert abs(centre_y(name) - centre_y(sign_out)) < 1


def test_the_columns_of_your_orders_cards_line_up(live_server, page, sign_in, buyer, seller):
    # Given two orders, one whose total carries a struck original and what was cancelled
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=9)
    kept = place(buyer, notebook, 1)
    changed = place(buyer, notebook, 3)
    cancel_items(
        order_id=changed.pk,
        quantities={changed.lines.get().pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )

    # When the buyer opens Your Orders at 1280 px
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, buyer)
    page.goto(reverse("orders:your_orders"))

    # Then "Total" and "Sold by" start at the same x on both cards
    cards = page.get_by_test_id("order-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("cancelled")  # the newer, changed order first
    for label in ("Order placed", "Total", "Sold by"):
        xs = [cards.nth(i).get_by_text(label, exact=True).bounding_box()["x"] for i in range(2)]
        assert abs(xs[0] - xs[1]) < 1, (label, xs, kept.number)
