"""
Checkout through Stripe Elements in a real browser, with the Stripe gateway against
localstripe and the Stripe.js stand-in it serves (STRIPE_JS_URL): a buyer types a card
into the card element, once a card that simply succeeds and once one whose bank asks
for 3-D Secure, which the buyer completes in localstripe's window, twice (when the card
is set up and when it pays). Either way the order is placed once and its payment
authorized, and the card number never reaches the portal.

localstripe differs from Stripe in one way that matters here: a SetupIntent confirmed
for a customer does not attach its payment method to that customer, as Stripe does, so
the portal (rightly) would not take it as the buyer's card. The test makes up for it
where the browser talks to localstripe: once localstripe answers that the SetupIntent
succeeded, the card is attached to its customer before the page reads the answer.
"""

import pytest
from playwright.sync_api import Page, Route, expect

from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentTransaction, StripeCharge
from payments.stripe_gateway import client
from tests.factories import ListingFactory

from .steps import field

THREE_D_SECURE = "Complete authentication"  # localstripe's 3-D Secure window's button


@pytest.fixture
def notebook(seller):
    return ListingFactory(seller=seller, title="Dot grid notebook", price="12.00", stock=5)


@pytest.fixture
def stripe_page(page: Page, stripe_gateway) -> Page:
    """The buyer's browser, with localstripe's SetupIntent attaching cards as Stripe's does."""

    def attach_like_stripe(route: Route) -> None:
        answer = route.fetch()
        setup = answer.json()
        if setup.get("status") == "succeeded" and setup.get("customer"):
            client().v1.payment_methods.attach(
                setup["payment_method"], params={"customer": setup["customer"]}
            )
        route.fulfill(response=answer)

    page.route(f"{stripe_gateway.url}/v1/setup_intents/*/confirm", attach_like_stripe)
    return page


def check_out_with(page: Page, listing, card_number: str) -> None:
    """From the listing to "Place your order", the card typed into Stripe's card element."""
    page.goto(listing.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label(field("Full name")).fill("Bea Buyer")
    page.get_by_label("Address line 1").fill("1 Main Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("ZIP or postcode").fill("12345")
    card = page.get_by_role("group", name="Card")
    card.get_by_placeholder("number").fill(card_number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("12345")
    page.get_by_role("button", name="Place your order").click()


def assert_placed_once(buyer, last4: str) -> None:
    [order] = Order.objects.filter(buyer=buyer).select_related("payment")
    assert order.status == OrderStatus.UNSHIPPED
    assert order.payment.status == Payment.Status.AUTHORIZED
    assert order.payment.amount_authorized == order.total
    assert order.payment.card_last4 == last4
    assert order.payment.payment_method.startswith("pm_")
    authorizations = PaymentTransaction.objects.filter(kind=PaymentTransaction.Kind.AUTHORIZE)
    assert [row.status for row in authorizations] == [PaymentTransaction.Status.SUCCEEDED]
    assert StripeCharge.objects.get().reference == order.payment.charge_reference


def test_a_buyer_checks_out_with_a_card_in_the_card_element(
    live_server, stripe_page, sign_in, buyer, notebook, screenshot
):
    """The good card: Stripe sets it up, the portal authorizes it, the order is placed."""
    # Given a signed-in buyer at checkout with the Stripe gateway
    sign_in(stripe_page, buyer)

    # When they type the card into the card element and place the order
    check_out_with(stripe_page, notebook, "4242424242424242")

    # Then the order is placed, once, with the card's last four from Stripe
    expect(stripe_page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your order is placed"
    )
    screenshot(stripe_page, "stripe-checkout-placed")
    assert_placed_once(buyer, "4242")


def test_a_buyer_completes_three_d_secure_and_the_order_is_placed_once(
    live_server, stripe_page, sign_in, buyer, notebook, screenshot
):
    """The card asks for 3-D Secure: confirmed in the browser, the order is placed once."""
    # Given a signed-in buyer who checks out with the card that asks for 3-D Secure
    sign_in(stripe_page, buyer)
    check_out_with(stripe_page, notebook, "4000002500003155")

    # When they complete the bank's check as the card is set up
    stripe_page.get_by_role("button", name=THREE_D_SECURE).click()

    # Then the order waits for the payment's own check, on the page that asks for it
    expect(stripe_page.get_by_role("heading", level=1)).to_have_text(
        "Confirm your payment with your bank"
    )
    order = Order.objects.get(buyer=buyer)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()
    screenshot(stripe_page, "stripe-checkout-3-d-secure")

    # When they confirm with their bank and complete the check
    stripe_page.get_by_role("button", name="Confirm with your bank").click()
    stripe_page.get_by_role("button", name=THREE_D_SECURE).click()

    # Then the order is placed, once, and its payment authorized
    expect(stripe_page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your order is placed"
    )
    assert_placed_once(buyer, "3155")
