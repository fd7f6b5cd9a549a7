"""
The buyer's return forms: choose items and units, a reason, a note, whether the item was
opened (review), the same again with what the review showed (Confirm), and the carrier and
tracking number of the parcel sent back. They validate input, nothing more: the services
check the rules again under the order's lock.
"""

import re
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

from core.forms import AsciiDecimalField, AsciiIntegerField
from orders.forms import Carrier

from .models import NOTE_MAX_LENGTH, ReturnReason

LINE_FIELD = re.compile(r"^(?:line|qty)_(.+)$")
OPENED_CHOICES = [("yes", "Yes, I opened it"), ("no", "No, it is still sealed")]


def _reason_choices() -> list[tuple[str, str]]:
    return [("", "Choose a reason…")] + [(r.value, r.label) for r in ReturnReason]


class ReturnItemsForm(forms.Form):
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

    def __init__(self, *args, lines, returnable: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = returnable
        self.lines = [line for line in lines if returnable.get(line.pk, 0) > 0]
        self.all_lines = list(lines)
        for line in self.lines:
            units = returnable[line.pk]
            self.fields[f"line_{line.pk}"] = forms.BooleanField(
                label=f"Return “{line.title}”",
                required=False,
                # One item to return: the buyer came to return it, so it starts ticked.
                initial=len(self.lines) == 1,
            )
            self.fields[f"qty_{line.pk}"] = AsciiIntegerField(
                label=f"Quantity of “{line.title}” to return",
                initial=units,
                required=False,
                min_value=1,
                max_value=units,
                help_text=f"{units} can be returned.",
                error_messages={
                    "max_value": f"You can return at most {units} of this item.",
                    "min_value": "Return at least 1, or untick the item.",
                },
            )

    def line_fields(self):
        """(line, units returnable, checkbox, quantity) for the template."""
        return [
            (line, self.returnable[line.pk], self[f"line_{line.pk}"], self[f"qty_{line.pk}"])
            for line in self.lines
        ]

    def clean_opened(self) -> bool:
        return self.cleaned_data["opened"] == "yes"

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean(self):
        cleaned = super().clean()
        if self.is_bound:
            self._check_posted_lines()
        quantities = {}
        for line in self.lines:
            if cleaned.get(f"line_{line.pk}"):
                qty = cleaned.get(f"qty_{line.pk}")
                if qty is None and f"qty_{line.pk}" not in self.errors:
                    self.add_error(f"qty_{line.pk}", "Enter how many to return.")
                elif qty is not None:
                    quantities[line.pk] = qty
        # Every problem at once: no item ticked is said beside a missing reason or note.
        if not quantities and not any(LINE_FIELD.match(name) for name in self.errors):
            self.add_error(None, "Tick at least one item to return.")
        if cleaned.get("reason") == ReturnReason.NOT_AS_DESCRIBED and not cleaned.get("note"):
            self.add_error("note", "Tell the seller what differs from the description.")
        cleaned["quantities"] = quantities
        return cleaned

    def chosen(self) -> list[tuple]:
        """A valid form's choices as (order line, units): what the review page lists."""
        by_id = {line.pk: line for line in self.lines}
        return [(by_id[line_id], qty) for line_id, qty in self.cleaned_data["quantities"].items()]

    def _check_posted_lines(self) -> None:
        """Each posted line once, each one with units left to return."""
        returnable = {str(line.pk) for line in self.lines}
        by_id = {str(line.pk): line for line in self.all_lines}
        for key in self.data:
            match = LINE_FIELD.match(key)
            if not match:
                continue
            line_id = match.group(1)
            if len(self.data.getlist(key)) > 1:  # type: ignore[attr-defined]  # a QueryDict
                raise forms.ValidationError("Each item may appear only once.")
            if line_id in returnable:
                continue
            if line_id in by_id:
                raise forms.ValidationError(f"“{by_id[line_id].title}” has nothing left to return.")
            raise forms.ValidationError("An item you chose is not part of this order.")


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
