"""
The pages that take a card through Stripe Elements (orders/views/elements.py, the checkout
in views/storefront.py, "Revise payment" and the 3-D Secure page in views/buyer.py), with
the Stripe gateway against localstripe; and that the sandbox's pages stay as they were.
"""

import re
import subprocess
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Listing
from orders.cart import Cart
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import authentication_secrets, awaiting_authentication, place_orders
from payments.cards import stripe_card
from payments.models import Payment, PaymentTransaction, StripeCall, StripeCustomer
from tests import localstripe as keys
from tests.factories import ADDRESS, ListingFactory, UserFactory
from tests.stripe_cards import DECLINING, authenticate, saved_card, three_d_secure_method
from tests.test_valid_html import validator

pytestmark = pytest.mark.django_db

S = OrderStatus
E = OrderEvent.Type
CHECKOUT = reverse("storefront:checkout")
CARD_SETUP = reverse("storefront:card_setup")
CONFIRM = reverse("orders:confirm_payment")
PLACED = reverse("storefront:order_placed")
CSP = "Content-Security-Policy"


@pytest.fixture
def buyer(client):
    user = UserFactory(username="bea", first_name="Bea")
    client.force_login(user)
    return user


@pytest.fixture
def notebook(seller):
    return ListingFactory(seller=seller, title="Notebook", price="12.00", stock=10)


@pytest.fixture
def in_cart(client, buyer, notebook):
    client.post(reverse("storefront:cart_add"), {"listing": notebook.pk, "quantity": 1})
    assert Cart(client.session).items() == {notebook.pk: 1}


def checkout_data(client, payment_method: str) -> dict[str, str]:
    """What the page's form posts once its script put the payment method in."""
    page = client.get(CHECKOUT)
    token = page.context["form"].initial["checkout_token"]
    return {
        "checkout_token": str(token),
        "ship_to": "new",
        "name": "Bea Buyer",
        "line1": "1 Main Street",
        "city": "Springfield",
        "postcode": "12345",
        "country": "US",
        "payment_method": payment_method,
    }


def body(response) -> str:
    return response.content.decode()


def directive(response, name: str) -> list[str]:
    """One directive of the response's content security policy."""
    for part in response[CSP].split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def orders_of(buyer) -> list[Order]:
    return list(Order.objects.filter(buyer=buyer).select_related("payment").order_by("pk"))


def confirm_url(*orders) -> str:
    return CONFIRM + "?" + "&".join(f"order={order.number}" for order in orders)


def waiting_order(buyer, listing) -> Order:
    """An order whose card's bank wants the buyer to confirm (3-D Secure)."""
    card = stripe_card(saved_card(buyer, three_d_secure_method()), user=buyer)
    [order] = place_orders(buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card=card)
    return order


def secret_of(order) -> str:
    return authentication_secrets(awaiting_authentication(order_ids=[order.pk]))[order.pk]


# --- The checkout page ------------------------------------------------------------------------
def test_with_stripe_the_checkout_shows_the_card_element_and_never_a_card_number(
    client, in_cart, stripe_gateway, settings
):
    """The card element and a hidden payment method; Stripe.js from STRIPE_JS_URL; no number."""
    response = client.get(CHECKOUT)
    page = body(response)

    assert response.status_code == 200
    assert "data-card-element" in page
    assert re.search(r'<input type="hidden" name="payment_method"[^>]*>', page)
    assert 'name="card_number"' not in page
    assert f'<script src="{settings.STRIPE_JS_URL}"' in page
    assert re.search(r'<script src="[^"]*js/card\.js"', page)
    assert f'data-publishable-key="{keys.PUBLISHABLE_KEY}"' in page
    assert f'data-setup-url="{CARD_SETUP}"' in page


def test_without_javascript_the_stripe_checkout_says_so_and_offers_no_form(
    client, in_cart, stripe_gateway
):
    """The form is hidden until the script shows it; a <noscript> box says why."""
    page = body(client.get(CHECKOUT))

    form = re.search(r"<form method=\"post\"[^>]*data-card-form[^>]*>", page)
    assert form and re.search(r"\shidden\s", form.group(0))
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.S)
    assert noscript and "Paying by card needs JavaScript" in noscript.group(1)


