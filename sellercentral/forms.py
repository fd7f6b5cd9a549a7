"""
Seller Central's forms for a buyer's return: Close (a reason and a note the buyer reads)
and Mark received (the item's condition and the refund: full, or less a restocking fee
up to what the rules allow for this return). The buyer's forms are ``returns.forms``.
"""

from decimal import Decimal

from django import forms
from django.db.models import TextChoices

from core.formatting import money
from core.forms import AsciiDecimalField
from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from returns.models import NOTE_MAX_LENGTH, SELLER_CLOSE_REASONS, CloseReason, ItemCondition


class CloseReturnForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why you close it",
        choices=[(reason.value, CloseReason(reason).label) for reason in SELLER_CLOSE_REASONS],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why you close the return.",
            "invalid_choice": "Choose one of the reasons offered.",
        },
    )
    note = forms.CharField(
        label="Note for the buyer",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "The buyer reads this, for example the date the return window ended. "
            f"At most {NOTE_MAX_LENGTH} characters."
        ),
        error_messages={"required": "Tell the buyer why you close the return."},
    )

    def clean_note(self) -> str:
        note: str = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("Tell the buyer why you close the return.")
        return note


class Refund(TextChoices):
    FULL = "full", "Full refund"
    LESS_FEE = "fee", "Refund less a restocking fee"


class ReceiveReturnForm(forms.Form):
    """
    The item's condition and the refund. A restocking fee is offered only when the
    rules allow one (``max_fee`` above 0); more than ``max_fee`` is an error here, and
    the service refuses it again under its lock.
    """

    condition = forms.ChoiceField(
        label="The item's condition",
        choices=ItemCondition.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the condition the item came back in."},
    )
    refund = forms.ChoiceField(
        label="Refund",
        choices=Refund.choices,
        widget=forms.RadioSelect,
        initial=Refund.FULL,
        error_messages={"required": "Choose the refund."},
    )
    restocking_fee = AsciiDecimalField(
        label="Restocking fee",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args, max_fee: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_fee = max_fee
        if max_fee > 0:
            self.fields[
                "restocking_fee"
            ].help_text = f"In dollars and cents, at most {money(max_fee)} (see above)."
        else:  # no fee allowed: the refund is full, nothing to choose
            del self.fields["refund"]
            del self.fields["restocking_fee"]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("refund") != Refund.LESS_FEE or "restocking_fee" in self.errors:
            return cleaned
        fee = cleaned.get("restocking_fee")
        if fee is None:
            self.add_error("restocking_fee", "Enter the restocking fee, or choose a full refund.")
        elif fee > self.max_fee:
            self.add_error(
                "restocking_fee",
                f"The restocking fee can be at most {money(self.max_fee)} for this return.",
            )
        return cleaned

    def fee(self) -> Decimal:
        """The fee to deduct: 0 for a full refund."""
        if self.cleaned_data.get("refund") == Refund.LESS_FEE:
            fee: Decimal = self.cleaned_data["restocking_fee"]
            return fee
        return Decimal("0.00")
