"""Resolution Center and admin forms: they validate input; the services decide."""

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.db.models import TextChoices

from core.forms import AsciiDecimalField, AsciiIntegerField
from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

from .models import BODY_MAX_LENGTH, Dispute
from .selectors import MoneySeen, MoneySummary

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
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=2,
        help_text=AMOUNT_HELP,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )


class OpenCaseForm(forms.Form):
    """
    Offers only the reasons that apply to the order now (``rules.why_not``), none
    chosen beforehand: the buyer picks what went wrong. The service asks again.
    """

    reason = forms.ChoiceField(
        label="What went wrong?",
        choices=(),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what went wrong.",
            "invalid_choice": "Choose one of the reasons offered above.",
        },
    )
    description = _text(
        "Describe the problem",
        help_text="What happened, and what would put it right. "
        f"The seller reads this. Up to {BODY_MAX_LENGTH} characters.",
    )

    def __init__(self, *args, reasons: Sequence[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        assert isinstance(field, forms.ChoiceField)  # the ``reason`` declared above
        field.choices = [(reason, Dispute.Reason(reason).label) for reason in reasons]


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


def _figure_shown() -> forms.DecimalField:
    """A money figure the page showed, carried back so the service can refuse a stale one."""
    return AsciiDecimalField(
        min_value=Decimal("0.00"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        widget=forms.HiddenInput,
    )


class AcceptOfferForm(forms.Form):
    """The offer the buyer saw, as the page showed it: the service refuses any other."""

    offer = AsciiIntegerField(min_value=0, widget=forms.HiddenInput)
    refund = _figure_shown()


# --- Django admin ---------------------------------------------------------------------------
class Refund(TextChoices):
    """How much a decision for the buyer returns: staff choose in the admin."""

    FULL = "full", "Full refund (what has not shipped is cancelled)"
    PARTIAL = "partial", "Partial refund of the amount below"


class ResolveForBuyerForm(forms.Form):
    refund = forms.ChoiceField(
        label="Refund", choices=Refund, widget=forms.RadioSelect, initial=Refund.FULL
    )
    amount = _amount("Partial refund amount", required=False)
    note = _text("Decision note", help_text="Sent to the buyer and the seller.")
    # The figures the page showed, which the decision rests on (``MoneySeen``).
    refundable_seen = _figure_shown()
    unshipped_seen = _figure_shown()

    def clean(self):
        cleaned = super().clean()
        partial = cleaned.get("refund") == Refund.PARTIAL
        if partial and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the amount of the partial refund.")
        return cleaned

    @property
    def partial_amount(self) -> Decimal | None:
        """None for a full refund."""
        if self.cleaned_data["refund"] == Refund.FULL:
            return None
        return self.cleaned_data["amount"]

    @property
    def money_seen(self) -> MoneySeen:
        return MoneySeen(
            refundable=self.cleaned_data["refundable_seen"],
            unshipped=self.cleaned_data["unshipped_seen"],
        )

    @staticmethod
    def initial_for(money: MoneySummary) -> dict:
        return {"refundable_seen": money.refundable, "unshipped_seen": money.unshipped}


class DecisionNoteForm(forms.Form):
    note = _text("Decision note", help_text="Sent to the buyer and the seller.")


class InformationRequestForm(forms.Form):
    note = _text("Question to the seller", help_text="The buyer and the seller both read it.")


class InternalNoteForm(forms.Form):
    note = _text("Internal note", help_text="Staff only: the buyer and the seller never see it.")
