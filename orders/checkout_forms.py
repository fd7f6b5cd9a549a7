"""Forms of the storefront's cart and checkout (validation only: services do the rest)."""

import uuid

from django import forms

from core.countries import COUNTRIES
from core.forms import AsciiIntegerField
from core.money import MAX_QUANTITY_PER_LINE

from .forms import CardNumberMixin
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


class CheckoutForm(CardNumberMixin, forms.Form):
    """
    The address and card of one checkout. ``checkout_token`` is new each time the page
    is rendered and kept by a re-rendered form: posting the same page twice (a
    double-click, the back button) names the same checkout, which orders only once.
    """

    checkout_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            key: "This checkout page is out of date: check your order and place it again."
            for key in ("required", "invalid")
        },
    )
    name = forms.CharField(label="Full name", max_length=100)
    line1 = forms.CharField(label="Address line 1", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    state = forms.CharField(label="State, province or region", max_length=100, required=False)
    postcode = forms.CharField(label="ZIP or postcode", max_length=20)
    country = forms.ChoiceField(choices=COUNTRIES, initial="US")
    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=CardNumberInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        help_text=(
            "Sandbox test cards: 4242 4242 4242 4242 succeeds, "
            "4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, autocomplete in [
            ("name", "name"),
            ("line1", "address-line1"),
            ("line2", "address-line2"),
            ("city", "address-level2"),
            ("state", "address-level1"),
            ("postcode", "postal-code"),
            ("country", "country"),
        ]:
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    @staticmethod
    def new_token() -> uuid.UUID:
        return uuid.uuid4()

    def shipping_address(self) -> ShippingAddress:
        data = self.cleaned_data
        return ShippingAddress(
            name=data["name"],
            line1=data["line1"],
            line2=data["line2"],
            city=data["city"],
            state=data["state"],
            postcode=data["postcode"],
            country=data["country"],
        )
