"""Forms of Your Orders and Seller Central's order pages: they validate input, nothing more."""

import re

from django import forms
from django.contrib.auth.models import User
from django.core.validators import RegexValidator
from django.db import models

from core.forms import AsciiIntegerField
from payments.cards import Card, card_from_number, stripe_card
from payments.errors import PaymentError
from payments.gateway import tokenize_card, uses_stripe

from . import services
from .actors import Actor
from .models import MESSAGE_MAX_LENGTH, Order, OrderLine


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Up to {MESSAGE_MAX_LENGTH} characters.",
    )

    def send(self, order: Order, actor: Actor) -> bool:
        """Post the message on ``order`` as ``actor``; a refusal becomes the field's error."""
        if not self.is_valid():
            return False
        try:
            services.post_message(order_id=order.pk, body=self.cleaned_data["body"], actor=actor)
        except services.OrderError as error:
            self.add_error("body", str(error))
            return False
        return True


class CardNumberMixin:
    """A form's ``card_number`` field (the sandbox's), checked like the gateway checks it."""

    cleaned_data: dict
    # The field a refused card's error goes to.
    card_field = "card_number"

    def clean_card_number(self):
        # Checked here so a typo is a field error, before the service records a payment
        # attempt for it; the service checks it again.
        number = self.cleaned_data["card_number"]
        try:
            tokenize_card(number)
        except PaymentError as error:
            raise forms.ValidationError(str(error)) from None
        return number

    def card(self) -> Card:
        """The card given, for the services (once the form is valid)."""
        return card_from_number(self.cleaned_data["card_number"])


class PaymentMethodInput(forms.HiddenInput):
    """
    The payment method the page's script puts in after Stripe set the card up. Never
    written back into a re-rendered page: the card element is empty again, and the
    buyer's next submission sets the card up anew.
    """

    def format_value(self, value):
        return None


