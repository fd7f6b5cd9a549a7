"""
Your Orders → Return items, in a real browser (issue 22's "Done when"): the buyer returns
one unit of a delivered two-unit line as defective, the seller authorizes, the buyer adds
the tracking number on the return's page, the seller receives it as sellable, and the
buyer sees the refund while the listing's stock goes up by one. Then the same with the
beat jobs doing the seller's part. At a desktop's width with JavaScript, and at a phone's
(390 px) without it.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.models import Listing
from orders.actors import Actor
from orders.models import Order
from orders.services import mark_delivered
from returns import services, tasks
from returns.models import ItemCondition, ReturnReason, ReturnRequest, ReturnStatus
from tests.factories import PASSWORD, shipped_order

SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone-no-js": {"viewport": {"width": 390, "height": 844}, "java_script_enabled": False},
}


@pytest.fixture(params=list(SCREENS))
def buyer_page(request, new_context, buyer) -> Page:
    """The buyer signed in, in a browser of each screen (the phone's without JavaScript)."""
    context = new_context(**SCREENS[request.param])
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(buyer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile("/accounts/sign-in/"))
    page.screen = request.param  # type: ignore[attr-defined]  # for the screenshots' names
    return page


@pytest.fixture
def delivered_order(buyer, seller) -> Order:
    """Two "Blue notebook"s at $12.50, shipped and delivered; the store has a return address."""
    seller.return_line1 = "1 Return Road"
    seller.return_city = "Springfield"
    seller.return_postcode = "12345"
    seller.save()
    order = shipped_order(buyer=buyer, seller=seller, quantity=2, title="Blue notebook")
    mark_delivered(order_id=order.pk, actor=Actor.system())
    return order


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the window (a phone scrolls down, never sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def ask_to_return_one(page: Page, order: Order) -> ReturnRequest:
    """Your Orders → the card's Return items → one notebook, defective, unopened → Confirm."""
    page.goto("/your-orders/")
    card = page.get_by_role("article").filter(has_text=order.number)
    card.get_by_role("link", name="Return items").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return items")
    fits_the_screen(page)
    expect(page.get_by_role("checkbox", name=re.compile("Blue notebook"))).to_be_checked()
    page.get_by_label("Quantity to return").fill("1")
    page.get_by_label("Reason for returning").select_option(label="Defective or does not work")
    page.get_by_label("No, it is still sealed").check()
    page.get_by_role("button", name="Review return").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review your return")
    expect(page.get_by_role("listitem").filter(has_text="1 × Blue notebook")).to_be_visible()
    expect(page.get_by_test_id("refund-at-least")).to_have_text("$12.50")
    expect(page.get_by_test_id("shipping-paid-by")).to_contain_text("The seller's to pay")
    fits_the_screen(page)
    page.get_by_role("button", name="Request the return").click()

    the_return = ReturnRequest.objects.get(order=order)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return {the_return.number}")
    expect(page.get_by_test_id("return-status")).to_have_text("Waiting for the seller")
    return the_return


def send_it_back(page: Page, tracking_number: str) -> None:
    """On the return's page, now authorized: the address and number, then the tracking."""
    page.reload()
    expect(page.get_by_test_id("return-status")).to_have_text("Authorized: ship it back")
    expect(page.get_by_test_id("return-address")).to_contain_text("1 Return Road")
    fits_the_screen(page)
    page.get_by_label("Carrier").select_option("UPS")
    page.get_by_label("Tracking number").fill(tracking_number)
    page.get_by_role("button", name="I sent it back").click()
    expect(page.get_by_role("status")).to_contain_text("the seller can now follow your parcel")
    expect(page.get_by_test_id("return-status")).to_have_text("On its way back")
    expect(page.get_by_test_id("tracking")).to_contain_text(tracking_number)


def test_buyer_returns_one_unit_and_the_seller_restocks_it(
    live_server, buyer_page, screenshot, buyer, seller, delivered_order
):
    """Defective, authorized, tracked, received as sellable: $12.50 back, stock up by one."""
    page, order = buyer_page, delivered_order
    listing = Listing.objects.get(pk=order.lines.get().listing_id)
    stock_before = listing.stock

    # Given the buyer asked to return one of the two notebooks as defective
    the_return = ask_to_return_one(page, order)
    # When the seller authorizes, the buyer sends it back, and the seller receives it sellable
    services.authorize_return(return_id=the_return.pk, actor=Actor.seller(seller.user))
    send_it_back(page, "1Z999AA1")
    services.receive_return(
        return_id=the_return.pk,
        condition=ItemCondition.SELLABLE,
        restocking_fee=Decimal("0.00"),
        actor=Actor.seller(seller.user),
    )

    # Then the return's page shows the refund of that one unit
    page.reload()
    expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
    expect(page.get_by_test_id("refund-amount")).to_have_text("$12.50")
    screenshot(page, f"return-refunded-{page.screen}")
    # And the order page and its card say so, the total now $12.50
    page.goto(order.get_absolute_url())
    expect(page.get_by_test_id("order-return")).to_contain_text("$12.50 refunded")
    expect(page.get_by_test_id("summary-total-now")).to_contain_text("$12.50")
    fits_the_screen(page)
    page.goto("/your-orders/")
    card = page.get_by_role("article").filter(has_text=order.number)
    expect(card.get_by_test_id("card-return")).to_contain_text("Refunded $12.50")
    # And the database: one refunded, restocked return; the listing's stock up by one
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.REFUNDED
    assert the_return.reason == ReturnReason.DEFECTIVE and not the_return.opened
    assert the_return.refund_amount == Decimal("12.50") and the_return.restocked
    assert the_return.tracking_number == "1Z999AA1"
    listing.refresh_from_db()
    assert listing.stock == stock_before + 1


def test_the_jobs_authorize_and_refund_when_the_seller_does_not(
    live_server, buyer_page, buyer, seller, delivered_order
):
    """
    The seller never answers: past 48 hours the request is authorized by the system; the
    parcel delivered back and not marked received in time is refunded in full, unstocked.
    """
    page, order = buyer_page, delivered_order
    listing = Listing.objects.get(pk=order.lines.get().listing_id)
    stock_before = listing.stock
    the_return = ask_to_return_one(page, order)

    # When its answer is overdue and the beat job runs
    ReturnRequest.objects.filter(pk=the_return.pk).update(
        respond_by=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.authorize_overdue_returns_task() == 1
    # Then the buyer sends it back; the carrier delivers it; receipt is overdue; the job runs
    send_it_back(page, "1Z999BB2")
    services.mark_delivered_back(return_id=the_return.pk, actor=Actor.system())
    page.reload()
    expect(page.get_by_test_id("delivered-back")).to_contain_text("refunded in full automatically")
    ReturnRequest.objects.filter(pk=the_return.pk).update(
        receive_by=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.refund_unreceived_returns_task() == 1

    # Then the buyer's page shows the full refund, and nothing went back on the shelf
    page.reload()
    expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
    expect(page.get_by_test_id("refund-amount")).to_have_text("$12.50")
    the_return.refresh_from_db()
    assert the_return.authorized_by == "system"
    assert the_return.refund_amount == Decimal("12.50") and not the_return.restocked
    listing.refresh_from_db()
    assert listing.stock == stock_before
