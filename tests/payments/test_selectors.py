"""Where a payment's money stands (payments/selectors.py): one reading for every page."""

from decimal import Decimal

import pytest
from django.db.models import prefetch_related_objects

from payments import selectors, services
from payments.models import Payment, PaymentTransaction

from .factories import PendingPaymentFactory

pytestmark = pytest.mark.django_db


def authorized_payment() -> Payment:
    payment = PendingPaymentFactory(amount=Decimal("100.00"))
    return services.authorize_payment(payment_id=payment.pk, idempotency_key=f"auth:{payment.pk}")


def test_a_pending_capture_stays_on_hold_but_is_claimed_from_the_hold():
    """
    Given $100 held with a $30 void and a $50 capture pending, then $70 is on hold (not
    charged yet, not being released) while only $20 is left for another capture or void.
    """
    payment = authorized_payment()
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
    )
    services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("50.00"), idempotency_key="capture:ship:1"
    )

    money = selectors.money_position(Payment.objects.get(pk=payment.pk))

    assert (money.held, money.capturing, money.releasing) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("30.00"),
    )
    assert money.on_hold == Decimal("70.00")
    assert money.unclaimed_hold == Decimal("20.00")
    assert money.refundable == Decimal("0.00")


def test_refundable_is_what_was_charged_less_refunds_done_and_pending():
    """Charged $100, refunded $10 and $15 more pending: $75 may still be refunded."""
    money = selectors.MoneyPosition(
        held=Decimal("0"),
        captured=Decimal("100.00"),
        released=Decimal("0"),
        refunded=Decimal("10.00"),
        capturing=Decimal("0"),
        releasing=Decimal("0"),
        refunding=Decimal("15.00"),
    )

    assert money.refundable == Decimal("75.00")


def test_prefetched_claims_read_the_prefetched_rows_and_never_query(django_assert_num_queries):
    """
    Given a pending void, the prefetched transactions give its claim with no query, and a
    payment whose transactions were not fetched (a list's card) claims nothing.
    """
    payment = authorized_payment()
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
    )
    fetched, listed = Payment.objects.get(pk=payment.pk), Payment.objects.get(pk=payment.pk)
    prefetch_related_objects([fetched], "transactions")

    with django_assert_num_queries(0):
        on_page = selectors.prefetched_claims(fetched)
        on_card = selectors.prefetched_claims(listed)

    assert on_page[PaymentTransaction.Kind.VOID] == Decimal("30.00")
    assert set(on_card.values()) == {Decimal("0")}
