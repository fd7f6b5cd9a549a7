"""Resolution Center and admin forms (disputes/forms.py): amounts have the money bound."""

from decimal import Decimal

import pytest

from disputes.forms import OfferForm, ResolveForBuyerForm


@pytest.mark.parametrize("form_class", [OfferForm, ResolveForBuyerForm])
def test_an_amount_of_the_largest_column_is_accepted(form_class):
    """
    Any amount a money column holds (9,999,999,999.99) gets past the form; whether it
    can be refunded is the service's call. A 10-digit field refused 150,000,000.00.
    """
    data = {"kind": "partial", "refund": "partial", "note": "Agreed.", "amount": "9999999999.99"}
    data |= {"refundable_seen": "9999999999.99", "unshipped_seen": "0.00"}  # staff's page figures

    form = form_class(data)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("9999999999.99")


def test_an_amount_past_the_column_is_a_form_error():
    """Thirteen digits are a form error on the amount, never a database error."""
    form = OfferForm({"kind": "partial", "amount": "10000000000.00"})

    assert not form.is_valid()
    assert "amount" in form.errors


@pytest.mark.parametrize(
    ("data", "partial_amount"),
    [
        ({"refund": "full", "amount": "4.20"}, None),
        ({"refund": "partial", "amount": "4.20"}, Decimal("4.20")),
    ],
)
def test_a_decision_refunds_in_full_or_the_partial_amount(data, partial_amount):
    """The full refund ignores any amount typed; the partial one is that amount."""
    form = ResolveForBuyerForm(
        {**data, "note": "n", "refundable_seen": "25.00", "unshipped_seen": "0.00"}
    )

    assert form.is_valid(), form.errors
    assert form.partial_amount == partial_amount
