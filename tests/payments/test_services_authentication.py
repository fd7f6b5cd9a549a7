"""
3-D Secure in payments/services.py, with the Stripe gateway against localstripe: an
authorization the bank wants the buyer to confirm records nothing and says so
(AuthenticationRequired); the same key, asked again once they did, records it once.
"""

from decimal import Decimal

import pytest

from payments import services
from payments.cards import Card
from payments.gateway import inject_timeouts
from payments.models import Payment, PaymentTransaction, StripeCall, StripeCharge
from tests.stripe_cards import authenticate, three_d_secure_method

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_gateway")]

KEY = "authorize:order:1:1"


@pytest.fixture
def payment() -> Payment:
    card = Card(three_d_secure_method(), "3155")
    return services.create_payment(amount=Decimal("40.00"), card=card)


def ask(payment: Payment) -> str:
    """Authorize, expecting the bank to want the buyer: the secret the browser confirms with."""
    with pytest.raises(services.AuthenticationRequired) as asked:
        services.authorize_payment(payment_id=payment.pk, idempotency_key=KEY)
    return asked.value.client_secret


def test_an_authorization_the_bank_asks_about_records_nothing(payment):
    """The bank wants the buyer: the payment stays pending, the same key asks the same."""
    secret = ask(payment)

    assert secret.startswith("pi_") and "_secret_" in secret
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert not PaymentTransaction.objects.exists()
    assert not StripeCharge.objects.exists()
    assert ask(payment) == secret
    assert services.authentication_secret(idempotency_key=KEY) == secret


def test_once_the_buyer_confirmed_the_same_key_authorizes_once(payment, stripe_gateway):
    authenticate(stripe_gateway, ask(payment), success=True)

    services.authorize_payment(payment_id=payment.pk, idempotency_key=KEY)
    services.authorize_payment(payment_id=payment.pk, idempotency_key=KEY)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == Decimal("40.00")
    assert payment.transactions.count() == 1
    assert StripeCharge.objects.count() == 1
    assert services.authentication_secret(idempotency_key=KEY) == ""


def test_there_is_no_secret_for_an_unknown_key_or_a_gateway_that_does_not_answer(payment):
    ask(payment)

    assert services.authentication_secret(idempotency_key="never-asked") == ""
    with inject_timeouts(1):
        assert services.authentication_secret(idempotency_key=KEY) == ""


def test_looking_the_secret_up_changes_nothing(payment):
    ask(payment)
    calls = list(StripeCall.objects.values_list("key", "response"))

    services.authentication_secret(idempotency_key=KEY)

    assert list(StripeCall.objects.values_list("key", "response")) == calls
    assert not PaymentTransaction.objects.exists()


def test_recovering_an_authorization_the_buyer_never_confirmed_leaves_it_pending(payment):
    """The unpaid-order job's look-up: still waiting for the buyer, so nothing is recorded."""
    ask(payment)

    recovered = services.recover_authorization(payment_id=payment.pk, idempotency_key=KEY)

    assert recovered.status == Payment.Status.PENDING
    assert not PaymentTransaction.objects.exists()
