"""
The marketplace's front door, end to end in a real browser: a stranger signs up, confirms
the address from the email the portal sent, opens a store and lists a product with a
photo; a second stranger signs up, finds it by search, orders it and cancels it from Your
Orders; and the first one's account health counts the order and its cancellation.

The emails are the ones sent (Django's outbox of sent mail: the outbox delivers at once
in tests), the same text `make run` prints in its console.
"""

import re

from playwright.sync_api import Page, expect

from cancellations.models import Cancellation
from catalog.models import Listing
from orders.models import Order, OrderStatus
from tests.factories import GOOD_CARD, PASSWORD, image_file

from .steps import add_a_listing, field, open_a_store, sent_link


def sign_up_and_confirm(page: Page, *, email: str, username: str) -> None:
    """Sign up from the nav, then confirm the address from the sent email's link."""
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Username").fill(username)
    page.get_by_label(field("Password")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("user-name")).to_have_text(username)

    page.goto(sent_link(email, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Confirm your email address")).to_have_count(0)


def sign_out_and_in(page: Page, *, login: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label(field("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def find_and_order(page: Page) -> None:
    page.goto("/listings/")
    page.get_by_role("searchbox", name="Search the shop").fill("caddy")
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("img", name="Enamel tea caddy")
    expect(result).to_have_js_property("complete", True)
    assert result.evaluate("image => image.naturalWidth") > 0  # the photo really loaded
    page.get_by_role("link", name="Enamel tea caddy").click()
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/cart/")
    page.get_by_role("link", name="Proceed to checkout").click()
    page.get_by_label("Full name").fill("Ola Orderer")
    page.get_by_label("Address line 1").fill("4 Harbour Road")
    page.get_by_label("City").fill("Cardiff")
    page.get_by_label("ZIP or postcode").fill("CF10 1AA")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Card number").fill(GOOD_CARD)
    page.get_by_role("button", name="Place your order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your order is placed")


def cancel_from_your_orders(page: Page, number: str) -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Your Orders"
    ).click()
    page.get_by_role("article").filter(has_text=number).get_by_role(
        "link", name="View order"
    ).click()
    page.get_by_role("link", name="Cancel Items").click()
    page.get_by_role("checkbox", name=re.compile("Enamel tea caddy")).check()
    page.get_by_label("Reason for cancelling").select_option(label="Order created by mistake")
    page.get_by_role("button", name="Review cancellation").click()
    page.get_by_role("button", name="Confirm cancellation").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled 1 item.")


def test_a_stranger_opens_a_store_and_a_second_buys_and_cancels(
    live_server, new_page, new_context, settings, tmp_path
):
    """
    Given two strangers, when the first signs up, confirms, signs in, opens a store and
    lists a product with a photo, and the second (on a phone without JavaScript) signs up,
    confirms, finds it by search,
    orders and cancels it from Your Orders, then the order is cancelled with its units
    back on the shelf, and the seller's account health counts the order (not against
    them: the buyer cancelled) and the cancellation's reason in its insights.
    """
    settings.SERVE_MEDIA = True
    photo = tmp_path / "caddy.jpg"
    photo.write_bytes(image_file(size=(600, 450), colour="navy", format="JPEG").read())

    seller = new_page()
    sign_up_and_confirm(seller, email="tia@example.com", username="tia")
    sign_out_and_in(seller, login="tia@example.com")
    open_a_store(
        seller,
        name="Tin Can Tea",
        return_name="Tia Tanner",
        line1="9 Leaf Lane",
        city="Bristol",
        postcode="BS1 5TR",
        country="GB",
    )
    expect(seller.get_by_role("heading", level=1)).to_have_text("Seller Central")
    add_a_listing(
        seller,
        title="Enamel tea caddy",
        description="An airtight caddy for 100 g of loose-leaf tea.",
        price="18.00",
        stock="5",
        photo=photo,
    )
    expect(seller.get_by_text("“Enamel tea caddy” listed.")).to_be_visible()
    listing = Listing.objects.get(title="Enamel tea caddy")
    assert (listing.seller.user.username, listing.photos.count(), listing.stock) == ("tia", 1, 5)

    # The second on a phone without JavaScript (the nav shows its links; forms post).
    buyer = new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    ).new_page()
    sign_up_and_confirm(buyer, email="ola@example.com", username="ola")
    find_and_order(buyer)
    order = Order.objects.get(buyer__username="ola")
    assert (
        order.seller == listing.seller and order.lines.get().image
    )  # the photo it was bought with
    cancel_from_your_orders(buyer, order.number)

    order.refresh_from_db()
    listing.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert listing.stock == 5
    assert Cancellation.objects.get(order=order).counts_against_seller is False

    seller.goto("/seller/")
    rate = seller.get_by_test_id("metric").filter(has_text="Cancellation rate")
    expect(rate).to_contain_text("0 of 1 orders cancelled by you")
    reason = seller.get_by_test_id("reason-row").filter(has_text="Order created by mistake")
    expect(reason).to_have_count(1)
