import re

from django import forms

from core.forms import AsciiIntegerField
from orders.forms import ItemUnitsForm

from .models import BUYER_REASONS, NOTE_MAX_LENGTH, SELLER_REASONS, Reason
from .rules import BuyerMode, seller_memo_required


class CancelItemsForm(ItemUnitsForm):
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

    verb, done, units_note = "cancel", "cancelled", "not shipped"
    closed = "has already shipped or been cancelled"

    def __init__(self, *args, lines, **kwargs):
        super().__init__(
            *args, lines=lines, units={line.pk: line.quantity_open for line in lines}, **kwargs
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Reason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Tell the seller more when the reason is “Other”.")
        return cleaned


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


# --- Seller Central -------------------------------------------------------------------------
SELLER_REASON_CHOICES = [("", "Choose a reason…")] + [(r.value, r.label) for r in SELLER_REASONS]
MEMO_HELP = (
    "The buyer reads it on the order page and in the email. Required for “General "
    f"adjustment” and “Pricing error”. At most {NOTE_MAX_LENGTH} characters."
)
IDEMPOTENCY_KEY_FIELD = forms.RegexField(
    regex=r"^[0-9a-f]{32}\Z", widget=forms.HiddenInput, error_messages={"invalid": "Expired form."}
)


def memo_field(label: str, *, rows: int) -> forms.CharField:
    """The seller's memo to the buyer: optional unless the reason asks for one."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=MEMO_HELP,
    )


def _check_memo(form, cleaned):
    reason = cleaned.get("reason")
    if reason and seller_memo_required(reason) and not (cleaned.get("note") or "").strip():
        form.add_error(
            "note", f"Write a memo to the buyer when the reason is “{Reason(reason).label}”."
        )


class SellerCancelForm(CancelItemsForm):
    """
    Seller Central → Cancel order: every open unit is chosen to start with; Cancel items
    (``choose_all=False``): none is, each quantity ready for when it is ticked. While
    the buyer has a pending request, the reason is fixed to "Buyer cancelled" and the
    units the buyer asked about are chosen instead.
    """

    reason = forms.ChoiceField(label="Reason for cancelling", choices=SELLER_REASON_CHOICES)
    note = memo_field("Memo to the buyer", rows=3)

    def __init__(
        self,
        *args,
        lines,
        requested: dict[int, int] | None = None,
        choose_all: bool = True,
        **kwargs,
    ):
        super().__init__(*args, lines=lines, **kwargs)
        self.requested = requested
        for line in self.lines:
            if requested is None:
                ticked, units = choose_all, line.quantity_open
            else:
                units = min(requested.get(line.pk, 0), line.quantity_open)
                ticked = units > 0
            self.fields[f"line_{line.pk}"].initial = ticked
            self.fields[f"line_{line.pk}"].label = f"Cancel “{line.title}”"
            self.fields[f"qty_{line.pk}"].initial = units or None
        if requested is not None:
            reason = self.fields["reason"]
            assert isinstance(reason, forms.ChoiceField)  # the ``reason`` declared above
            reason.choices = [(Reason.BUYER_CANCELLED.value, Reason.BUYER_CANCELLED.label)]
            reason.initial = Reason.BUYER_CANCELLED.value
            reason.help_text = (
                "The buyer asked to cancel: this answers their request and does not count "
                "against your cancellation rate."
            )

    def clean(self):
        cleaned = super().clean()
        _check_memo(self, cleaned)
        items_valid = not self.item_errors()
        if self.requested is not None and items_valid and cleaned["quantities"] != self.requested:
            self.add_error(
                None,
                "The buyer's request is answered whole: cancel exactly the items it asks "
                "for (this approves it), or decline it.",
            )
        return cleaned


class SellerConfirmCancelForm(SellerCancelForm):
    """
    The review page's Confirm: the same choices again, the key of this one review, and
    the buyer's pending request the review showed (blank: none), which the service
    checks is still the one pending.
    """

    idempotency_key = IDEMPOTENCY_KEY_FIELD
    request_seen = AsciiIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class DeclineRequestForm(forms.Form):
    note = forms.CharField(
        label="Why you decline",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "The buyer reads this, for example “already packed, shipping today”. "
            f"At most {NOTE_MAX_LENGTH} characters."
        ),
        error_messages={"required": "Tell the buyer why you decline."},
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("Tell the buyer why you decline.")
        return note


# A page of the order list holds 25; a hand-made post of thousands is refused, not run.
MAX_BULK_ORDERS = 100
ORDER_ID = re.compile(r"^[1-9][0-9]{0,17}\Z")


class OrderIdsField(forms.Field):
    """The ticked orders' ids: positive integers, each once, at most MAX_BULK_ORDERS."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if len(values) > MAX_BULK_ORDERS:
            raise forms.ValidationError(f"Choose at most {MAX_BULK_ORDERS} orders at a time.")
        if not all(isinstance(v, str) and ORDER_ID.match(v) for v in values):
            raise forms.ValidationError("An order you ticked is not one of your orders.")
        return sorted({int(v) for v in values})

    def validate(self, value):
        if not value:
            raise forms.ValidationError("Tick at least one order to cancel.")


class BulkCancelForm(forms.Form):
    """Seller Central → Orders: the ticked orders, one reason and one memo for all."""

    orders = OrderIdsField(label="Orders")
    reason = forms.ChoiceField(label="Reason for cancelling", choices=SELLER_REASON_CHOICES)
    note = memo_field("Memo to the buyers", rows=2)

    def clean(self):
        cleaned = super().clean()
        _check_memo(self, cleaned)
        return cleaned


# A reviewed order's units left to cancel, item by item: "line id:units,line id:units".
OPEN_SEEN = re.compile(r"^[1-9][0-9]{0,17}:[0-9]{1,9}(?:,[1-9][0-9]{0,17}:[0-9]{1,9}){0,99}\Z")


class BulkConfirmCancelForm(BulkCancelForm):
    """
    The bulk review's Confirm: the orders it listed, each with the units it showed left to
    cancel per item (``seen_<order id>``), which the service checks are still those, and
    the key of this one review.
    """

    idempotency_key = IDEMPOTENCY_KEY_FIELD

    def clean(self):
        cleaned = super().clean()
        reviewed = {}
        for order_id in cleaned.get("orders") or []:
            seen = self.data.get(f"seen_{order_id}")
            if not isinstance(seen, str) or not OPEN_SEEN.match(seen):
                raise forms.ValidationError(
                    "This review has expired: tick the orders and review them again."
                )
            pairs = (pair.split(":") for pair in seen.split(","))
            reviewed[order_id] = {int(line_id): int(units) for line_id, units in pairs}
        cleaned["reviewed"] = reviewed
        return cleaned
