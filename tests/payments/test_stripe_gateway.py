"""
The Stripe gateway against localstripe, a stateful fake Stripe server (tests/localstripe.py).

What localstripe cannot show (Stripe's decline codes other than its one declining card,
idempotent replays, search, rate limits) is covered in test_stripe_payloads.py with
answers copied from Stripe's API reference.
"""

from decimal import Decimal

import pytest
import requests

from payments.gateway import CardDeclined, GatewayError, GatewayTimeout, get_gateway
from payments.models import StripeCall, StripeCharge, StripeIntent
from payments.stripe_gateway import StripeGateway, client, portal_key
from tests import localstripe as keys

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_gateway")]

VISA = "pm_card_visa"
DECLINING = "pm_card_chargeCustomerFail"  # localstripe's one card whose charge is declined


def authorize(amount="100.00", method=VISA, key="authorize:1"):
    return get_gateway().authorize(
        amount=Decimal(amount), payment_method=method, idempotency_key=key
    )


def intent_at_stripe(reference):
    return client().v1.payment_intents.retrieve(reference)


def three_d_secure_card():
    """A payment method of Stripe's test card that always asks for 3-D Secure."""
    card = {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return client().v1.payment_methods.create(params={"type": "card", "card": card}).id


def authenticate(localstripe, reference, *, success):
    """What localstripe's Stripe.js does when the buyer answers the 3-D Secure window."""
    secret = intent_at_stripe(reference).client_secret
    answer = requests.post(
        f"{localstripe.url}/v1/payment_intents/{reference}/_authenticate",
        params={"success": "true" if success else "false"},
        json={"key": keys.PUBLISHABLE_KEY, "client_secret": secret},
        timeout=5,
    )
    answer.raise_for_status()


def test_the_setting_names_the_stripe_gateway():
    assert isinstance(get_gateway(), StripeGateway)


def test_authorize_holds_the_amount_on_a_manual_capture_intent():
    result = authorize("123.45")

    assert result.status == "authorized" and result.amount == Decimal("123.45")
    intent = intent_at_stripe(result.reference)
    assert (intent.status, intent.amount, intent.capture_method) == (
        "requires_capture",
        12345,
        "manual",
    )
    ledger = StripeCharge.objects.get(reference=result.reference)
    assert (ledger.amount_authorized, ledger.live_intent) == (Decimal("123.45"), result.reference)


def test_the_same_key_replays_the_authorization_without_a_second_intent():
    first = authorize(key="authorize:same")
    again = authorize(key="authorize:same")

    assert again == first
    assert StripeCharge.objects.count() == 1


def test_a_declined_card_is_a_decline_and_is_replayed():
    with pytest.raises(CardDeclined) as declined:
        authorize(method=DECLINING, key="authorize:declined")
    assert declined.value.code == "card_declined"
    assert declined.value.message == "Your card was declined."

    with pytest.raises(CardDeclined):
        authorize(method=DECLINING, key="authorize:declined")
    assert StripeCall.objects.get(key="authorize:declined").response["decline_code"]
    assert not StripeCharge.objects.exists()


def test_a_partial_capture_captures_what_shipped_and_a_later_one_charges_the_card_anew():
    hold = authorize("100.00")
    gateway = get_gateway()

    first = gateway.capture(charge=hold.reference, amount=Decimal("40.00"), idempotency_key="c:1")
    later = gateway.capture(charge=hold.reference, amount=Decimal("60.00"), idempotency_key="c:2")

    assert first.reference == hold.reference and first.status == "captured"
    assert intent_at_stripe(hold.reference).status == "succeeded"
    charged = intent_at_stripe(later.reference)
    assert later.reference != hold.reference
    assert (charged.status, charged.amount) == ("succeeded", 6000)
    ledger = StripeCharge.objects.get(reference=hold.reference)
    assert (ledger.amount_captured, ledger.amount_open, ledger.live_intent) == (
        Decimal("100.00"),
        Decimal("0.00"),
        "",
    )


def test_a_partial_void_keeps_the_hold_until_nothing_is_left_then_cancels_the_intent():
    hold = authorize("100.00")
    gateway = get_gateway()

    gateway.void(charge=hold.reference, amount=Decimal("30.00"), idempotency_key="v:1")
    assert intent_at_stripe(hold.reference).status == "requires_capture"

    gateway.void(charge=hold.reference, amount=Decimal("70.00"), idempotency_key="v:2")
    assert intent_at_stripe(hold.reference).status == "canceled"
    assert StripeIntent.objects.get(intent=hold.reference).status == StripeIntent.Status.CANCELED


def test_capture_after_a_partial_void_takes_only_what_shipped():
    hold = authorize("100.00")
    gateway = get_gateway()
    gateway.void(charge=hold.reference, amount=Decimal("30.00"), idempotency_key="v:1")

    gateway.capture(charge=hold.reference, amount=Decimal("70.00"), idempotency_key="c:1")

    ledger = StripeCharge.objects.get(reference=hold.reference)
    assert (ledger.amount_captured, ledger.amount_voided, ledger.amount_open) == (
        Decimal("70.00"),
        Decimal("30.00"),
        Decimal("0.00"),
    )
    assert StripeIntent.objects.get(intent=hold.reference).amount_captured == Decimal("70.00")


def test_more_than_is_open_or_captured_is_refused_and_nothing_is_recorded():
    hold = authorize("50.00")
    gateway = get_gateway()

    with pytest.raises(GatewayError, match=r"only 50\.00"):
        gateway.capture(charge=hold.reference, amount=Decimal("50.01"), idempotency_key="c:x")
    with pytest.raises(GatewayError, match=r"only 0\.00"):
        gateway.refund(charge=hold.reference, amount=Decimal("1.00"), idempotency_key="r:x")

    assert not StripeCall.objects.filter(key__in=["c:x", "r:x"]).exists()


def test_a_refund_spans_the_intents_that_were_charged_newest_first():
    hold = authorize("100.00")
    gateway = get_gateway()
    gateway.capture(charge=hold.reference, amount=Decimal("40.00"), idempotency_key="c:1")
    later = gateway.capture(charge=hold.reference, amount=Decimal("60.00"), idempotency_key="c:2")

    refund = gateway.refund(charge=hold.reference, amount=Decimal("70.00"), idempotency_key="r:1")

    assert refund.reference.startswith("re_") and refund.amount == Decimal("70.00")
    refunds = client().v1.refunds.list(params={"payment_intent": later.reference}).data
    assert [(r.amount, portal_key(r)) for r in refunds] == [(6000, "r:1")]
    first = StripeIntent.objects.get(intent=hold.reference)
    assert first.amount_refunded == Decimal("10.00")
    assert StripeCharge.objects.get(reference=hold.reference).amount_refunded == Decimal("70.00")


def test_a_repeated_refund_key_replays_and_refunds_nothing_more():
    hold = authorize("20.00")
    gateway = get_gateway()
    gateway.capture(charge=hold.reference, amount=Decimal("20.00"), idempotency_key="c:1")

    first = gateway.refund(charge=hold.reference, amount=Decimal("5.00"), idempotency_key="r:1")
    again = gateway.refund(charge=hold.reference, amount=Decimal("5.00"), idempotency_key="r:1")

    assert again == first
    ours = [
        refund
        for refund in client().v1.refunds.list(params={"payment_intent": hold.reference}).data
        if portal_key(refund)
    ]
    assert len(ours) == 1


def test_three_d_secure_asks_the_browser_then_the_same_key_records_the_hold(localstripe):
    method = three_d_secure_card()

    asked = authorize("80.00", method=method, key="authorize:3ds")
    assert asked.status == "requires_action" and asked.client_secret.startswith(asked.reference)
    assert not StripeCharge.objects.exists()
    assert authorize("80.00", method=method, key="authorize:3ds") == asked

    authenticate(localstripe, asked.reference, success=True)
    done = authorize("80.00", method=method, key="authorize:3ds")

    assert (done.status, done.reference) == ("authorized", asked.reference)
    assert StripeCharge.objects.get(reference=asked.reference).live_intent == asked.reference


def test_three_d_secure_failed_in_the_browser_is_a_decline(localstripe):
    method = three_d_secure_card()
    asked = authorize("80.00", method=method, key="authorize:3ds-fail")

    authenticate(localstripe, asked.reference, success=False)

    with pytest.raises(CardDeclined) as declined:
        authorize("80.00", method=method, key="authorize:3ds-fail")
    assert declined.value.code == "authentication_required"
    assert not StripeCharge.objects.exists()


def test_an_unreachable_stripe_is_a_timeout_and_records_nothing(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
    settings.STRIPE_TIMEOUT_SECONDS = 1
    with pytest.raises(GatewayTimeout):
        authorize(key="authorize:unreachable")
    assert not StripeCall.objects.filter(key="authorize:unreachable").exists()


def test_retrieve_answers_what_a_key_recorded_and_none_for_an_unknown_key():
    hold = authorize("30.00", key="authorize:r")
    gateway = get_gateway()

    assert gateway.retrieve(idempotency_key="authorize:r") == hold
    assert gateway.retrieve(idempotency_key="never-used") is None


def test_a_void_after_the_hold_expired_at_stripe_is_done():
    hold = authorize("50.00")
    client().v1.payment_intents.cancel(hold.reference)

    get_gateway().void(charge=hold.reference, amount=Decimal("50.00"), idempotency_key="v:late")

    ledger = StripeCharge.objects.get(reference=hold.reference)
    assert (ledger.amount_voided, ledger.live_intent) == (Decimal("50.00"), "")


def test_a_later_capture_left_pending_is_settled_by_reconciliation(
    django_capture_on_commit_callbacks,
):
    """
    A later shipment's charge (no live hold) whose call timed out: localstripe has no
    search, so the lookup finds nothing and the capture is executed with its key.
    """
    from payments import services
    from payments.gateway import inject_timeouts
    from payments.models import Payment, PaymentTransaction

    hold = authorize("30.00", key="authorize:later")
    payment = Payment.objects.create(
        amount=Decimal("30.00"),
        payment_method="pm_card_visa",
        card_last4="4242",
        charge_reference=hold.reference,
        status=Payment.Status.AUTHORIZED,
        amount_authorized=Decimal("30.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("10.00"), idempotency_key="capture:1"
        )
    with inject_timeouts(5), django_capture_on_commit_callbacks(execute=True):
        row = services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("5.00"), idempotency_key="capture:2"
        )
    assert PaymentTransaction.objects.get(pk=row.pk).status == "pending"

    settled = services.reconcile_transaction(transaction_id=row.pk)

    assert settled.status == "succeeded"
    assert StripeCharge.objects.get(reference=hold.reference).amount_captured == Decimal("15.00")