def test_the_sandbox_checkout_is_as_it_was(client, in_cart, settings):
    """The card number field, no Stripe.js, no card element, a visible form."""
    page = body(client.get(CHECKOUT))

    assert 'name="card_number"' in page
    assert "data-card-element" not in page
    assert "<noscript>" not in page
    assert settings.STRIPE_JS_URL not in page
    assert "js/card.js" not in page
    assert re.search(r'<form method="post"\s+novalidate\s*>', page)


# --- The content security policy -----------------------------------------------------------
def test_the_stripe_checkout_allows_stripes_origins(client, in_cart, stripe_gateway):
    """Stripe.js's scripts and frames, and its calls to the API, on the checkout page only."""
    response = client.get(CHECKOUT)

    assert stripe_gateway.url in directive(response, "script-src")
    assert "'self'" in directive(response, "script-src")
    assert directive(response, "frame-src") == [stripe_gateway.url]
    assert directive(response, "connect-src") == ["'self'", stripe_gateway.url]


@pytest.mark.parametrize("gateway", ["sandbox", "stripe"], indirect=True)
def test_pages_without_stripe_js_keep_the_sites_policy(client, in_cart, gateway, settings):
    """The cart and Your Orders never allow Stripe; nor does checkout with the sandbox."""
    pages = [reverse("storefront:cart"), reverse("orders:your_orders"), reverse("home")]
    if gateway == "sandbox":
        pages.append(CHECKOUT)

    for url in pages:
        policy = client.get(url)[CSP]
        assert "127.0.0.1" not in policy and "stripe" not in policy, url
        assert "frame-src" not in policy and "connect-src" not in policy, url


# --- The card setup endpoint -----------------------------------------------------------------
def test_card_setup_answers_a_setup_intents_secret_for_the_buyer(client, buyer, stripe_gateway):
    """A POST makes the buyer's Stripe customer and a SetupIntent; its secret comes back."""
    response = client.post(CARD_SETUP)

    assert response.status_code == 200
    assert response.json()["client_secret"].startswith("seti_")
    assert StripeCustomer.objects.filter(user=buyer).count() == 1


