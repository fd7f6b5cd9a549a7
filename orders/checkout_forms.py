"""Forms of the storefront's cart and checkout (validation only: services do the rest)."""

import uuid
from collections.abc import Iterable

from django import forms

from accounts.models import Address
from core.addresses import ADDRESS_FIELDS, AddressFieldsForm
from core.forms import AsciiIntegerField
from core.money import MAX_QUANTITY_PER_LINE

from .forms import CardNumberMixin, StripeCardForm
from .services import ShippingAddress

# Database ids are 64-bit: a bigger number is a form error, never a database error.
MAX_ID = 2**63 - 1


def _listing_field() -> forms.IntegerField:
    unknown = "Sorry, that item is no longer available."
    return forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        widget=forms.HiddenInput,
        error_messages={key: unknown for key in ("required", "invalid", "min_value", "max_value")},
    )


class CartRemoveForm(forms.Form):
    listing = _listing_field()


class CartLineForm(forms.Form):
    """Add to cart, or change a cart line's quantity."""

    listing = _listing_field()
    quantity = AsciiIntegerField(
        min_value=1,
        max_value=MAX_QUANTITY_PER_LINE,
        initial=1,
        error_messages={
            key: f"Enter a quantity from 1 to {MAX_QUANTITY_PER_LINE}."
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )

    def first_error(self) -> str:
        """The message to show the buyer (these forms are posted from other pages)."""
        for field in ("listing", "quantity"):
            if field in self.errors:
                return str(self.errors[field][0])
        return "Something was wrong with that request."


class CardNumberInput(forms.TextInput):
    """A visible card number field that never writes the number back into a page."""

    def format_value(self, value):
        return None


# The "Ship to" choice that means the address typed into the form.
NEW_ADDRESS = "new"


class CheckoutForm(CardNumberMixin, AddressFieldsForm):
    """
    The address and card of one checkout. ``checkout_token`` is new each time the page
    is rendered and kept by a re-rendered form: posting the same page twice (a
    double-click, the back button) names the same checkout, which orders only once.

    A buyer with saved addresses picks one under "Ship to" (the default first) or "A new
    address", whose fields are then required; an id that is not one of theirs is a form
    error. Without saved addresses the new address is the only choice.
    """

    field_order = ["checkout_token", "ship_to", *ADDRESS_FIELDS, "save_address", "card_number"]

    checkout_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            key: "This checkout page is out of date: check your order and place it again."
            for key in ("required", "invalid")
        },
    )
    ship_to = forms.ChoiceField(
        label="Ship to",
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose one of your saved addresses or a new one."},
    )
    save_address = forms.BooleanField(label="Save this address to your account", required=False)
    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=CardNumberInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        help_text=(
            "Sandbox test cards: 4242 4242 4242 4242 succeeds, "
            "4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds."
        ),
    )

    def __init__(self, *args, saved_addresses: Iterable[Address] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_addresses = {str(address.pk): address for address in saved_addresses}
        ship_to = self.fields["ship_to"]
        assert isinstance(ship_to, forms.ChoiceField)  # the ``ship_to`` declared above
        ship_to.choices = [
            *((pk, str(address)) for pk, address in self.saved_addresses.items()),
            (NEW_ADDRESS, "A new address"),
        ]
        if self.saved_addresses:
            # Required only when "A new address" is chosen (clean checks it).
            for name in ADDRESS_FIELDS:
                self.fields[name].required = False
        else:
            self.fields["ship_to"].widget = forms.HiddenInput()

    @staticmethod
    def new_token() -> uuid.UUID:
        return uuid.uuid4()

    def clean(self):
        data = super().clean()
        if self.chosen_address() is not None:
            for name in ADDRESS_FIELDS:  # typed but not used: nothing to correct there
                self.errors.pop(name, None)
        elif self.saved_addresses and "ship_to" not in self.errors:
            required = [
                name for name, field in AddressFieldsForm.base_fields.items() if field.required
            ]
            for name in required:
                if name not in self.errors and not data.get(name):
                    self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    def chosen_address(self) -> Address | None:
        """The saved address chosen under "Ship to"; None for a new one."""
        return self.saved_addresses.get(self.cleaned_data.get("ship_to") or NEW_ADDRESS)

    def shipping_address(self) -> ShippingAddress:
        saved = self.chosen_address()
        if saved is not None:
            return ShippingAddress(**{name: getattr(saved, name) for name in ADDRESS_FIELDS})
        return ShippingAddress(**self.address_data())


class StripeCheckoutForm(StripeCardForm, CheckoutForm):
    """
    Checkout with the Stripe gateway: the card through Stripe Elements (the payment
    method Stripe set up, never a card number), the rest as ``CheckoutForm``.
    """

    field_order = [*CheckoutForm.field_order, "payment_method"]

    card_number = None  # type: ignore[assignment]  # the card element takes the card
