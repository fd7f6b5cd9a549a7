"""
The buyer's return forms (returns/forms.py): bad input is a form error that says what is
wrong, never ignored and never a crash. Built on unsaved lines: a form reads no database.
"""

from decimal import Decimal

import pytest
from django.http import QueryDict

from orders.models import OrderLine
from returns.forms import ConfirmReturnForm, ReturnItemsForm, TrackingForm
from returns.models import ReturnReason

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def lines():
    """A notebook line with 2 units returnable, and a pencil line with none left."""
    notebook = OrderLine(pk=11, title="Blue notebook", unit_price=Decimal("12.50"), quantity=2)
    pencil = OrderLine(pk=12, title="Red pencil", unit_price=Decimal("3.00"), quantity=1)
    return [notebook, pencil]


RETURNABLE = {11: 2, 12: 0}


def form(data, lines, form_class=ReturnItemsForm):
    posted = QueryDict(mutable=True)
    for key, value in data.items():
        posted.setlist(key, value if isinstance(value, list) else [value])
    return form_class(posted, lines=lines, returnable=RETURNABLE)


def valid(**extra):
    return {
        "line_11": "on",
        "qty_11": "1",
        "reason": ReturnReason.DEFECTIVE.value,
        "opened": "yes",
        **extra,
    }


def test_a_valid_choice_gives_the_units_reason_and_opened(lines):
    """One unit of the notebook, defective, opened: what the service is given."""
    chosen = form(valid(note="  Stopped working.  "), lines)

    assert chosen.is_valid(), chosen.errors
    assert chosen.cleaned_data["quantities"] == {11: 1}
    assert chosen.cleaned_data["opened"] is True
    assert chosen.cleaned_data["note"] == "Stopped working."
    assert [(line.title, units) for line, units in chosen.chosen()] == [("Blue notebook", 1)]


def test_only_lines_with_units_left_are_offered(lines):
    """The pencil has nothing left to return: no checkbox, no quantity for it."""
    blank = ReturnItemsForm(lines=lines, returnable=RETURNABLE)

    assert "line_11" in blank.fields and "qty_11" in blank.fields
    assert "line_12" not in blank.fields
    assert blank.fields["qty_11"].initial == 2
    assert blank.fields["line_11"].initial is True  # the only item: ticked to start with


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"line_11": None}, None, "Tick at least one item to return."),
        ({"qty_11": "3"}, "qty_11", "You can return at most 2 of this item."),
        ({"qty_11": "0"}, "qty_11", "Return at least 1, or untick the item."),
        ({"qty_11": "١"}, "qty_11", "Enter a whole number, using the digits 0 to 9."),
        ({"qty_11": ""}, "qty_11", "Enter how many to return."),
        ({"reason": ""}, "reason", "This field is required."),
        ({"reason": "changed_my_mind"}, "reason", "Select a valid choice."),
        ({"opened": None}, "opened", "Say whether you opened the item."),
        ({"opened": "maybe"}, "opened", "Select a valid choice."),
        ({"note": "x" * 501}, "note", "at most 500 characters"),
        (
            {"reason": ReturnReason.NOT_AS_DESCRIBED.value, "note": "   "},
            "note",
            "Tell the seller what differs from the description.",
        ),
    ],
)
def test_bad_input_is_a_form_error_on_its_field(lines, data, field, message):
    """Each bad value is refused with a sentence on the field it concerns."""
    posted = {key: value for key, value in valid(**data).items() if value is not None}

    chosen = form(posted, lines)

    assert not chosen.is_valid()
    assert any(message in error for error in chosen.errors.get(field or "__all__", []))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"line_12": "on", "qty_12": "1"}, "“Red pencil” has nothing left to return."),
        ({"line_99": "on", "qty_99": "1"}, "An item you chose is not part of this order."),
        ({"qty_11": ["1", "2"]}, "Each item may appear only once."),
    ],
)
def test_lines_that_cannot_be_returned_are_refused_not_ignored(lines, extra, message):
    """A line with nothing left, another order's, or a line posted twice: an error."""
    chosen = form(valid(**extra), lines)

    assert not chosen.is_valid()
    assert message in chosen.non_field_errors()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "idempotency_key"),
        ({"idempotency_key": "not-a-key", "expected_refund": "12.50"}, "idempotency_key"),
        ({"idempotency_key": KEY}, "expected_refund"),
        ({"idempotency_key": KEY, "expected_refund": "-1"}, "expected_refund"),
        ({"idempotency_key": KEY, "expected_refund": "12.5.0"}, "expected_refund"),
    ],
)
def test_the_confirm_needs_its_key_and_the_refund_it_showed(lines, extra, field):
    """A Confirm without the review's key or figure (or with a forged one) is refused."""
    confirm = form(valid(**extra), lines, ConfirmReturnForm)

    assert not confirm.is_valid()
    assert field in confirm.errors


def test_the_confirm_carries_the_refund_shown(lines):
    confirm = form(valid(idempotency_key=KEY, expected_refund="12.50"), lines, ConfirmReturnForm)

    assert confirm.is_valid(), confirm.errors
    assert confirm.cleaned_data["expected_refund"] == Decimal("12.50")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"carrier": "", "tracking_number": "1Z999"}, "carrier"),
        ({"carrier": "Pigeon", "tracking_number": "1Z999"}, "carrier"),
        ({"carrier": "UPS", "tracking_number": ""}, "tracking_number"),
        ({"carrier": "UPS", "tracking_number": "1Z"}, "tracking_number"),
        ({"carrier": "UPS", "tracking_number": "1Z 999"}, "tracking_number"),
        ({"carrier": "UPS", "tracking_number": "x" * 41}, "tracking_number"),
    ],
)
def test_the_tracking_form_refuses_bad_carriers_and_numbers(data, field):
    tracking = TrackingForm(data)

    assert not tracking.is_valid()
    assert field in tracking.errors


def test_the_tracking_form_takes_a_carrier_and_number():
    tracking = TrackingForm({"carrier": "USPS", "tracking_number": " 9400111 "})

    assert tracking.is_valid(), tracking.errors
    assert tracking.cleaned_data == {"carrier": "USPS", "tracking_number": "9400111"}