def test_card_setup_refuses_a_get_and_a_post_without_the_csrf_token(buyer, stripe_gateway):
    """GET is 405, a POST without CSRF 403: neither makes anything at Stripe."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(buyer)

    assert csrf_client.get(CARD_SETUP).status_code == 405
    assert csrf_client.post(CARD_SETUP).status_code == 403
    assert not StripeCustomer.objects.exists()


def test_card_setup_is_refused_until_the_email_is_confirmed(client, stripe_gateway):
    client.force_login(UserFactory(verified=False))

    response = client.post(CARD_SETUP)

    assert response.status_code == 403
    assert "Confirm your email address" in response.json()["error"]
    assert not StripeCustomer.objects.exists()


def test_card_setup_does_not_exist_with_the_sandbox(client, buyer):
    assert client.post(CARD_SETUP).status_code == 404


def test_card_setup_answers_503_when_stripe_does_not(client, buyer, stripe_gateway, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
    settings.STRIPE_TIMEOUT_SECONDS = 1

    response = client.post(CARD_SETUP)

    assert response.status_code == 503
    assert "try again" in response.json()["error"]


# --- Checking out with a payment method ------------------------------------------------------
def test_checkout_with_the_buyers_card_places_the_order(client, in_cart, buyer, stripe_gateway):
    """The payment method Stripe set up is posted; the order is placed and authorized."""
    method = saved_card(buyer)

    response = client.post(CHECKOUT, checkout_data(client, method))

    assert response.status_code == 302 and response["Location"] == PLACED
    [order] = orders_of(buyer)
    assert order.status == S.UNSHIPPED
    assert (order.payment.payment_method, order.payment.card_last4) == (method, "4242")
    assert Cart(client.session).items() == {}


def test_checkout_with_a_declining_card_is_the_decline_path(client, in_cart, buyer, stripe_gateway):
    response = client.post(
        CHECKOUT, checkout_data(client, saved_card(buyer, DECLINING)), follow=True
    )

    [order] = orders_of(buyer)
    assert order.status == S.PAYMENT_FAILED
    assert response.redirect_chain[-1][0] == PLACED
    assert "Revise payment" in body(response)


@pytest.mark.parametrize(
    "method",
    ["another buyer's", "pm_doesnotexist", "tok_visa", "", "pm_" + "a" * 300, "pm_card_visa"],
)
def test_checkout_with_a_card_that_is_not_the_buyers_is_a_form_error(
    client, in_cart, buyer, notebook, stripe_gateway, method
):
    """Someone else's, unknown, malformed or missing: the card's error, nothing created."""
    if method == "another buyer's":
        method = saved_card(UserFactory())

    response = client.post(CHECKOUT, checkout_data(client, method))

    assert response.status_code == 200
    assert response.context["form"].errors["payment_method"]
    assert re.search(r"data-card-errors>\s*\S", body(response))  # shown beside the card
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert Listing.objects.get(pk=notebook.pk).stock == 10
    assert Cart(client.session).items() == {notebook.pk: 1}


def test_checkout_with_a_three_d_secure_card_goes_to_the_confirmation_page(
    client, in_cart, buyer, stripe_gateway
):
    """The bank wants the buyer: the order waits, and the buyer is sent to confirm it."""
    response = client.post(
        CHECKOUT, checkout_data(client, saved_card(buyer, three_d_secure_method()))
    )

    [order] = orders_of(buyer)
    assert response.status_code == 302 and response["Location"] == confirm_url(order)
    assert order.status == S.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()
    assert Cart(client.session).items() == {}


# --- The 3-D Secure page ---------------------------------------------------------------------
def test_the_confirmation_page_carries_each_payments_secret_and_loads_stripe(
    client, buyer, notebook, stripe_gateway
):
    order = waiting_order(buyer, notebook)

    response = client.get(confirm_url(order))
    page = body(response)

    assert response.status_code == 200
    assert f'data-client-secret="{secret_of(order)}"' in page
    assert f'<input type="hidden" name="order" value="{order.number}">' in page
    assert "Confirm with your bank" in page
    assert stripe_gateway.url in directive(response, "script-src")
    assert "no-store" in response["Cache-Control"]


def test_looking_at_the_confirmation_page_changes_nothing(client, buyer, notebook, stripe_gateway):
    order = waiting_order(buyer, notebook)
    calls = list(StripeCall.objects.values_list("key", "response"))

    client.get(confirm_url(order))
    client.get(confirm_url(order))

    assert Order.objects.get(pk=order.pk).status == S.PENDING_PAYMENT
    assert list(StripeCall.objects.values_list("key", "response")) == calls
    assert not PaymentTransaction.objects.exists()
    assert list(order.events.values_list("type", flat=True)) == [E.PLACED]


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_buyers_order_is_not_found(client, buyer, notebook, stripe_gateway, method):
    """Another buyer's order, alone or beside one's own, or an unknown number: 404."""
    theirs = waiting_order(UserFactory(), notebook)
    mine = waiting_order(buyer, notebook)
    authenticate(stripe_gateway, secret_of(theirs), success=True)

    for numbers in ([theirs.number], [mine.number, theirs.number], ["000-0000000-0000"]):
        response = getattr(client, method)(CONFIRM, {"order": numbers})
        assert response.status_code == 404, numbers

    assert Order.objects.get(pk=theirs.pk).status == S.PENDING_PAYMENT
    assert not PaymentTransaction.objects.exists()


def test_an_order_with_nothing_to_confirm_goes_on(client, buyer, notebook, stripe_gateway):
    """Nothing left to confirm (already authorized): the page sends the buyer on."""
    [order] = place_orders(
        buyer=buyer,
        items={notebook.pk: 1},
        address=ADDRESS,
        card=stripe_card(saved_card(buyer), user=buyer),
    )

    response = client.get(confirm_url(order))

    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()


def test_finishing_after_the_buyer_confirmed_places_the_order_once(
    client, in_cart, buyer, stripe_gateway
):
    """The page's POST asks again with the same key: placed once, however often it is sent."""
    client.post(CHECKOUT, checkout_data(client, saved_card(buyer, three_d_secure_method())))
    [order] = orders_of(buyer)
    authenticate(stripe_gateway, secret_of(order), success=True)

    first = client.post(confirm_url(order), {"order": order.number})
    second = client.post(CONFIRM, {"order": order.number})

    assert first["Location"] == PLACED and second["Location"] == PLACED
    [order] = orders_of(buyer)
    assert order.status == S.UNSHIPPED
    assert order.payment.amount_authorized == Decimal("12.00")
    assert order.payment.transactions.count() == 1
    assert list(order.events.values_list("type", flat=True)) == [E.PLACED, E.PAYMENT_AUTHORIZED]
    assert "Thank you: your order is placed" in body(client.get(PLACED))


