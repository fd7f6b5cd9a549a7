"""
Number fields take the digits 0 to 9 only (core/forms.py), and every form of the
portal with a money, quantity or stock field uses them.
"""

from decimal import Decimal

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict

from cancellations.forms import CancelItemsForm
from catalog.forms import ListingInventoryForm
from core.forms import AsciiDecimalField, AsciiIntegerField
from disputes.forms import OfferForm, ResolveForBuyerForm
from orders.checkout_forms import CartLineForm
from orders.forms import ConfirmShipmentForm
from tests.factories import OrderFactory

# Each is a number to Python's int() or Decimal(), and not what a person meant to type.
NOT_ASCII = [
    "١٢",  # Arabic-Indic digits
    "۱۲",  # Extended Arabic-Indic (Persian) digits
    "１２",  # full-width digits
    "1_0",  # an underscore between digits
    "१२",  # Devanagari digits
]


@pytest.mark.parametrize("value", NOT_ASCII)
def test_the_integer_field_refuses_digits_other_than_0_to_9(value):
    assert int(value)  # Django's IntegerField would take it
    with pytest.raises(forms.ValidationError, match="using the digits 0 to 9"):
        AsciiIntegerField().clean(value)


@pytest.mark.parametrize("value", [*NOT_ASCII, "1_0.50", "١٢.٥٠"])
def test_the_decimal_field_refuses_digits_other_than_0_to_9(value):
    assert Decimal(value)  # Django's DecimalField would take it
    with pytest.raises(forms.ValidationError, match="using the digits 0 to 9"):
        AsciiDecimalField(decimal_places=2).clean(value)


@pytest.mark.parametrize(("value", "number"), [("12", 12), (" 7 ", 7), ("0", 0), (12, 12)])
def test_the_integer_field_takes_ascii_digits(value, number):
    assert AsciiIntegerField().clean(value) == number


@pytest.mark.parametrize(
    ("value", "amount"), [("12.50", "12.50"), ("12", "12"), (".5", "0.5"), ("3.", "3")]
)
def test_the_decimal_field_takes_ascii_digits(value, amount):
    assert AsciiDecimalField(decimal_places=2).clean(value) == Decimal(amount)


def test_bounds_still_speak_for_themselves():
    """A minus sign is ASCII: -1 is refused by the bound, with the bound's message."""
    with pytest.raises(forms.ValidationError, match="Enter 1 or more"):
        AsciiIntegerField(min_value=1).clean("-1")


def _line_forms():
    order = OrderFactory(lines=[(None, 3)])
    line = order.lines.get()
    return [
        (CancelItemsForm, {"lines": [line]}, {f"line_{line.pk}": "on"},
         f"qty_{line.pk}"),
        (ConfirmShipmentForm, {"lines": [line]}, {"carrier": "UPS", "tracking_number": "1Z99"},
         f"line_{line.pk}"),
    ]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["١", "1_0"])
def test_every_money_and_quantity_field_refuses_other_digits(value):
    """
    Given each form with a quantity, stock or amount, when that field holds digits other
    than 0 to 9, then it is an error on that field (so the view changes nothing).
    """
    inventory = {"stock": "5", "price": "1.00", "handling_days": "2"}
    cases = [
        (CartLineForm, {}, {"listing": "1"}, "quantity"),
        (ListingInventoryForm, {}, inventory, "stock"),
        (ListingInventoryForm, {}, inventory, "price"),
        (ListingInventoryForm, {}, inventory, "handling_days"),
        (OfferForm, {}, {"kind": "partial"}, "amount"),
        (ResolveForBuyerForm, {}, {"refund": "partial", "note": "Refund part."}, "amount"),
        *_line_forms(),
    ]  # fmt: skip
    for form_class, kwargs, data, field in cases:
        posted = MultiValueDict({key: [text] for key, text in {**data, field: value}.items()})
        form = form_class(posted, **kwargs)

        assert not form.is_valid(), (form_class.__name__, field)
        assert field in form.errors, (form_class.__name__, field, form.errors)
