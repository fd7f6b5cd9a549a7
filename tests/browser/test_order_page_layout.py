"""
The order pages in Chromium: on a phone (one column) what the order costs comes before
the message form, on the buyer's page and the seller's; on a desktop the summary sits
beside the items; a declined payment is the first thing under the heading at either width.
"""

import pytest
from playwright.sync_api import Page, expect

from orders.services import place_orders
from tests.factories import ADDRESS, DECLINED_CARD, GOOD_CARD, ListingFactory

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def place(buyer, seller, card=GOOD_CARD):
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    (order,) = place_orders(buyer=buyer, items={notebook.pk: 2}, address=ADDRESS, card_number=card)
    return order


def open_order_page(new_context, sign_in, reader, order, viewport, *, javascript=True) -> Page:
    """The order's page as ``reader`` sees it: the buyer's, or the seller's in Seller Central."""
    page = new_context(java_script_enabled=javascript, viewport=viewport).new_page()
    sign_in(page, reader)
    is_buyer = reader == order.buyer
    page.goto(order.get_absolute_url() if is_buyer else order.get_seller_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    return page


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


@pytest.mark.parametrize(
    ("reader", "money_or_address"),
    [("buyer", "#payment-heading"), ("seller", "#address-heading")],
)
def test_on_a_phone_the_summary_comes_before_the_message_form(
    new_context, sign_in, buyer, seller, reader, money_or_address
):
    """
    Given an order, when its buyer (or its seller) opens its page at 390 px without
    JavaScript, then one column reads: items, history, order summary, the payment (the
    seller: the ship-to address), and only then the message form; nothing is wider than
    the screen.
    """
    order = place(buyer, seller)
    user = buyer if reader == "buyer" else seller.user

    page = open_order_page(new_context, sign_in, user, order, PHONE, javascript=False)

    items = box(page, "#items-heading")
    timeline = box(page, "#timeline-heading")
    summary = box(page, "#order-summary-heading")
    after_summary = box(page, money_or_address)
    form = box(page, "#messages form")
    assert items["y"] < timeline["y"] < summary["y"] < after_summary["y"] < form["y"]
    assert summary["x"] == items["x"]  # one column
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_desktop_the_summary_sits_beside_the_items_and_the_messages(
    new_context, sign_in, buyer, seller
):
    """At 1280 px the summary and payment are a column to the right, level with the items,
    and the messages follow the history in the left column."""
    order = place(buyer, seller)

    page = open_order_page(new_context, sign_in, buyer, order, DESKTOP)

    items = box(page, "#items-heading")
    timeline = box(page, "#timeline-heading")
    summary = box(page, "#order-summary-heading")
    messages = box(page, "#messages-heading")
    assert summary["x"] > items["x"] + items["width"] / 2
    assert abs(summary["y"] - items["y"]) < 5
    assert messages["x"] == items["x"]
    assert timeline["y"] < messages["y"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_declined_payment_is_the_first_thing_under_the_heading(
    new_context, sign_in, buyer, seller, viewport
):
    """The payment to revise, and why it was declined, come before the items and panels."""
    order = place(buyer, seller, card=DECLINED_CARD)

    page = open_order_page(new_context, sign_in, buyer, order, viewport)

    declined = page.get_by_test_id("payment-declined")
    expect(declined).to_contain_text("Your card ending 0002 was declined.")
    expect(declined.get_by_role("link", name="Revise payment")).to_be_visible()
    assert (
        box(page, "[data-testid=payment-declined]")["y"] < box(page, "#cancellation-heading")["y"]
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