def test_finishing_after_a_failed_check_is_the_decline_path(client, in_cart, buyer, stripe_gateway):
    client.post(CHECKOUT, checkout_data(client, saved_card(buyer, three_d_secure_method())))
    [order] = orders_of(buyer)
    authenticate(stripe_gateway, secret_of(order), success=False)

    response = client.post(CONFIRM, {"order": order.number}, follow=True)

    assert Order.objects.get(pk=order.pk).status == S.PAYMENT_FAILED
    assert response.redirect_chain[-1][0] == PLACED
    assert "Revise payment" in body(response)


def test_finishing_before_the_buyer_confirmed_comes_back_to_the_page(
    client, buyer, notebook, stripe_gateway
):
    order = waiting_order(buyer, notebook)

    response = client.post(CONFIRM, {"order": order.number}, follow=True)

    assert response.redirect_chain[-1][0] == confirm_url(order)
    assert "still waiting for you to confirm" in body(response)
    assert Order.objects.get(pk=order.pk).status == S.PENDING_PAYMENT


def test_the_order_page_leads_back_to_the_confirmation(client, buyer, notebook, stripe_gateway):
    """A buyer who left the 3-D Secure page finds it again from the order's page."""
    order = waiting_order(buyer, notebook)

    page = body(client.get(order.get_absolute_url()))

    assert f'href="{confirm_url(order)}"' in page
    assert "Your bank asks you to confirm this payment" in page


# --- Revise payment --------------------------------------------------------------------------
@pytest.fixture
def declined_order(buyer, notebook, stripe_gateway) -> Order:
    card = stripe_card(saved_card(buyer, DECLINING), user=buyer)
    [order] = place_orders(buyer=buyer, items={notebook.pk: 1}, address=ADDRESS, card=card)
    assert order.status == S.PAYMENT_FAILED
    return order


def revise_url(order) -> str:
    return reverse("orders:revise_payment", args=[order.number])


def test_revise_payment_shows_the_card_element(client, declined_order, settings):
    page = body(client.get(revise_url(declined_order)))

    assert "data-card-element" in page
    assert 'name="card_number"' not in page
    assert f'<script src="{settings.STRIPE_JS_URL}"' in page


def test_revise_payment_with_the_buyers_card_authorizes_the_order(client, buyer, declined_order):
    response = client.post(revise_url(declined_order), {"payment_method": saved_card(buyer)})

    assert response["Location"] == declined_order.get_absolute_url()
    order = Order.objects.select_related("payment").get(pk=declined_order.pk)
    assert order.status == S.UNSHIPPED
    assert order.payment.card_last4 == "4242"


def test_revise_payment_with_another_buyers_card_is_a_form_error(client, declined_order):
    response = client.post(
        revise_url(declined_order), {"payment_method": saved_card(UserFactory())}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["payment_method"]
    order = Order.objects.get(pk=declined_order.pk)
    assert (order.status, order.payment_attempts) == (S.PAYMENT_FAILED, 1)


def test_revise_payment_with_three_d_secure_confirms_then_reports_on_the_order_page(
    client, buyer, declined_order, stripe_gateway
):
    """The revised card asks for 3-D Secure: confirmed, the buyer lands on the order with news."""
    method = saved_card(buyer, three_d_secure_method())

    response = client.post(revise_url(declined_order), {"payment_method": method})

    assert response["Location"] == confirm_url(declined_order)
    authenticate(stripe_gateway, secret_of(declined_order), success=True)
    finished = client.post(CONFIRM, {"order": declined_order.number}, follow=True)
    assert finished.redirect_chain[-1][0] == declined_order.get_absolute_url()
    assert "your payment went through" in body(finished)
    assert Order.objects.get(pk=declined_order.pk).status == S.UNSHIPPED


# --- Valid HTML ------------------------------------------------------------------------------
def test_the_stripe_pages_are_valid_html(
    client, in_cart, buyer, notebook, declined_order, tmp_path
):
    """Checkout, "Revise payment" and the 3-D Secure page, as the Nu HTML Checker reads them."""
    command = validator()
    waiting = waiting_order(buyer, notebook)
    pages = {
        "checkout": CHECKOUT,
        "revise-payment": revise_url(declined_order),
        "confirm-payment": confirm_url(waiting),
        "order-to-confirm": waiting.get_absolute_url(),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        (tmp_path / f"{name}.html").write_bytes(response.content)

    result = subprocess.run(
        [*command, "--root", str(tmp_path), "--format", "text"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
