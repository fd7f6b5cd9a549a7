"""The database itself refuses money totals that cannot be true."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments.models import Payment

from .factories import PendingPaymentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "totals",
    [
        {"amount_authorized": Decimal("100.01")},  # more than the order total
        {"amount_refunded": Decimal("1.00")},  # refunded without a capture
        {"amount_captured": Decimal("60.00"), "amount_voided": Decimal("41.00")},
        {"amount_voided": Decimal("-1.00")},
    ],
)
def test_impossible_totals_are_refused(totals):
    """Given 100 authorized, totals that break the money rules cannot be written."""
    payment = PendingPaymentFactory(amount=Decimal("100.00"))
    Payment.objects.filter(pk=payment.pk).update(amount_authorized=Decimal("100.00"))

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(**totals)


@pytest.mark.parametrize(
    ("captured", "voided", "refunded", "status"),
    [
        ("0", "0", "0", Payment.Status.AUTHORIZED),
        ("0", "40", "0", Payment.Status.AUTHORIZED),
        ("0", "100", "0", Payment.Status.VOIDED),
        ("60", "0", "0", Payment.Status.PARTIALLY_CAPTURED),
        ("60", "40", "0", Payment.Status.CAPTURED),
        ("60", "40", "10", Payment.Status.PARTIALLY_REFUNDED),
        ("60", "40", "60", Payment.Status.REFUNDED),
    ],
)
def test_status_follows_from_the_totals(captured, voided, refunded, status):
    """The status says what the totals say, whatever order the money moved in."""
    payment = Payment(amount=Decimal("100"), payment_method="pm_card_visa", card_last4="4242")
    payment.apply(kind="authorize", amount=Decimal("100"), reference="ch_1")
    for kind, amount in (("capture", captured), ("void", voided), ("refund", refunded)):
        if Decimal(amount):
            payment.apply(kind=kind, amount=Decimal(amount))

    assert payment.status == status


@pytest.mark.parametrize("model", ["payment", "sandbox_charge"])
def test_an_exact_settlement_is_accepted_whatever_the_database_adds_with(model):
    """0.10 captured + 0.20 voided of 0.30: SQLite's float sum must not refuse it."""
    from payments.models import SandboxCharge

    totals = {
        "amount_authorized": Decimal("0.30"),
        "amount_captured": Decimal("0.10"),
        "amount_voided": Decimal("0.20"),
        "amount_refunded": Decimal("0.00"),
    }
    if model == "payment":
        row = Payment.objects.create(
            amount=Decimal("0.30"), payment_method="pm_card_visa", card_last4="4242", **totals
        )
    else:
        row = SandboxCharge.objects.create(
            reference="ch_exact", payment_method="pm_card_visa", **totals
        )
    row.refresh_from_db()
    assert row.amount_captured + row.amount_voided == row.amount_authorized
