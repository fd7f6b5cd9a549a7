"""
Seller Central in a real browser: the seller lands on its home, sees the request
badge, approves a pending request, cancels another order with "No inventory", sees the
listing deactivated in Inventory and the cancellation rate change on the home page;
then the buyer sees both outcomes on Your Orders. And a bulk cancel, reviewed before it
acts, on a phone without JavaScript.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services import cancel_as_seller, request_cancellation
from catalog.models import Listing
from orders.actors import Actor
from orders.models import Message, Order, OrderStatus
from orders.services import confirm_shipment, place_orders, post_message, refresh_buyer_waiting
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory


def place(buyer, listing, quantity=1):
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: quantity}, address=ADDRESS, card_number=GOOD_CARD
    )
    return order


def test_seller_answers_a_request_and_cancels_for_no_inventory(
    live_server, page, new_page, sign_in, screenshot, buyer, seller
):
    # Given a lamp that already ran out once this month (one "No inventory" cancellation)
    lamp = ListingFactory(seller=seller, title="Desk lamp", price="30.00", stock=5)
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    earlier = place(buyer, lamp)
    cancel_as_seller(
        order_id=earlier.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user)
    )
    Listing.objects.filter(pk=lamp.pk).update(stock=5)
    # And an order whose buyer asked, two hours after placing it, to cancel the notebooks
    asked = place(buyer, notebook, 2)
    Order.objects.filter(pk=asked.pk).update(placed_at=timezone.now() - timedelta(hours=2))
    request_cancellation(
        order_id=asked.pk,
        quantities={asked.lines.get().pk: 2},
        reason=Reason.FOUND_CHEAPER,
        note="Saw it for less",
        actor=Actor.buyer(buyer),
    )
    # And a fresh lamp order the seller cannot fill
    lamp_order = place(buyer, lamp)

    # When the seller signs in, they land on Seller Central, which shows one request waiting
    sign_in(page, seller.user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller Central")
    nav = page.get_by_role("navigation", name="Seller Central")
    expect(nav.get_by_test_id("request-badge")).to_contain_text("1")
    main_nav = page.get_by_role("navigation", name="Main navigation")
    expect(main_nav.get_by_test_id("seller-central-badge")).to_contain_text("1")
    expect(main_nav.get_by_role("link", name="Account health")).to_have_count(0)
    expect(page.get_by_test_id("attention-requests")).to_contain_text("1 cancellation request")
    rate = page.get_by_role("row", name=re.compile("Cancellation rate")).get_by_test_id(
        "metric-rate"
    )
    expect(rate).to_have_text("33.3 %")  # the earlier lamp order, of 3

    # And approves the request from the queue
    nav.get_by_role("link", name=re.compile("Requests")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancellation requests")
    card = page.get_by_test_id("request").filter(has_text=asked.number)
    expect(card).to_contain_text("Saw it for less")
    expect(card.get_by_test_id("time-left")).to_contain_text("day")
    card.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("The buyer's request is approved")
    expect(page.get_by_test_id("request-badge")).to_have_count(0)

    # And cancels the lamp order with "No inventory", reviewing first
    nav.get_by_role("link", name="Orders").click()
    page.get_by_role("link", name=lamp_order.number).click()
    page.get_by_role("link", name="Cancel order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel order {lamp_order.number}")
    page.get_by_label("Reason for cancelling").select_option(label="No inventory")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your cancellation")
    expect(page.get_by_test_id("stock-effect")).to_contain_text("goes off sale")
    expect(page.get_by_test_id("rate-effect")).to_contain_text("counts toward")
    page.get_by_role("button", name="Confirm cancellation").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled 1 item of order")

    # Then Inventory shows the lamp off sale, and why
    nav.get_by_role("link", name="Inventory").click()
    lamp_row = page.get_by_role("row", name=re.compile("Desk lamp"))
    expect(lamp_row).to_contain_text("Inactive")
    expect(lamp_row.get_by_test_id("deactivated-reason")).to_contain_text(
        "2 “No inventory” cancellations in 30 days"
    )
    # And the home page's cancellation rate went up (2 of 3; the approved one does not count)
    main_nav.get_by_role("link", name=re.compile("^Seller Central")).click()
    expect(rate).to_have_text("66.7 %")
    screenshot(page, "seller-central-home")

    # And the database agrees
    assert CancellationRequest.objects.get(order=asked).status == "approved"
    approved = Cancellation.objects.get(order=asked)
    assert (approved.reason, approved.counts_against_seller) == ("buyer_cancelled", False)
    lamp.refresh_from_db()
    assert (lamp.stock, lamp.is_active) == (0, False)

    # When the buyer looks at Your Orders
    buyer_page = new_page()
    sign_in(buyer_page, buyer)
    buyer_page.goto(asked.get_absolute_url())
    expect(buyer_page.get_by_role("heading", level=1)).to_have_text(f"Order {asked.number}")
    expect(
        buyer_page.get_by_text(
            "your request, approved by the seller (Found cheaper somewhere else)", exact=False
        )
    ).to_be_visible()
    expect(buyer_page.get_by_test_id("request-outcome")).to_contain_text("approved")
    buyer_page.goto(lamp_order.get_absolute_url())
    expect(buyer_page.get_by_text("No inventory (seller)")).to_be_visible()
    for order in (asked, lamp_order):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED


PHONE = {"width": 390, "height": 844}


def test_bulk_cancel_reviews_the_ticked_orders_on_a_phone_without_javascript(
    new_context, sign_in, screenshot, buyer, seller
):
    """
    Given two unshipped orders, one whose buyer asked to cancel and a shipped one, a
    seller on a 390 px phone with JavaScript off selects all on the page and asks to
    cancel them: the review lists the two with their money and stock and leaves the
    asked one out, saying why; Back changes nothing; Confirm cancels the two.
    """
    pens = ListingFactory(seller=seller, title="Gel ink pens", price="4.00", stock=20)
    asked = place(buyer, pens)
    Order.objects.filter(pk=asked.pk).update(placed_at=timezone.now() - timedelta(hours=2))
    request_cancellation(
        order_id=asked.pk,
        quantities={asked.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    first, second = place(buyer, pens, 2), place(buyer, pens, 1)
    shipped = place(buyer, pens)
    confirm_shipment(
        order_id=shipped.pk,
        quantities={shipped.lines.get().pk: 1},
        carrier="UPS",
        tracking_number="1Z999",
        actor=Actor.seller(seller.user),
    )
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    sign_in(page, seller.user)

    # When the seller selects every order on the page (a link: no script needed)
    page.goto("/seller/orders/")
    page.get_by_role("link", name="Select all on this page").click()
    boxes = page.get_by_role("checkbox", name=re.compile("^Choose order"))
    expect(boxes).to_have_count(3)  # the shipped order has none
    for box in boxes.all():
        expect(box).to_be_checked()
    page.get_by_label("Reason for cancelling").select_option(label="Shipping address undeliverable")
    page.get_by_role("button", name="Review cancellation").click()

    # Then the review lists what Confirm would do, and nothing has changed yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your bulk cancellation")
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("2 orders, 3 items, $12.00")
    rows = page.get_by_test_id("bulk-order")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=first.number).get_by_test_id("money-outcome")).to_contain_text(
        "$8.00: the hold on the buyer's card is released"
    )
    expect(rows.filter(has_text=first.number).get_by_test_id("stock-effect")).to_contain_text(
        "2 × Gel ink pens back in stock"
    )
    expect(rows.first.get_by_test_id("rate-effect")).to_have_text("Counts")
    expect(page.get_by_test_id("left-out")).to_contain_text(
        f"{asked.number}: The buyer has asked to cancel items of it"
    )
    confirm = page.get_by_role("button", name="Confirm: cancel 2 orders")
    for element in (rows.first, confirm):  # nothing runs off a phone's screen
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(page, "seller-bulk-review-phone")
    assert not Cancellation.objects.exists()

    # When the seller goes back, nothing changes (the page is as they left it)
    page.get_by_role("link", name="Back to orders (nothing changes)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage orders")
    expect(page.get_by_role("link", name="Untick all on this page")).to_be_visible()
    assert not Cancellation.objects.exists()

    # And when the seller reviews again and confirms, both are cancelled
    page.get_by_label("Reason for cancelling").select_option(label="Shipping address undeliverable")
    page.get_by_role("button", name="Review cancellation").click()
    page.get_by_role("button", name="Confirm: cancel 2 orders").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Cancelled 2 orders: {first.number}, {second.number}"
    )
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
    assert Cancellation.objects.count() == 2


def test_seller_answers_a_waiting_buyer_from_the_messages_inbox_on_a_phone(
    live_server, new_context, sign_in, screenshot, buyer, seller
):
    """
    Given a buyer's message 10 hours old on one of two orders, when the seller signs in
    on a 390 px phone, Seller Central's navigation fits the screen and shows one message
    waiting; Messages lists the thread with its deadline; Answer opens the order's message
    form; once answered, the thread, the badge and the order row's marker are gone.
    """
    lamp = ListingFactory(seller=seller, title="Desk lamp", price="30.00", stock=5)
    asked = place(buyer, lamp)
    quiet = place(buyer, lamp)
    message = post_message(
        order_id=asked.pk, body="Can you gift-wrap it?", actor=Actor.buyer(buyer)
    )
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=10))
    refresh_buyer_waiting(order_id=asked.pk)
    context = new_context(viewport=PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()

    sign_in(page, seller.user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Seller Central")
    nav = page.get_by_role("navigation", name="Seller Central")
    expect(nav.get_by_test_id("message-badge")).to_have_text("1 waiting for an answer")
    expect(page.get_by_test_id("attention-messages")).to_contain_text("1 buyer")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    nav.get_by_role("link", name=re.compile("^Orders")).click()
    expect(nav.get_by_role("link", name=re.compile("^Orders"))).to_have_attribute(
        "aria-current", "page"
    )
    marked = page.get_by_test_id("order-row").filter(has_text="Buyer message waiting")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text(asked.number)

    nav.get_by_role("link", name=re.compile("^Messages")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    thread = page.get_by_test_id("thread")
    expect(thread).to_have_count(1)
    expect(thread).to_contain_text("Can you gift-wrap it?")
    expect(thread.get_by_test_id("answer-by")).to_contain_text("in 13 hours")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "seller-messages-phone")

    thread.get_by_role("link", name=re.compile("^Answer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {asked.number}")
    page.get_by_label("Your message").fill("Yes, gift-wrapped at no cost.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("Message sent to the buyer.")
    expect(nav.get_by_test_id("message-badge")).to_have_count(0)

    nav.get_by_role("link", name=re.compile("^Messages")).click()
    expect(page.get_by_text("No buyer waits for your answer.")).to_be_visible()
    nav.get_by_role("link", name=re.compile("^Orders")).click()
    expect(page.get_by_test_id("order-row").filter(has_text=quiet.number)).to_have_count(1)
    expect(page.get_by_test_id("message-flag")).to_have_count(0)
