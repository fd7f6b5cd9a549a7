"""
The Stripe gateway against answers copied from Stripe's API reference, for what
localstripe does not do like Stripe: decline codes beyond its one declining card,
rate limits, idempotency errors and replays, and the search that finds an
authorization whose answer was lost. Each test is named for what it stands in for.
"""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import stripe

from payments import stripe_gateway
from payments.gateway import (
    UNEXPLAINED_DECLINE,
    CardDeclined,
    GatewayTimeout,
    IdempotencyConflict,
    decline_reason_for_buyer,
)
from payments.models import StripeCall, StripeCharge, StripeIntent
from payments.stripe_gateway import StripeGateway

pytestmark = pytest.mark.django_db

INTENT = {
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    "object": "payment_intent",
    "amount": 2000,
    "amount_capturable": 2000,
    "amount_received": 0,
    "capture_method": "manual",
    "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
    "confirmation_method": "automatic",
    "currency": "usd",
    "customer": None,
    "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPb",
    "livemode": False,
    "metadata": {"portal_key": "authorize:order:7:0"},
    "payment_method": "pm_1MtwBwLkdIwHu7ixtbLUFBCQ",
    "payment_method_types": ["card"],
    "status": "requires_capture",
}
PAYMENT_METHOD = {
    "id": "pm_1MtwBwLkdIwHu7ixtbLUFBCQ",
    "object": "payment_method",
    "card": {"brand": "visa", "exp_month": 8, "exp_year": 2030, "last4": "4242"},
    "customer": None,
    "type": "card",
}
# https://docs.stripe.com/api/errors and https://docs.stripe.com/declines/codes
INSUFFICIENT_FUNDS = {
    "error": {
        "charge": "ch_3MtwBwLkdIwHu7ix0snN0B15",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card has insufficient funds.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_xyz",
        "type": "card_error",
    }
}
EXPIRED_CARD = {
    "error": {
        "code": "expired_card",
        "doc_url": "https://stripe.com/docs/error-codes/expired-card",
        "message": "Your card has expired.",
        "param": "exp_month",
        "type": "card_error",
    }
}
AUTHENTICATION_REQUIRED = {
    "error": {
        "code": "authentication_required",
        "decline_code": "authentication_required",
        "doc_url": "https://stripe.com/docs/error-codes/authentication-required",
        "message": "Your card was declined. This transaction requires authentication.",
        "type": "card_error",
    }
}
RATE_LIMITED = {
    "error": {
        "code": "rate_limit",
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
        "message": "Too many requests hit the API too quickly. We recommend an exponential "
        "backoff of your requests.",
        "type": "invalid_request_error",
    }
}
IDEMPOTENCY_ERROR = {
    "error": {
        "message": "Keys for idempotent requests can only be used with the same parameters "
        "they were first used with. Try using a key other than 'authorize:order:7:0' if you "
        "meant to execute a different request.",
        "type": "idempotency_error",
    }
}


class StripeAnswers(stripe.HTTPClient):
    """Answers each request with the next of ``answers`` (status, body, headers), and keeps them."""

    name = "copied-payloads"

    def __init__(self, *answers):
        super().__init__()
        self.answers = list(answers)
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        status, body, extra_headers = self.answers.pop(0)
        return json.dumps(body), status, {"request-id": "req_copied", **extra_headers}

    def close(self):
        pass


@pytest.fixture
def answers(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_copied"

    def install(*replies):
        fake = StripeAnswers(*replies)
        monkeypatch.setattr(stripe_gateway, "http_client", lambda: fake)
        return fake

    return install


def authorize(key="authorize:order:7:0"):
    return StripeGateway().authorize(
        amount=Decimal("20.00"), payment_method=PAYMENT_METHOD["id"], idempotency_key=key
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        (EXPIRED_CARD, "expired_card"),
        (AUTHENTICATION_REQUIRED, "authentication_required"),
    ],
)
def test_stripes_documented_declines_are_declines_the_buyer_can_read(answers, payload, code):
    answers((200, PAYMENT_METHOD, {}), (402, payload, {}))

    with pytest.raises(CardDeclined) as declined:
        authorize()

    assert declined.value.code == code
    # Worded for the buyer, not the general sentence for a decline nobody explained.
    assert decline_reason_for_buyer(declined.value.message) != UNEXPLAINED_DECLINE
    assert StripeCall.objects.get().response["decline_code"] == code


