"""
Your Orders → Cancel Items, in a real browser: a direct cancellation of a fresh
order, and a cancellation request (then withdrawn) on an order the seller may
already be preparing.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cancellations.models import Cancellation, CancellationRequest, Reason
from orders.models import ActorRole, Order, OrderStatus
from orders.services import place_orders
from payments.models import Payment
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory


@pytest.fixture
def two_line_order(buyer, seller):
    """An order of 2 notebooks ($12.50) and 1 pencil ($3.00), placed through checkout."""

    def place(*, placed_ago: timedelta) -> Order:
        notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
        pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
        (order,) = place_orders(
            buyer=buyer,
            items={notebook.pk: 2, pencil.pk: 1},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
        Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - placed_ago)
        return order

    return place


def choose_items_to_cancel(page: Page, order: Order) -> None:
    """Your Orders → the order → Cancel Items → tick the notebooks, pick a reason, review."""
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Your Orders"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Orders")
    card = page.get_by_role("article").filter(has_text=order.number)
    card.get_by_role("link", name="View order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")

    page.get_by_role("link", name="Cancel Items").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel items")
    notebooks = page.get_by_role("checkbox", name=re.compile("Blue notebook"))
    pencil = page.get_by_role("checkbox", name=re.compile("Red pencil"))
    notebooks.check()
    pencil.uncheck()
    # Each item's card has its own "Quantity to cancel" field.
    page.locator(".card").filter(has=notebooks).get_by_label("Quantity to cancel").fill("2")
    page.get_by_label("Reason for cancelling").select_option(label="Order created by mistake")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your cancellation")
    expect(page.get_by_role("listitem").filter(has_text="2 × Blue notebook")).to_be_visible()
    expect(page.get_by_text("Red pencil")).to_have_count(0)


def test_buyer_cancels_one_item_of_a_fresh_order(
    live_server, page, sign_in, screenshot, buyer, two_line_order, mailoutbox
):
    """A minute after placing, the buyer cancels one item at once and its card hold is released."""
    # Given an order of two items placed a minute ago
    order = two_line_order(placed_ago=timedelta(minutes=1))
    notebook_line = order.lines.get(title="Blue notebook")
    pencil_line = order.lines.get(title="Red pencil")

    # When the buyer cancels the notebooks, reviewing before confirming
    sign_in(page, buyer)
    choose_items_to_cancel(page, order)
    expect(page.get_by_test_id("money-outcome")).to_contain_text(
        "The $25.00 hold on your card ending 4242 will be released"
    )
    page.get_by_role("button", name="Confirm cancellation").click()

    # Then the order page says what happened to the money and strikes the notebooks through
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_role("status")).to_contain_text(
        "Cancelled 2 items. The $25.00 hold on your card ending 4242 was released; "
        "you are not charged for it."
    )
    # The fully cancelled line is struck as a whole: title, quantity and subtotal
    notebook_row = page.get_by_role("row", name=re.compile("Blue notebook"))
    expect(notebook_row).to_contain_text("All 2 cancelled")
    cancelled = notebook_row.get_by_role("deletion")
    expect(cancelled).to_have_text(["Blue notebook", "2", "$25.00"])
    expect(cancelled.first).to_have_css("text-decoration-line", "line-through")
    pencil_row = page.get_by_role("row", name=re.compile("Red pencil"))
    expect(pencil_row.get_by_role("deletion")).to_have_count(0)
    # And, without a reload, the payment box agrees with the banner and the total is now $3.00
    expect(page.get_by_test_id("amount-released")).to_have_text("$25.00")
    expect(page.get_by_test_id("amount-on-hold")).to_have_text("$3.00")
    expect(page.get_by_test_id("amount-releasing")).to_have_count(0)
    expect(page.get_by_test_id("summary-total-now")).to_contain_text("$3.00")
    expect(page.get_by_test_id("summary-total-now")).to_contain_text("was $28.00")
    expect(page.get_by_test_id("summary-cancelled")).to_have_text("−$25.00")
    history = page.locator(".line-cancelled", has_text="2 × Blue notebook")
    expect(history).to_have_css("text-decoration-line", "line-through")
    screenshot(page, "cancel-items-direct")

    # And the database holds one buyer cancellation of the two notebooks, the hold released
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.initiator == ActorRole.BUYER
    assert cancellation.reason == Reason.CREATED_BY_MISTAKE
    assert cancellation.refund_amount == Decimal("25.00")
    assert [(cl.order_line_id, cl.quantity) for cl in cancellation.lines.all()] == [
        (notebook_line.pk, 2)
    ]
    notebook_line.refresh_from_db()
    pencil_line.refresh_from_db()
    assert (notebook_line.quantity_cancelled, pencil_line.quantity_cancelled) == (2, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.UNSHIPPED
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_voided == Decimal("25.00")
    assert payment.amount_open == Decimal("3.00")
    assert any(f"Items of order {order.number} cancelled" in m.subject for m in mailoutbox)


def test_buyer_requests_then_withdraws_a_cancellation(
    live_server, page, sign_in, screenshot, buyer, two_line_order
):
    """Two hours after placing, Cancel Items asks the seller instead; the buyer can withdraw it."""
    # Given an order of two items placed two hours ago (past the direct-cancel window)
    order = two_line_order(placed_ago=timedelta(hours=2))
    notebook_line = order.lines.get(title="Blue notebook")

    # When the buyer goes through Cancel Items and sends the request
    sign_in(page, buyer)
    choose_items_to_cancel(page, order)
    expect(page.get_by_role("heading", name="We will ask the seller to cancel")).to_be_visible()
    page.get_by_role("button", name="Send cancellation request").click()

    # Then the order page shows the pending request with a Withdraw button
    expect(page.get_by_role("status")).to_contain_text("We asked the seller to cancel.")
    pending = page.get_by_test_id("pending-request")
    expect(pending).to_contain_text("Cancellation request pending")
    expect(pending).to_contain_text("2 × Blue notebook")
    screenshot(page, "cancel-items-request-pending")
    request = CancellationRequest.objects.get(order=order)
    assert request.status == CancellationRequest.Status.PENDING
    assert [(rl.order_line_id, rl.quantity) for rl in request.lines.all()] == [
        (notebook_line.pk, 2)
    ]

    # When the buyer withdraws it
    pending.get_by_role("button", name="Withdraw request").click()

    # Then the page confirms it, the request is withdrawn and nothing was cancelled
    expect(page.get_by_role("status")).to_contain_text("You withdrew your cancellation request.")
    expect(page.get_by_test_id("pending-request")).to_have_count(0)
    request.refresh_from_db()
    assert request.status == CancellationRequest.Status.WITHDRAWN
    assert not Cancellation.objects.filter(order=order).exists()
    notebook_line.refresh_from_db()
    assert notebook_line.quantity_cancelled == 0
