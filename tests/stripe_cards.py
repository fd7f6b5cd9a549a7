"""
Cards as Stripe Elements leaves them, made without a browser, for tests against localstripe.

In the browser the card element and a SetupIntent save the card to the buyer's Stripe
customer; here the payment method is attached to that customer directly, which is what
Stripe's SetupIntent does on success. (localstripe's own SetupIntent does not attach it:
tests/browser/test_stripe_checkout.py makes up for that.)
"""

import requests

from payments.stripe_gateway import client, customer_for
from tests import localstripe as keys

VISA = "pm_card_visa"
DECLINING = "pm_card_chargeCustomerFail"  # localstripe's one card whose charge is declined
THREE_D_SECURE_CARD = "4000002500003155"  # Stripe's card that always asks for 3-D Secure


def saved_card(user, payment_method: str = VISA) -> str:
    """``payment_method`` saved to ``user``'s Stripe customer: the pm_… the form posts."""
    customer = customer_for(user)
    return client().v1.payment_methods.attach(payment_method, params={"customer": customer}).id


def three_d_secure_method() -> str:
    """A payment method of the card that asks for 3-D Secure (not yet anyone's)."""
    card = {"number": THREE_D_SECURE_CARD, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return client().v1.payment_methods.create(params={"type": "card", "card": card}).id


def authenticate(localstripe, client_secret: str, *, success: bool) -> None:
    """What localstripe's Stripe.js does when the buyer answers the 3-D Secure window."""
    intent = client_secret.split("_secret_")[0]
    answer = requests.post(
        f"{localstripe.url}/v1/payment_intents/{intent}/_authenticate",
        params={"success": "true" if success else "false"},
        json={"key": keys.PUBLISHABLE_KEY, "client_secret": client_secret},
        timeout=5,
    )
    answer.raise_for_status()
