"""
The storefront to Seller Central in a real browser: a buyer checks out items of two
sellers (one order each), then one seller confirms the shipment and is paid for it.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Listing
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentTransaction
from tests.factories import GOOD_CARD, ListingFactory, SellerFactory, UserFactory


@pytest.fixture
def lamp():
    seller = SellerFactory(user=UserFactory(username="ann", first_name="Ann"), store_name="Ann's")
    return ListingFactory(seller=seller, title="Desk lamp", price="24.00", stock=3)


@pytest.fixture
def atlas():
    seller = SellerFactory(user=UserFactory(username="bob", first_name="Bob"), store_name="Bob's")
    return ListingFactory(seller=seller, title="Road atlas", price="15.50", stock=3)


def test_buyer_checks_out_two_sellers_and_a_seller_ships(
    live_server, page, new_page, sign_in, screenshot, buyer, lamp, atlas, mailoutbox
):
    """Checkout makes one order per seller; a confirmed shipment ships it and captures its value."""
    # Given a buyer who puts one listing of each seller in the cart from the listing pages
    sign_in(page, buyer)
    for listing in (lamp, atlas):
        page.goto(listing.get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text(listing.title)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("status")).to_contain_text(f"Added 1 × “{listing.title}”")
    expect(page.get_by_text("Your order will arrive in 2 packages")).to_be_visible()

    # When they check out with a shipping address and the good test card
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address line 1").fill("1 Main Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("ZIP or postcode").fill("12345")
    page.get_by_label("Country").select_option(label="United States")
    page.get_by_label("Card number").fill(GOOD_CARD)
    page.get_by_role("button", name="Place your order").click()

    # Then they see both orders placed, and Your Orders lists one order per seller
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your orders are placed")
    orders = {order.seller.store_name: order for order in Order.objects.filter(buyer=buyer)}
    assert sorted(orders) == ["Ann's", "Bob's"]
    lamp_order, atlas_order = orders["Ann's"], orders["Bob's"]
    for order in (lamp_order, atlas_order):
        expect(page.get_by_role("link", name=order.number)).to_be_visible()
        assert order.status == OrderStatus.UNSHIPPED
        assert order.ship_to_line1 == "1 Main Street"
    assert [line.title for line in lamp_order.lines.all()] == ["Desk lamp"]
    assert [line.title for line in atlas_order.lines.all()] == ["Road atlas"]
    assert Listing.objects.get(pk=lamp.pk).stock == 2
    assert Listing.objects.get(pk=atlas.pk).stock == 2
    page.get_by_role("link", name="Go to Your Orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Orders")
    cards = page.get_by_role("article")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text=lamp_order.number)).to_contain_text("Ann's")
    expect(cards.filter(has_text=atlas_order.number)).to_contain_text("Bob's")

    # When seller Ann, in her own browser, confirms the shipment of her order in Seller Central
    seller_page = new_page()
    sign_in(seller_page, lamp.seller.user)
    expect(seller_page.get_by_role("heading", level=1)).to_have_text("Seller Central")
    seller_page.get_by_role("navigation", name="Seller Central").get_by_role(
        "link", name="Orders"
    ).click()
    expect(seller_page.get_by_role("heading", level=1)).to_have_text("Manage orders")
    expect(seller_page.get_by_role("link", name=atlas_order.number)).to_have_count(0)
    seller_page.get_by_role("link", name=lamp_order.number).click()
    expect(seller_page.get_by_role("heading", level=1)).to_have_text(f"Order {lamp_order.number}")
    seller_page.get_by_role("link", name="Confirm shipment").click()
    expect(seller_page.get_by_role("heading", level=1)).to_have_text("Confirm shipment")
    expect(seller_page.get_by_label("Desk lamp: units to ship")).to_have_value("1")
    seller_page.get_by_label("Carrier").select_option(label="UPS")
    seller_page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    seller_page.get_by_role("button", name="Confirm shipment").click()

    # Then she sees the order shipped
    expect(seller_page.get_by_role("heading", level=1)).to_have_text(f"Order {lamp_order.number}")
    expect(seller_page.get_by_role("status")).to_contain_text(
        "Shipment confirmed: 1 item with UPS, tracking 1Z999AA10123456784."
    )
    expect(seller_page.locator("main .badge").first).to_have_text("Shipped")
    shipments = seller_page.get_by_role("region", name="Shipments")
    expect(shipments).to_contain_text("UPS, tracking 1Z999AA10123456784")
    expect(shipments).to_contain_text("1 × Desk lamp")
    screenshot(seller_page, "checkout-and-shipment-shipped")

    # And the database shows the line shipped and exactly its value captured
    lamp_order.refresh_from_db()
    assert lamp_order.status == OrderStatus.SHIPPED
    assert [line.quantity_shipped for line in lamp_order.lines.all()] == [1]
    captures = PaymentTransaction.objects.filter(
        payment_id=lamp_order.payment_id, kind=PaymentTransaction.Kind.CAPTURE
    )
    assert [(c.amount, c.status) for c in captures] == [
        (Decimal("24.00"), PaymentTransaction.Status.SUCCEEDED)
    ]
    assert Payment.objects.get(pk=lamp_order.payment_id).amount_captured == Decimal("24.00")
    # The other seller's order is untouched, and the buyer was told about the shipment.
    atlas_order.refresh_from_db()
    assert atlas_order.status == OrderStatus.UNSHIPPED
    assert not PaymentTransaction.objects.filter(
        payment_id=atlas_order.payment_id, kind=PaymentTransaction.Kind.CAPTURE
    ).exists()
    assert [m.to for m in mailoutbox if "has shipped" in m.subject] == [[buyer.email]]
