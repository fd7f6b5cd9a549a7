"""Staff can look at money rows in admin but never write them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.gateway import SandboxGateway
from payments.models import StripeCharge, StripeEvent, StripeIntent

from .factories import DECLINED, PendingPaymentFactory

pytestmark = pytest.mark.django_db


def test_payment_page_shows_its_transactions_read_only(admin_client):
    """Given an authorized payment, its admin page lists the authorization and offers no save."""
    payment = PendingPaymentFactory(amount=Decimal("42.00"))
    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:admin")

    response = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "auth:admin" in content
    assert 'name="_save"' not in content


MONEY_ROWS = [
    "payment",
    "paymenttransaction",
    "sandboxcharge",
    "sandboxidempotencykey",
    "stripecharge",
    "stripeevent",
]


@pytest.mark.parametrize("model", MONEY_ROWS)
def test_money_rows_cannot_be_added_from_admin(admin_client, model):
    """Even a superuser gets no add form for a money row."""
    response = admin_client.get(reverse(f"admin:payments_{model}_add"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", MONEY_ROWS)
def test_money_lists_render_for_staff(admin_client, model):
    """Staff can list every kind of money row."""
    services.authorize_payment(
        payment_id=PendingPaymentFactory().pk, idempotency_key="auth:admin:list"
    )

    response = admin_client.get(reverse(f"admin:payments_{model}_changelist"))

    assert response.status_code == 200


def failed_capture_and_healthy_payment():
    """A payment whose capture the gateway refused, and one whose capture went through."""
    failed, healthy = (PendingPaymentFactory(amount=Decimal("40.00")) for _ in range(2))
    for payment in (failed, healthy):
        services.authorize_payment(payment_id=payment.pk, idempotency_key=f"auth:{payment.pk}")
    failed.refresh_from_db()
    # The hold vanished at the gateway (expired): the capture will be refused.
    SandboxGateway().void(
        charge=failed.charge_reference, amount=Decimal("40.00"), idempotency_key="expired"
    )
    rows = [
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("40.00"), idempotency_key=f"cap:{payment.pk}"
        )
        for payment in (failed, healthy)
    ]
    for row in rows:
        services.execute_transaction(transaction_id=row.pk)
    return failed, healthy, rows


def test_needs_attention_lists_only_failed_money_moves(admin_client):
    """
    Given one refused capture, one successful capture and a declined authorization, when
    staff filter transactions by "needs attention", then only the refused capture is
    listed (a decline is the card's answer, not staff's work).
    """
    _failed, _healthy, (failed_row, _healthy_row) = failed_capture_and_healthy_payment()
    declined = PendingPaymentFactory(card_number=DECLINED)
    services.authorize_payment(payment_id=declined.pk, idempotency_key="auth:declined")

    response = admin_client.get(
        reverse("admin:payments_paymenttransaction_changelist"), {"attention": "yes"}
    )

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [failed_row.pk]


def test_needs_attention_lists_the_payments_with_a_failed_money_move(admin_client):
    """Given a refused capture, when staff filter payments by "needs attention", it alone shows."""
    failed, _healthy, _rows = failed_capture_and_healthy_payment()

    response = admin_client.get(reverse("admin:payments_payment_changelist"), {"attention": "yes"})

    assert response.status_code == 200
    assert [payment.pk for payment in response.context["cl"].result_list] == [failed.pk]
    assert "needs attention" in response.text.lower()


def test_a_stripe_charge_shows_its_intents_read_only(admin_client):
    """
    Given the Stripe gateway's ledger of a charge captured twice (the hold, then the saved
    card), its admin page lists both intents and offers no save.
    """
    charge = StripeCharge.objects.create(
        reference="pi_hold", payment_method="pm_card_visa", amount_authorized=Decimal("100.00")
    )
    for intent, amount in (("pi_hold", "40.00"), ("pi_later", "60.00")):
        StripeIntent.objects.create(
            charge=charge,
            intent=intent,
            amount=Decimal(amount),
            amount_captured=Decimal(amount),
            status=StripeIntent.Status.CAPTURED,
        )

    response = admin_client.get(reverse("admin:payments_stripecharge_change", args=[charge.pk]))

    assert response.status_code == 200
    assert "pi_later" in response.text
    assert 'name="_save"' not in response.text
    assert 'name="intents-0-amount"' not in response.text


def test_webhook_events_are_listed_with_what_each_did(admin_client):
    StripeEvent.objects.create(
        event_id="evt_1", type="refund.failed", outcome="Refund #3 of payment #2 failed at Stripe"
    )

    response = admin_client.get(reverse("admin:payments_stripeevent_changelist"))

    assert response.status_code == 200
    assert "Refund #3 of payment #2 failed at Stripe" in response.text
