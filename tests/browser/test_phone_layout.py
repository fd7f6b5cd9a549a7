"""
Every page at a phone's width (390 px), with JavaScript on and off: nothing is wider than
the screen or hides a column behind a sideways scroll, a stacked table's label never runs
into its value, order numbers stay on one line, the trend chart's text stays readable and
checkout shows the total before "Place your order". One test per page, so a failure names it.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from cancellations.models import Reason
from cancellations.services import cancel_as_seller, request_cancellation
from catalog.models import Listing
from disputes.models import Dispute
from disputes.services import escalate, make_offer, open_dispute
from orders.actors import Actor
from orders.models import Order
from orders.services import place_orders, post_message
from tests.factories import (
    ADDRESS,
    DECLINED_CARD,
    GOOD_CARD,
    ListingFactory,
    UserFactory,
    shipped_order,
)

PHONE = {"width": 390, "height": 844}
SMALLEST_TEXT_PX = 11

# What the page measures of itself (it runs with the page's scripts off too: Playwright's
# evaluate is not a page script). Hidden-for-screen-readers text (1 px, clipped) is skipped.
MEASURE = """(ownPages) => {
  const shown = (el) => !el.closest('.visually-hidden, .visually-hidden-focusable');
  const all = [...document.querySelectorAll('body *')].filter(shown);
  const sideways = ownPages ? all.filter((el) => {
    const overflow = getComputedStyle(el).overflowX;
    return el.clientWidth > 1 && overflow !== 'visible' && overflow !== 'clip'
      && el.scrollWidth > el.clientWidth + 1;
  }).map((el) => `${el.tagName.toLowerCase()}.${el.className}`) : [];

  // A stacked cell's label (its ::before) against where the cell's own content starts.
  const canvas = document.createElement('canvas').getContext('2d');
  const runIns = [];
  for (const cell of document.querySelectorAll('.table-stack td[data-label]')) {
    const label = getComputedStyle(cell, '::before');
    if (label.content === 'none' || !cell.getClientRects().length) continue;
    canvas.font = label.font;
    const labelWidth = Math.min(canvas.measureText(cell.dataset.label).width,
                                parseFloat(label.width) || Infinity);
    const style = getComputedStyle(cell);
    const labelEnd = cell.getBoundingClientRect().left + parseFloat(style.borderLeftWidth)
      + parseFloat(style.paddingLeft) + (parseFloat(label.marginLeft) || 0) + labelWidth;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const boxes = [...range.getClientRects()].filter((box) => box.width > 1);
    if (!boxes.length) continue;
    const contentStart = Math.min(...boxes.map((box) => box.left));
    if (contentStart - labelEnd < 8) runIns.push(`${cell.dataset.label}${cell.textContent.trim()}`);
  }

  // A stacked cell shown with its label and nothing beside it (an empty "Choose" line).
  const emptyLabels = [...document.querySelectorAll('.table-stack td[data-label]')]
    .filter((cell) => cell.getClientRects().length && !cell.textContent.trim()
      && !cell.querySelector('input, select, button, img, svg'))
    .map((cell) => cell.dataset.label);

  // An order number (123-4567890-1234) in one of our tables, broken over lines.
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const match = node.data.match(/\\d{3}-\\d{7}-\\d{4}/);
    const cell = node.parentElement;
    if (!ownPages || !match || !cell.closest('table') || !shown(cell)) continue;
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 1).map((r) => r.top));
    if (lines.size > 1) broken.push(match[0]);
  }

  // The rendered size of every piece of text in a chart: SVG text scales with its SVG.
  const chartText = [];
  for (const el of document.querySelectorAll('figure *')) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
    if (!ownText || !shown(el) || el.closest('title')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const scale = el instanceof SVGElement ? el.getScreenCTM().a : 1;
    chartText.push({text: el.textContent.trim(), px: size * scale});
  }
  return {
    width: document.documentElement.scrollWidth,
    sideways, runIns, emptyLabels, broken, chartText,
  };
}"""


@dataclass
class Shop:
    """What the pages show: a store with orders in the states a phone user meets."""

    buyer: object
    seller: object
    staff: object
    pen: Listing
    fresh: Order
    asked: Order
    case: Dispute
    reviewed_case: Dispute
    to_open_case: Order
    declined: Order


@pytest.fixture
def shop(buyer, seller) -> Shop:
    seller.store_name = "Sam's Stationery and Fine Writing Supplies"
    seller.save()
    pen = ListingFactory(seller=seller, title="Brass fountain pen, fine nib", price="38.00")
    notebook = ListingFactory(seller=seller, title="Dot-grid A5 notebook, 160 pages", price="14.50")
    inks = ListingFactory(seller=seller, title="Gel ink pens, 0.5 mm, pack of 10", price="11.99")
    lamp = ListingFactory(seller=seller, title="Desk lamp with adjustable arm", stock=5)

    def place(items, placed_ago=timedelta(0), card=GOOD_CARD) -> Order:
        (order,) = place_orders(buyer=buyer, items=items, address=ADDRESS, card_number=card)
        Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - placed_ago)
        return order

    # Two "No inventory" cancellations: the lamp goes off sale, and Account health has
    # reasons, listings and a trend to show.
    for _ in range(2):
        Listing.objects.filter(pk=lamp.pk).update(stock=5)
        cancel_as_seller(
            order_id=place({lamp.pk: 1}).pk,
            reason=Reason.NO_INVENTORY,
            actor=Actor.seller(seller.user),
        )
    fresh = place({notebook.pk: 2, inks.pk: 1})
    asked = place({inks.pk: 2}, placed_ago=timedelta(hours=2))
    request_cancellation(
        order_id=asked.pk,
        quantities={asked.lines.get().pk: 2},
        reason=Reason.FOUND_CHEAPER,
        note="Saw them for less at the shop down the road",
        actor=Actor.buyer(buyer),
    )
    # A buyer waiting for the seller's answer: the Messages inbox and the row's marker.
    post_message(order_id=fresh.pk, body="Can you ship it today?", actor=Actor.buyer(buyer))
    case = open_dispute(
        order_id=shipped_order(buyer=buyer, seller=seller, title="Leather pencil case").pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="The zip is broken and the leather is scuffed.",
        actor=Actor.buyer(buyer),
    )
    make_offer(
        dispute_id=case.pk,
        kind=Dispute.OfferKind.PARTIAL,
        amount=Decimal("5.00"),
        message="Sorry about the zip: here is part of your money back.",
        actor=Actor.seller(seller.user),
    )
    reviewed_case = open_dispute(
        order_id=shipped_order(buyer=buyer, seller=seller, title="Ink blotter").pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="It is plastic, not the glass the listing shows.",
        actor=Actor.buyer(buyer),
    )
    escalate(dispute_id=reviewed_case.pk, actor=Actor.seller(seller.user))
    return Shop(
        buyer=buyer,
        seller=seller,
        staff=UserFactory(username="stella", is_staff=True, is_superuser=True),
        pen=pen,
        fresh=fresh,
        asked=asked,
        case=case,
        reviewed_case=reviewed_case,
        to_open_case=shipped_order(buyer=buyer, seller=seller, title="Letter opener"),
        declined=place({notebook.pk: 1}, card=DECLINED_CARD),
    )


def phone(new_context, live_server, user, *, javascript: bool) -> Page:
    """A 390 px wide browser signed in as ``user`` (a session cookie: the sign-in page has
    its own tests, and these visit some sixty pages)."""
    context = new_context(java_script_enabled=javascript, viewport=PHONE)
    if user is None:  # a visitor
        return context.new_page()
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


# How to reach each page: who reads it, and the steps from a signed-in browser.
def buyer_review(page: Page, shop: Shop) -> None:
    page.goto(f"/your-orders/{shop.fresh.number}/cancel/")
    page.get_by_role("checkbox", name=re.compile("Dot-grid")).check()
    page.get_by_label("Reason for cancelling").select_option(label="Order created by mistake")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your cancellation")


def seller_review(page: Page, shop: Shop) -> None:
    page.goto(shop.fresh.get_seller_url())
    page.get_by_role("link", name="Cancel order").click()
    page.get_by_label("Reason for cancelling").select_option(label="No inventory")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your cancellation")


def seller_bulk_review(page: Page, shop: Shop) -> None:
    page.goto("/seller/orders/")
    page.get_by_role("link", name="Select all on this page").click()
    page.get_by_label("Reason for cancelling").select_option(label="Shipping address undeliverable")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your bulk cancellation")


def with_a_cart(path: str):
    def visit(page: Page, shop: Shop) -> None:
        page.goto(shop.pen.get_absolute_url())
        page.get_by_role("button", name="Add to cart").click()
        page.goto(path)

    return visit


def go(path):
    """A page at ``path`` (a string, or a function of the shop)."""
    return lambda page, shop: page.goto(path if isinstance(path, str) else path(shop))


PAGES = {
    "home": ("buyer", go("/")),
    "sign-in": ("visitor", go("/accounts/sign-in/")),
    "sign-up": ("visitor", go("/accounts/signup/")),
    "password-reset": ("visitor", go("/accounts/password/reset/")),
    "account": ("buyer", go("/account/")),
    "account-emails": ("buyer", go("/accounts/email/")),
    "password-change": ("buyer", go("/accounts/password/change/")),
    "start-selling": ("buyer", go("/seller/start/")),
    "shop": ("buyer", go("/listings/")),
    "search": ("buyer", go("/listings/?q=pen&sort=price")),
    "store": ("buyer", go(lambda shop: f"/stores/{shop.seller.pk}/")),
    "listing": ("buyer", go(lambda shop: shop.pen.get_absolute_url())),
    "cart": ("buyer", with_a_cart("/cart/")),
    "checkout": ("buyer", with_a_cart("/checkout/")),
    "your-orders": ("buyer", go("/your-orders/")),
    "your-orders-all": ("buyer", go("/your-orders/?tab=all")),
    "order": ("buyer", go(lambda shop: shop.fresh.get_absolute_url())),
    "order-with-request": ("buyer", go(lambda shop: shop.asked.get_absolute_url())),
    "order-declined": ("buyer", go(lambda shop: shop.declined.get_absolute_url())),
    "revise-payment": (
        "buyer",
        go(lambda shop: f"/your-orders/{shop.declined.number}/revise-payment/"),
    ),
    "cancel-items": ("buyer", go(lambda shop: f"/your-orders/{shop.fresh.number}/cancel/")),
    "cancel-review": ("buyer", buyer_review),
    "open-case": (
        "buyer",
        go(lambda shop: f"/resolution-center/orders/{shop.to_open_case.number}/open/"),
    ),
    "case": ("buyer", go(lambda shop: shop.case.get_absolute_url())),
    "case-list": ("buyer", go("/resolution-center/")),
    "seller-home": ("seller", go("/seller/")),
    "seller-orders": ("seller", go("/seller/orders/")),
    "seller-bulk-review": ("seller", seller_bulk_review),
    "seller-requests": ("seller", go("/seller/cancellation-requests/")),
    "seller-messages": ("seller", go("/seller/messages/")),
    "inventory": ("seller", go("/seller/inventory/")),
    "inventory-edit": ("seller", go(lambda shop: f"/seller/inventory/{shop.pen.pk}/edit/")),
    "listing-create": ("seller", go("/seller/listings/new/")),
    "listing-edit": ("seller", go(lambda shop: f"/seller/listings/{shop.pen.pk}/edit/")),
    "store-settings": ("seller", go("/seller/store/")),
    "seller-order": ("seller", go(lambda shop: shop.fresh.get_seller_url())),
    "seller-cancel": ("seller", go(lambda shop: f"/seller/orders/{shop.fresh.number}/cancel/")),
    "seller-cancel-items": (
        "seller",
        go(lambda shop: f"/seller/orders/{shop.fresh.number}/cancel-items/"),
    ),
    "seller-cancel-review": ("seller", seller_review),
    "confirm-shipment": ("seller", go(lambda shop: f"/seller/orders/{shop.fresh.number}/ship/")),
    "seller-case": ("seller", go(lambda shop: shop.case.get_absolute_url())),
    "seller-case-list": ("seller", go("/resolution-center/")),
    "admin": ("staff", go("/admin/")),
    "admin-disputes": ("staff", go("/admin/disputes/dispute/")),
    "admin-dispute": (
        "staff",
        go(lambda shop: f"/admin/disputes/dispute/{shop.reviewed_case.pk}/change/"),
    ),
    "admin-orders": ("staff", go("/admin/orders/order/")),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(live_server, new_context, shop, name):
    """
    Given a 390 px wide browser signed in as the page's reader, JavaScript on then off,
    when it opens the page (every <details> opened, so what they hide is measured too),
    then the page is no wider than the screen, no box of ours scrolls sideways (Django
    admin's change lists scroll inside their own box by design), no stacked label runs into
    its value or stands alone with none, and no order number in a table breaks over lines.
    """
    role, visit = PAGES[name]
    reader = {"buyer": shop.buyer, "seller": shop.seller.user, "staff": shop.staff}.get(role)
    for javascript in (True, False):
        page = phone(new_context, live_server, reader, javascript=javascript)
        visit(page, shop)
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => (d.open = true))")
        measured = page.evaluate(MEASURE, not name.startswith("admin"))
        where = f"{name}, JavaScript {'on' if javascript else 'off'}"

        assert measured["width"] <= PHONE["width"], (where, measured)
        assert measured["sideways"] == [], where
        assert measured["runIns"] == [], where
        assert measured["emptyLabels"] == [], where
        assert measured["broken"] == [], where


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_trend_chart_text_stays_readable_on_a_phone(live_server, new_context, shop, javascript):
    """Every label of Account health's chart renders at 11 px or more at 390 px wide."""
    page = phone(new_context, live_server, shop.seller.user, javascript=javascript)

    page.goto("/seller/")
    chart_text = page.evaluate(MEASURE, True)["chartText"]

    assert len(chart_text) >= 12  # a label per week, at least
    too_small = [text for text in chart_text if text["px"] < SMALLEST_TEXT_PX]
    assert too_small == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_checkout_shows_the_total_before_place_your_order(
    live_server, new_context, shop, javascript
):
    """On a phone the order summary, and so the total, comes before the button that buys."""
    page = phone(new_context, live_server, shop.buyer, javascript=javascript)
    with_a_cart("/checkout/")(page, shop)

    total = page.get_by_text("Order total:").bounding_box()
    button = page.get_by_role("button", name="Place your order").bounding_box()

    assert total["y"] + total["height"] <= button["y"]


def test_seller_order_row_keeps_its_checkbox_beside_the_number(live_server, new_context, shop):
    """Stacked on a phone, an order's bulk-cancel checkbox sits on its number's line."""
    page = phone(new_context, live_server, shop.seller.user, javascript=False)

    page.goto("/seller/orders/")
    row = page.get_by_test_id("order-row").filter(has_text=shop.fresh.number)
    number = row.get_by_role("link", name=shop.fresh.number).bounding_box()
    checkbox = row.get_by_role("checkbox").bounding_box()

    middle = checkbox["y"] + checkbox["height"] / 2
    assert number["y"] <= middle <= number["y"] + number["height"]
    assert checkbox["x"] > number["x"] + number["width"]
