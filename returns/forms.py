"""
The buyer's return forms: choose items and units, a reason, a note, whether the item was
opened (review), the same again with what the review showed (Confirm), and the carrier and
tracking number of the parcel sent back. They validate input, nothing more: the services
check the rules again under the order's lock.
"""

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

from core.forms import AsciiDecimalField
from orders.forms import Carrier, ItemUnitsForm

from .models import NOTE_MAX_LENGTH, ReturnReason

OPENED_CHOICES = [("yes", "Yes, I opened it"), ("no", "No, it is still sealed")]


def _reason_choices() -> list[tuple[str, str]]:
    return [("", "Choose a reason…")] + [(r.value, r.label) for r in ReturnReason]


class ReturnItemsForm(ItemUnitsForm):
    """
    Your Orders → Return items: a checkbox and a quantity per line with units left to
    return, a reason, a note and whether the item was opened. Built from the order's
    returnable units; anything posted about other lines (unknown, another order's, or
    with nothing left to return) is an error, never ignored.
    """

    reason = forms.ChoiceField(label="Reason for returning", choices=_reason_choices)
    note = forms.CharField(
        label="Note for the seller",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Required for “Not as described”. At most {NOTE_MAX_LENGTH} characters.",
    )
    opened = forms.ChoiceField(
        label="Was the item opened?",
        choices=OPENED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you opened the item."},
    )

    verb, done, units_note = "return", "returned", "can be returned"
    closed = "has nothing left to return"

    def __init__(self, *args, lines, returnable: dict[int, int], **kwargs):
        super().__init__(*args, lines=lines, units=returnable, **kwargs)

    def clean_opened(self) -> bool:
        return self.cleaned_data["opened"] == "yes"

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == ReturnReason.NOT_AS_DESCRIBED and not cleaned.get("note"):
            self.add_error("note", "Tell the seller what differs from the description.")
        return cleaned


class ConfirmReturnForm(ReturnItemsForm):
    """
    The review page's Confirm: the same choices, the key of this one review, and the
    refund it promised at least (the service refuses the return if that changed).
    """

    idempotency_key = forms.RegexField(
        regex=r"^[0-9a-f]{32}\Z",
        widget=forms.HiddenInput,
        error_messages={"invalid": "Expired form.", "required": "Expired form."},
    )
    expected_refund = AsciiDecimalField(
        min_value=Decimal("0.00"),
        max_digits=12,
        decimal_places=2,
        widget=forms.HiddenInput,
        error_messages={"required": "Expired form."},
    )


class TrackingForm(forms.Form):
    """The carrier and tracking number of the parcel the buyer sent back."""

    carrier = forms.ChoiceField(
        label="Carrier", choices=[("", "Choose a carrier…"), *Carrier.choices]
    )
    tracking_number = forms.CharField(
        label="Tracking number",
        min_length=4,
        max_length=40,
        validators=[RegexValidator(r"\A[A-Za-z0-9]+\Z", "Use letters and digits only, no spaces.")],
        help_text="As printed on the carrier's receipt: letters and digits.",
    )
