"""Resolution Center and admin forms: they validate input; the services decide."""

from decimal import Decimal

from django import forms

from common.forms import AsciiDecimalField

from .models import BODY_MAX_LENGTH, Dispute

AMOUNT_HELP = "In dollars and cents, at most what can still be refunded (above)."


def _text(label: str, *, help_text: str = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text or f"Up to {BODY_MAX_LENGTH} characters.",
    )


def _amount(label: str, *, required: bool) -> forms.DecimalField:
    return AsciiDecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        help_text=AMOUNT_HELP,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )


class OpenCaseForm(forms.Form):
    reason = forms.ChoiceField(label="What went wrong?", choices=Dispute.Reason.choices)
    description = _text(
        "Describe the problem",
        help_text="What happened, and what would put it right. "
        f"The seller reads this. Up to {BODY_MAX_LENGTH} characters.",
    )


class MessageForm(forms.Form):
    body = _text("Your message", rows=3)


class OfferForm(forms.Form):
    kind = forms.ChoiceField(
        label="Offer",
        choices=Dispute.OfferKind.choices,
        widget=forms.RadioSelect,
        initial=Dispute.OfferKind.PARTIAL,
    )
    amount = _amount("Partial refund amount", required=False)
    message = forms.CharField(
        label="Message to the buyer (optional)",
        required=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        partial = cleaned.get("kind") == Dispute.OfferKind.PARTIAL
        if partial and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the amount of the partial refund.")
        return cleaned


# --- Django admin ---------------------------------------------------------------------------
class ResolveForBuyerForm(forms.Form):
    refund = forms.ChoiceField(
        label="Refund",
        choices=[
            ("full", "Full refund (what has not shipped is cancelled)"),
            ("partial", "Partial refund of the amount below"),
        ],
        widget=forms.RadioSelect,
        initial="full",
    )
    amount = _amount("Partial refund amount", required=False)
    note = _text("Decision note", help_text="Sent to the buyer and the seller.")

    def clean(self):
        cleaned = super().clean()
        partial = cleaned.get("refund") == "partial"
        if partial and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the amount of the partial refund.")
        return cleaned

    @property
    def partial_amount(self) -> Decimal | None:
        """None for a full refund."""
        if self.cleaned_data["refund"] == "full":
            return None
        return self.cleaned_data["amount"]


class DecisionNoteForm(forms.Form):
    note = _text("Decision note", help_text="Sent to the buyer and the seller.")


class InformationRequestForm(forms.Form):
    note = _text("Question to the seller", help_text="The buyer and the seller both read it.")


class InternalNoteForm(forms.Form):
    note = _text("Internal note", help_text="Staff only: the buyer and the seller never see it.")
