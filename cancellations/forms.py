import re

from django import forms

from .models import BUYER_REASONS, Reason
from .rules import BuyerMode
from .services import NOTE_MAX_LENGTH

LINE_FIELD = re.compile(r"^(?:line|qty)_(.+)$")


class CancelItemsForm(forms.Form):
    """
    Your Orders → Cancel Items: a checkbox and a quantity per open line, a reason and
    a note. Built from the order's open lines; anything posted about other lines
    (unknown, another order's, shipped or cancelled) is an error, never ignored.
    """

    reason = forms.ChoiceField(
        label="Reason for cancelling",
        choices=[("", "Choose a reason…")] + [(r.value, r.label) for r in BUYER_REASONS],
    )
    note = forms.CharField(
        label="Note for the seller",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Required for “Other”. At most {NOTE_MAX_LENGTH} characters.",
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_open > 0]
        self.all_line_ids = {str(line.pk): line for line in lines}
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.BooleanField(
                label=f"Cancel “{line.title}”",
                required=False,
                # One item left: the buyer came to cancel it, so it starts ticked.
                initial=len(self.lines) == 1,
            )
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"Quantity of “{line.title}” to cancel",
                initial=line.quantity_open,
                required=False,
                min_value=1,
                max_value=line.quantity_open,
                help_text=f"{line.quantity_open} can be cancelled.",
            )

    def line_fields(self):
        """(line, checkbox, quantity) for the template."""
        return [(line, self[f"line_{line.pk}"], self[f"qty_{line.pk}"]) for line in self.lines]

    def clean(self):
        cleaned = super().clean()
        if self.is_bound:
            self._check_posted_lines()
        quantities = {}
        for line in self.lines:
            if cleaned.get(f"line_{line.pk}"):
                qty = cleaned.get(f"qty_{line.pk}")
                if qty is None and f"qty_{line.pk}" not in self.errors:
                    self.add_error(f"qty_{line.pk}", "Enter how many to cancel.")
                elif qty is not None:
                    quantities[line.pk] = qty
        if not quantities and not self.errors:
            raise forms.ValidationError("Tick at least one item to cancel.")
        if cleaned.get("reason") == Reason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Tell the seller more when the reason is “Other”.")
        cleaned["quantities"] = quantities
        return cleaned

    def _check_posted_lines(self):
        open_ids = {str(line.pk) for line in self.lines}
        for key in self.data:
            match = LINE_FIELD.match(key)
            if not match:
                continue
            line_id = match.group(1)
            if len(self.data.getlist(key)) > 1:
                raise forms.ValidationError("Each item may appear only once.")
            if line_id in open_ids:
                continue
            if line_id in self.all_line_ids:
                title = self.all_line_ids[line_id].title
                raise forms.ValidationError(f"“{title}” has already shipped or been cancelled.")
            raise forms.ValidationError("An item you chose is not part of this order.")


class ConfirmCancellationForm(CancelItemsForm):
    """The review page's Confirm: the same choices, plus what the review promised."""

    mode = forms.ChoiceField(
        choices=[(m.value, m.value) for m in BuyerMode], widget=forms.HiddenInput
    )
    idempotency_key = forms.RegexField(
        regex=r"^[0-9a-f]{32}\Z",
        widget=forms.HiddenInput,
        error_messages={"invalid": "Expired form."},
    )
