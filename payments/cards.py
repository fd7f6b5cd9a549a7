"""
The card a buyer pays with, as the portal keeps it, and what a page needs to take one.

A ``Card`` is the gateway's payment method and the last four digits the pages show. The
sandbox turns a typed number into one (``card_from_number``). With the Stripe gateway
the number never reaches the portal: the page's card element (Stripe Elements) gives it
to Stripe, which answers with a payment method, and the portal reads back only its last
four digits (``stripe_card``). The pages that load Stripe.js widen their content
security policy to Stripe's origins (``stripe_content_security_policy``); every other
page keeps ``SECURE_CSP``.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.csp import CSP

from .gateway import card_last4, tokenize_card


@dataclass(frozen=True)
class Card:
    payment_method: str  # the gateway's: a sandbox token, or Stripe's pm_…
    last4: str


def card_from_number(number: str) -> Card:
    """The sandbox's card for a typed number; InvalidCard (a PaymentError) if it cannot be one."""
    return Card(tokenize_card(number), card_last4(number))


def given_card(*, card: Card | None, card_number: str | None) -> Card:
    """
    The card a service was given either way: a ``Card`` (the Stripe form's, or one made
    already), else the sandbox's card number (InvalidCard if it cannot be one).
    """
    if card is not None:
        return card
    if card_number is None:
        raise TypeError("A card or a card number is required.")
    return card_from_number(card_number)


def stripe_card(payment_method: str, *, user: Any) -> Card:
    """
    The Stripe payment method the buyer's browser set up, as a Card. PaymentError (its
    message for the buyer) when Stripe does not know it, it is another customer's, or
    Stripe could not be asked.
    """
    # Imported here: the Stripe library loads only where the Stripe gateway is used.
    from .stripe_gateway import card_last4 as stripe_last4

    return Card(payment_method, stripe_last4(payment_method, user=user))


# Stripe.js's own origin, and what else Stripe's "Content Security Policy" guide lists
# for it: scripts and frames of its subdomains, and the frames of 3-D Secure challenges.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_SCRIPTS = ["https://*.js.stripe.com"]
STRIPE_FRAMES = ["https://*.js.stripe.com", "https://hooks.stripe.com"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_content_security_policy() -> dict[str, list[str]]:
    """
    ``SECURE_CSP`` opened to Stripe.js, for the pages that load it: its scripts and frames
    from STRIPE_JS_URL's origin (with Stripe's 3-D Secure frames when that is Stripe's),
    and its calls to STRIPE_API_BASE. Read from the settings now, so tests can switch.
    """
    policy = {directive: list(values) for directive, values in settings.SECURE_CSP.items()}
    js = _origin(settings.STRIPE_JS_URL)
    stripes = js == STRIPE_JS_ORIGIN
    # Without their own entry, connect-src and frame-src fall back to default-src ('self').
    policy["script-src"] = [
        *policy.get("script-src", [CSP.SELF]),
        js,
        *(STRIPE_SCRIPTS if stripes else []),
    ]
    policy["frame-src"] = [*policy.get("frame-src", []), js, *(STRIPE_FRAMES if stripes else [])]
    policy["connect-src"] = [
        *policy.get("connect-src", [CSP.SELF]),
        _origin(settings.STRIPE_API_BASE),
    ]
    return policy