class StripeCardForm(forms.Form):
    """
    A card given through Stripe Elements (the Stripe gateway): the card element on the
    page hands the number to Stripe, and the form receives only the payment method
    (pm_…) Stripe set up for this buyer, whose last four digits it reads from Stripe. A
    payment method Stripe does not know, or another customer's, is the field's error.
    """

    card_field = "payment_method"

    payment_method = forms.CharField(
        max_length=255,
        widget=PaymentMethodInput,
        validators=[RegexValidator(r"\Apm_[A-Za-z0-9_]+\Z")],
        error_messages={
            "required": "Enter your card details.",
            "invalid": "Enter your card details again.",
            "max_length": "Enter your card details again.",
        },
    )

    def __init__(self, *args, buyer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.buyer = buyer

    def clean_payment_method(self) -> str:
        payment_method = self.cleaned_data["payment_method"]
        try:
            self._card = stripe_card(payment_method, user=self.buyer)
        except PaymentError as error:
            raise forms.ValidationError(str(error)) from None
        return payment_method

    def card(self) -> Card:
        """The card given, for the services (once the form is valid)."""
        return self._card


class RevisePaymentForm(CardNumberMixin, forms.Form):
    card_number = forms.CharField(
        label="Card number",
        max_length=23,  # 19 digits and the spaces between groups
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )


class StripeRevisePaymentForm(StripeCardForm):
    """ "Revise payment" with the Stripe gateway: the new card through Stripe Elements."""


def revise_payment_form(data=None, *, buyer: User) -> RevisePaymentForm | StripeRevisePaymentForm:
    """The "Revise payment" form of the gateway in force."""
    if uses_stripe():
        return StripeRevisePaymentForm(data, buyer=buyer)
    return RevisePaymentForm(data)


class Carrier(models.TextChoices):
    """The carriers a seller ships with; stored as written in ``Shipment.carrier``."""

    UPS = "UPS", "UPS"
    USPS = "USPS", "USPS"
    FEDEX = "FedEx", "FedEx"
    DHL = "DHL", "DHL"
    OTHER = "Other", "Other"


SHIP_FIELD = re.compile(r"^line_(.*)$")


def check_posted_lines(
    data,
    *,
    field: re.Pattern,
    open_lines,
    all_lines,
    closed: str = "has already shipped or been cancelled",
) -> None:
    """
    The order's line fields as posted (``field`` matches their names, its group the line
    id): each once, each an open line of this order. Anything else is a form error that
    says what is wrong, never ignored: the person would believe it was done. ``closed``
    says why a line of this order is not open.
    """
    open_ids = {str(line.pk) for line in open_lines}
    by_id = {str(line.pk): line for line in all_lines}
    for key in data:
        match = field.match(key)
        if not match:
            continue
        line_id = match.group(1)
        if len(data.getlist(key)) > 1:
            raise forms.ValidationError("Each item may appear only once.")
        if line_id in open_ids:
            continue
        if line_id in by_id:
            title = by_id[line_id].title
            raise forms.ValidationError(f"“{title}” {closed}.")
        raise forms.ValidationError("An item you chose is not part of this order.")


ITEM_FIELD = re.compile(r"^(?:line|qty)_(.+)$")


class ItemUnitsForm(forms.Form):
    """
    A checkbox and a quantity per line with units to act on (``units``: line id → the
    most), for Cancel Items and Return items (``templates/orders/_item_choices.html``).
    ``verb`` and ``done`` name the act in labels and errors, ``units_note`` what the most
    is, ``closed`` why a posted line of this order has none (an error, never ignored).
    A valid form's ``cleaned_data["quantities"]``: line id → units chosen.
    """

    verb = "choose"
    done = "chosen"
    units_note = "left"
    closed = "has nothing left"

    def __init__(self, *args, lines, units: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units
        self.lines = [line for line in lines if units.get(line.pk, 0) > 0]
        self.all_lines = list(lines)
        for line in self.lines:
            most = units[line.pk]
            self.fields[f"line_{line.pk}"] = forms.BooleanField(
                label=f"{self.verb.capitalize()} “{line.title}”",
                required=False,
                # One item: the person came to act on it, so it starts ticked.
                initial=len(self.lines) == 1,
            )
            self.fields[f"qty_{line.pk}"] = AsciiIntegerField(
                label=f"Quantity of “{line.title}” to {self.verb}",
                initial=most,
                required=False,
                min_value=1,
                max_value=most,
                help_text=f"{most} can be {self.done}.",
                error_messages={
                    "max_value": f"You can {self.verb} at most {most} of this item.",
                    "min_value": f"{self.verb.capitalize()} at least 1, or untick the item.",
                },
            )

    def line_fields(self):
        """(line, the most units, checkbox, quantity) for the template."""
        return [
            (line, self.units[line.pk], self[f"line_{line.pk}"], self[f"qty_{line.pk}"])
            for line in self.lines
        ]

    def clean(self):
        cleaned = super().clean()
        if self.is_bound:
            check_posted_lines(
                self.data,
                field=ITEM_FIELD,
                open_lines=self.lines,
                all_lines=self.all_lines,
                closed=self.closed,
            )
        quantities = {}
        for line in self.lines:
            if cleaned.get(f"line_{line.pk}"):
                qty = cleaned.get(f"qty_{line.pk}")
                if qty is None and f"qty_{line.pk}" not in self.errors:
                    self.add_error(f"qty_{line.pk}", f"Enter how many to {self.verb}.")
                elif qty is not None:
                    quantities[line.pk] = qty
        # Every problem at once: no item ticked is said beside a missing reason or note.
        if not quantities and not self.item_errors():
            self.add_error(None, f"Tick at least one item to {self.verb}.")
        cleaned["quantities"] = quantities
        return cleaned

    def item_errors(self) -> bool:
        """Whether a line's checkbox or quantity has an error."""
        return any(ITEM_FIELD.match(name) for name in self.errors)

    def chosen(self) -> list[tuple]:
        """A valid form's choices as (order line, units): what the review pages list."""
        by_id = {line.pk: line for line in self.lines}
        return [(by_id[line_id], qty) for line_id, qty in self.cleaned_data["quantities"].items()]


class ConfirmShipmentForm(forms.Form):
    """
    One quantity per line that still has units to ship, then the carrier and tracking.
    A posted quantity for any other line (another order's, unknown, shipped or
    cancelled) is an error, never ignored: the seller would believe it shipped.
    """

    carrier = forms.ChoiceField(choices=Carrier.choices)
    tracking_number = forms.CharField(
        min_length=4,
        max_length=40,
        validators=[RegexValidator(r"\A[A-Za-z0-9]+\Z", "Use letters and digits only, no spaces.")],
    )

    def __init__(self, *args, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_open]
        self.all_lines = list(lines)
        for line in self.lines:
            self.fields[self.field_name(line)] = AsciiIntegerField(
                label=f"{line.title}: units to ship",
                min_value=0,
                max_value=line.quantity_open,
                initial=line.quantity_open,
                help_text=f"{line.quantity_open} left to ship ({line.quantity} ordered).",
                error_messages={
                    "max_value": f"Only {line.quantity_open} of this item are left to ship.",
                    "min_value": "Enter 0 or more units.",
                },
            )
        self.order_fields([self.field_name(line) for line in self.lines])

    @staticmethod
    def field_name(line: OrderLine) -> str:
        return f"line_{line.pk}"

    def clean(self):
        cleaned = super().clean()
        self._check_posted_lines()
        if not self.errors and not any(self.quantities().values()):
            raise forms.ValidationError("Choose at least one item to ship.")
        return cleaned

    def _check_posted_lines(self):
        check_posted_lines(
            self.data, field=SHIP_FIELD, open_lines=self.lines, all_lines=self.all_lines
        )

    def quantities(self) -> dict[int, int]:
        """Line id → units to ship, for the lines whose quantity validated."""
        return {
            line.pk: self.cleaned_data[self.field_name(line)]
            for line in self.lines
            if self.field_name(line) in self.cleaned_data
        }
