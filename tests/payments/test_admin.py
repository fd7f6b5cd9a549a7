"""Staff can look at money rows in admin but never write them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services

from .factories import PendingPaymentFactory

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


@pytest.mark.parametrize(
    "model", ["payment", "paymenttransaction", "sandboxcharge", "sandboxidempotencykey"]
)
def test_money_rows_cannot_be_added_from_admin(admin_client, model):
    """Even a superuser gets no add form for a money row."""
    response = admin_client.get(reverse(f"admin:payments_{model}_add"))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "model", ["payment", "paymenttransaction", "sandboxcharge", "sandboxidempotencykey"]
)
def test_money_lists_render_for_staff(admin_client, model):
    """Staff can list every kind of money row."""
    services.authorize_payment(
        payment_id=PendingPaymentFactory().pk, idempotency_key="auth:admin:list"
    )

    response = admin_client.get(reverse(f"admin:payments_{model}_changelist"))

    assert response.status_code == 200
