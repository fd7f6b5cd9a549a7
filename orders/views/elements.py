"""
Stripe Elements on the pages that take or confirm a card (docs/DESIGN.md §7).

With the Stripe gateway on, checkout, "Revise payment" and the 3-D Secure page load
Stripe.js and the portal's own script (static/js/card.js). Their content security
policy allows Stripe's origins; every other page keeps the site's. The card element
gives the card to Stripe: the page asks ``CardSetupView`` for a SetupIntent's secret,
Stripe.js confirms the card with it, and the form posts the payment method it made.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, JsonResponse
from django.views import View
from django.views.decorators.csp import csp_override

from accounts.selectors import has_verified_email
from payments.cards import stripe_content_security_policy
from payments.errors import PaymentError
from payments.gateway import GatewayError, uses_stripe

from ..actors import signed_in_user

logger = logging.getLogger(__name__)


class StripeElementsMixin:
    """
    A page that loads Stripe.js when the Stripe gateway is on: its policy allows Stripe's
    origins, and its template gets ``stripe_elements`` (Stripe.js's address, the
    publishable key) to load it with; None with the sandbox.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        view = super().dispatch  # type: ignore[misc]
        if uses_stripe():
            view = csp_override(stripe_content_security_policy())(view)
        return view(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        elements = None
        if uses_stripe():
            elements = {
                "js_url": settings.STRIPE_JS_URL,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "test_mode": settings.STRIPE_PUBLISHABLE_KEY.startswith("pk_test_"),
            }
        return super().get_context_data(stripe_elements=elements, **kwargs)  # type: ignore[misc]


# What the page says when Stripe could not be asked for a card setup.
SETUP_FAILED = "We could not reach the card processor just now: try again in a moment."


class CardSetupView(LoginRequiredMixin, View):
    """
    POST (CSRF-protected, from the page's script): a SetupIntent for the signed-in buyer,
    as JSON ``{"client_secret": …}``, for Stripe.js to confirm the card element with.
    Only with the Stripe gateway (else 404), only for a buyer who may order (a confirmed
    email address, else 403); Stripe refusing or not answering is a 503 with a sentence
    the page shows.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not uses_stripe():
            raise Http404("Cards are taken without Stripe here.")
        buyer = signed_in_user(request)
        if not has_verified_email(buyer):
            return JsonResponse({"error": "Confirm your email address before you pay."}, status=403)
        # Imported here: the Stripe library loads only where the Stripe gateway is used.
        from payments.stripe_gateway import card_setup

        try:
            setup = card_setup(buyer)
        except (GatewayError, PaymentError) as error:
            logger.warning("Card setup for user %s failed: %s", buyer.pk, error)
            return JsonResponse({"error": SETUP_FAILED}, status=503)
        return JsonResponse({"client_secret": setup.client_secret})
