"""
axe-core on the pages buyers and sellers use most: no serious or critical finding
(colour contrast, names of controls, landmarks). axe-core comes with the
axe-playwright-python package, never from a CDN.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory

BLOCKING = {"serious", "critical"}


def blocking_findings(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.fixture
def order(buyer, seller):
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    (placed,) = place_orders(
        buyer=buyer, items={notebook.pk: 2}, address=ADDRESS, card_number=GOOD_CARD
    )
    return placed


@pytest.mark.parametrize("width", [1280, 390])
def test_buyer_pages_have_no_serious_findings(page, sign_in, buyer, order, width):
    """Your Orders, the order page, Cancel Items and its review, at desktop and phone width."""
    sign_in(page, buyer)
    page.set_viewport_size({"width": width, "height": 900})
    findings = {}

    page.goto("/your-orders/")
    findings["Your Orders"] = blocking_findings(page)
    page.goto(order.get_absolute_url())
    findings["order page"] = blocking_findings(page)
    page.get_by_role("link", name="Cancel Items").click()
    findings["Cancel Items"] = blocking_findings(page)
    page.get_by_role("checkbox", name=re.compile("Blue notebook")).check()
    page.get_by_label("Reason for cancelling").select_option(label="Order created by mistake")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("button", name=re.compile("Confirm"))).to_be_visible()
    findings["review"] = blocking_findings(page)

    assert findings == {name: [] for name in findings}


@pytest.mark.parametrize("width", [1280, 390])
def test_seller_central_list_has_no_serious_findings(page, sign_in, seller, order, width):
    sign_in(page, seller.user)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/seller/orders/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert blocking_findings(page) == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_front_door_has_no_serious_findings(page, new_page, sign_in, buyer, seller, width):
    """Sign up and sign in for a visitor; the account page, a search and Start selling for
    a customer; a listing's create page and Inventory for a seller."""
    ListingFactory(seller=seller, title="Blue notebook", description="A notebook.")
    findings = {}
    visitor = new_page()
    visitor.set_viewport_size({"width": width, "height": 900})
    for name, path in [("sign up", "/accounts/signup/"), ("sign in", "/accounts/sign-in/")]:
        visitor.goto(path)
        findings[name] = blocking_findings(visitor)

    sign_in(page, buyer)
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("account", "/account/"),
        ("search", "/listings/?q=notebook"),
        ("start selling", "/seller/start/"),
    ]:
        page.goto(path)
        findings[name] = blocking_findings(page)

    sellers_page = new_page()
    sign_in(sellers_page, seller.user)
    sellers_page.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("new listing", "/seller/listings/new/"),
        ("inventory", "/seller/inventory/"),
    ]:
        sellers_page.goto(path)
        findings[name] = blocking_findings(sellers_page)

    assert findings == {name: [] for name in findings}
