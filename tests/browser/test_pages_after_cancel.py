"""
After a cancellation, in a real browser: "Change" keeps the choices, the order page,
the Your Orders card and the Seller Central list show what the order costs now, at
desktop and phone widths.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Order
from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def order(buyer, seller):
    """2 notebooks ($12.50) and 3 pencils ($3.00), placed a minute ago: $34.00."""
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
    (placed,) = place_orders(
        buyer=buyer, items={notebook.pk: 2, pencil.pk: 3}, address=ADDRESS, card_number=GOOD_CARD
    )
    Order.objects.filter(pk=placed.pk).update(placed_at=timezone.now() - timedelta(minutes=1))
    return placed


def test_change_keeps_the_choices_and_the_pages_show_the_total_now(
    live_server, page: Page, new_context, sign_in, screenshot, buyer, seller, order
):
    # Given the buyer chose 2 of the 3 pencils with a note, and is on the review page
    page.set_viewport_size(DESKTOP)
    sign_in(page, buyer)
    page.goto(f"/your-orders/{order.number}/cancel/")
    pencils = page.get_by_role("checkbox", name=re.compile("Red pencil"))
    pencils.check()
    page.locator(".card").filter(has=pencils).get_by_label("Quantity to cancel").fill("2")
    page.get_by_label("Reason for cancelling").select_option(label="Other")
    page.get_by_label("Note for the seller").fill("Bought the wrong colour")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your cancellation")

    # When they choose Change
    page.get_by_role("button", name="Change").click()

    # Then the form still holds their choices
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel items")
    expect(pencils).to_be_checked()
    expect(
        page.locator(".card").filter(has=pencils).get_by_label("Quantity to cancel")
    ).to_have_value("2")
    expect(page.get_by_label("Reason for cancelling")).to_have_value("other")
    expect(page.get_by_label("Note for the seller")).to_have_value("Bought the wrong colour")

    # When they review and confirm
    page.get_by_role("button", name="Review cancellation").click()
    page.get_by_role("button", name="Confirm cancellation").click()

    # Then the order page says 2 of 3 cancelled and what the order costs now
    expect(page.get_by_role("row", name=re.compile("Red pencil"))).to_contain_text(
        "2 of 3 cancelled"
    )
    expect(page.get_by_test_id("summary-total-now")).to_contain_text("$28.00")
    expect(page.get_by_test_id("amount-released")).to_have_text("$6.00")
    screenshot(page, "after-cancel-order-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "after-cancel-order-phone")

    # And the Your Orders card shows the total now, the original struck
    page.set_viewport_size(DESKTOP)
    page.goto("/your-orders/")
    card = page.get_by_role("article").filter(has_text=order.number)
    expect(card.get_by_test_id("order-total-now")).to_have_text("$28.00")
    expect(card).to_contain_text("was $34.00")
    expect(card).to_contain_text("2 of 3 cancelled")
    screenshot(page, "after-cancel-your-orders-desktop")

    # And so does the seller's list, whose pills add up
    seller_page = new_context(viewport=DESKTOP).new_page()
    sign_in(seller_page, seller.user)
    seller_page.goto("/seller/orders/")
    row = seller_page.get_by_test_id("order-row").filter(has_text=order.number)
    expect(row.get_by_test_id("order-total-now")).to_have_text("$28.00")
    # No status dropdown beside the pills
    expect(seller_page.get_by_role("combobox", name="Status")).to_have_count(0)
    screenshot(seller_page, "after-cancel-seller-orders-desktop")
    seller_page.set_viewport_size(PHONE)
    screenshot(seller_page, "after-cancel-seller-orders-phone")