def test_a_rate_limit_as_stripe_documents_it_is_a_timeout_retried_with_the_same_key(answers):
    fake = answers((200, PAYMENT_METHOD, {}), (429, RATE_LIMITED, {}))

    with pytest.raises(GatewayTimeout):
        authorize()

    assert not StripeCall.objects.exists()  # nothing recorded: the retry asks again
    assert fake.requests[-1][2]["Idempotency-Key"] == "authorize:order:7:0"


def test_an_idempotency_error_as_stripe_documents_it_is_a_key_conflict(answers):
    answers((200, PAYMENT_METHOD, {}), (400, IDEMPOTENCY_ERROR, {}))

    with pytest.raises(IdempotencyConflict):
        authorize()


def test_an_idempotent_replay_as_stripe_sends_it_records_the_one_intent(answers):
    # The first call's answer was lost; Stripe answers the repeat with the same intent
    # and the Idempotent-Replayed header, and no second hold exists.
    fake = answers((200, PAYMENT_METHOD, {}), (200, INTENT, {"Idempotent-Replayed": "true"}))

    result = authorize()

    assert (result.reference, result.status) == (INTENT["id"], "authorized")
    assert StripeCharge.objects.get().reference == INTENT["id"]
    sent = parse_qs(fake.requests[-1][3])
    assert sent["capture_method"] == ["manual"] and sent["amount"] == ["2000"]


def test_a_lost_authorization_found_by_stripes_search_as_documented(answers):
    search = {
        "object": "search_result",
        "data": [INTENT],
        "has_more": False,
        "next_page": None,
        "url": "/v1/payment_intents/search",
    }
    fake = answers((200, search, {}))

    found = StripeGateway().retrieve(idempotency_key="authorize:order:7:0")

    assert (found.reference, found.amount, found.status) == (
        INTENT["id"],
        Decimal("20.00"),
        "authorized",
    )
    url = urlparse(fake.requests[0][1])
    assert url.path == "/v1/payment_intents/search"
    assert parse_qs(url.query)["query"] == ["metadata['portal_key']:'authorize:order:7:0'"]


def test_a_key_stripes_search_does_not_know_is_not_found(answers):
    answers((200, {"object": "search_result", "data": [], "has_more": False}, {}))

    assert StripeGateway().retrieve(idempotency_key="authorize:order:8:0") is None


# https://docs.stripe.com/error-codes/payment-intent-unexpected-state
CAPTURE_OF_A_CANCELLED_INTENT = {
    "error": {
        "code": "payment_intent_unexpected_state",
        "doc_url": "https://stripe.com/docs/error-codes/payment-intent-unexpected-state",
        "message": "This PaymentIntent could not be captured because it has a status of "
        "canceled. Only a PaymentIntent with one of the following statuses may be captured: "
        "requires_capture.",
        "payment_intent": {**INTENT, "status": "canceled"},
        "type": "invalid_request_error",
    }
}


def test_a_capture_of_a_hold_that_expired_charges_the_saved_card_as_stripe_answers_it(answers):
    """
    localstripe captures a cancelled intent; Stripe refuses to (its documented error), and
    the gateway then charges the saved card with a new intent for what shipped.
    """
    ledger = StripeCharge.objects.create(
        reference=INTENT["id"],
        payment_method=PAYMENT_METHOD["id"],
        live_intent=INTENT["id"],
        amount_authorized=Decimal("20.00"),
    )
    StripeIntent.objects.create(
        charge=ledger, intent=INTENT["id"], amount=Decimal("20.00"), status="holding"
    )
    charged = {**INTENT, "id": "pi_3MtwBwLkdIwHu7ix0later", "amount": 1500, "status": "succeeded"}
    fake = answers(
        (400, CAPTURE_OF_A_CANCELLED_INTENT, {}),
        (200, {**INTENT, "status": "canceled"}, {}),
        (200, charged, {}),
    )

    result = StripeGateway().capture(
        charge=INTENT["id"], amount=Decimal("15.00"), idempotency_key="capture:shipment:1"
    )

    assert (result.reference, result.status) == (charged["id"], "captured")
    sent = parse_qs(fake.requests[-1][3])
    assert (sent["off_session"], sent["amount"]) == (["true"], ["1500"])
    ledger.refresh_from_db()
    assert (ledger.live_intent, ledger.amount_captured) == ("", Decimal("15.00"))
    assert StripeIntent.objects.get(intent=INTENT["id"]).status == "canceled"
