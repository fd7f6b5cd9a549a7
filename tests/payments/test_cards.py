"""The card a buyer pays with, and the policy of the pages that take it (payments/cards.py)."""

import pytest

from payments.cards import (
    Card,
    card_from_number,
    given_card,
    stripe_card,
    stripe_content_security_policy,
)
from payments.errors import InvalidCard, PaymentError
from tests.factories import UserFactory
from tests.stripe_cards import saved_card, three_d_secure_method


def test_a_typed_number_becomes_the_sandbox_token_and_its_last_four():
    assert card_from_number("4242 4242 4242 4242") == Card("pm_card_visa", "4242")


def test_a_number_that_cannot_be_a_card_is_refused():
    with pytest.raises(InvalidCard):
        card_from_number("4242 4242 4242 4241")


def test_a_given_card_wins_over_a_number_and_one_of_them_is_needed():
    card = Card("pm_123", "1881")

    assert given_card(card=card, card_number="4242424242424242") is card
    assert given_card(card=None, card_number="4242424242424242") == Card("pm_card_visa", "4242")
    with pytest.raises(TypeError):
        given_card(card=None, card_number=None)


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_gateway")
def test_a_payment_method_saved_to_the_buyer_is_their_card():
    """Given a card Elements saved to the buyer's customer, Stripe's last four come back."""
    buyer = UserFactory()
    method = saved_card(buyer, three_d_secure_method())

    assert stripe_card(method, user=buyer) == Card(method, "3155")


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_gateway")
@pytest.mark.parametrize("whose", ["another buyer's", "unknown", "nobody's"])
def test_a_payment_method_not_the_buyers_is_refused(whose):
    """Another buyer's card, one Stripe does not know, or one saved to no one: refused."""
    buyer = UserFactory()
    method = {
        "another buyer's": lambda: saved_card(UserFactory()),
        "unknown": lambda: "pm_doesnotexist",
        "nobody's": three_d_secure_method,
    }[whose]()

    with pytest.raises(PaymentError):
        stripe_card(method, user=buyer)


def test_the_policy_for_stripes_own_stripe_js(settings):
    """With Stripe's addresses: its script and frame origins, 3-D Secure's frames, its API."""
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    site = {directive: list(values) for directive, values in settings.SECURE_CSP.items()}

    policy = stripe_content_security_policy()

    assert policy["script-src"] == [
        *site["script-src"],
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert policy["frame-src"] == [
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert {key: policy[key] for key in site} == {**site, "script-src": policy["script-src"]}
    assert site == dict(settings.SECURE_CSP)  # the site's own policy is left as it was


def test_the_policy_for_a_stand_in_names_only_its_origin(settings):
    """With localstripe's addresses, only its origin is added (no Stripe frames)."""
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"

    policy = stripe_content_security_policy()

    assert policy["script-src"][-1] == "http://127.0.0.1:8420"
    assert policy["frame-src"] == ["http://127.0.0.1:8420"]
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert "stripe.com" not in str(policy)
