"""Refund reconciliation (payments.services.reconcile_transaction, payments/tasks.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from payments import services, tasks
from payments.gateway import GatewayTimeout, get_gateway, inject_timeouts
from payments.models import Payment, PaymentTransaction, SandboxCharge, StripeCharge

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]

Kind, Status = PaymentTransaction.Kind, PaymentTransaction.Status


@pytest.fixture
def stuck_void():
    """An authorized payment with a void queued whose delivery timed out (still pending)."""
    charge = get_gateway().authorize(
        amount=Decimal("30.00"), payment_method="pm_card_visa", idempotency_key="auth:1"
    )
    payment = Payment.objects.create(
        amount=Decimal("30.00"),
        payment_method="pm_card_visa",
        card_last4="4242",
        charge_reference=charge.reference,
        status=Payment.Status.AUTHORIZED,
        amount_authorized=Decimal("30.00"),
    )
    with inject_timeouts(1):
        (row,) = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("10.00"), idempotency_key="cancellation:1"
        )
    PaymentTransaction.objects.filter(pk=row.pk).update(status=Status.PENDING)
    row.refresh_from_db()
    return payment, row


def charge_of(payment):
    """The gateway's own record of the charge: the sandbox's, or the Stripe ledger."""
    model = StripeCharge if settings.PAYMENT_GATEWAY == "stripe" else SandboxCharge
    return model.objects.get(reference=payment.charge_reference)


def age(row, minutes=20):
    PaymentTransaction.objects.filter(pk=row.pk).update(
        created_at=row.created_at - timedelta(minutes=minutes)
    )


def test_a_call_the_gateway_made_is_recorded_from_the_lookup_without_moving_money(stuck_void):
    """The void happened, its answer was lost: found by key, recorded, not repeated."""
    payment, row = stuck_void
    get_gateway().void(
        charge=payment.charge_reference, amount=row.amount, idempotency_key=row.idempotency_key
    )
    assert row.status == Status.PENDING

    services.reconcile_transaction(transaction_id=row.pk)
    services.reconcile_transaction(transaction_id=row.pk)

    row.refresh_from_db()
    payment.refresh_from_db()
    assert row.status == Status.SUCCEEDED
    assert payment.amount_voided == charge_of(payment).amount_voided == Decimal("10.00")


def test_a_call_the_gateway_never_made_is_made_once(stuck_void):
    payment, row = stuck_void
    services.reconcile_transaction(transaction_id=row.pk)
    services.reconcile_transaction(transaction_id=row.pk)
    payment.refresh_from_db()
    assert payment.amount_voided == charge_of(payment).amount_voided == Decimal("10.00")


def test_no_answer_to_the_lookup_leaves_it_pending(stuck_void):
    payment, row = stuck_void
    with inject_timeouts(1), pytest.raises(GatewayTimeout):
        services.reconcile_transaction(transaction_id=row.pk)
    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert charge_of(payment).amount_voided == 0


def test_the_task_settles_only_transactions_pending_past_the_window(stuck_void, settings):
    payment, row = stuck_void
    settings.PAYMENT_RECONCILE_AFTER_MINUTES = 15
    assert tasks.reconcile_pending_transactions_task() == 0  # a delivery may be under way
    age(row)
    assert tasks.reconcile_pending_transactions_task() == 1
    assert tasks.reconcile_pending_transactions_task() == 0
    assert charge_of(payment).amount_voided == Decimal("10.00")


def test_the_command_runs_it_once(capsys):
    call_command("reconcile_payments")
    assert "Transactions settled: 0." in capsys.readouterr().out
