from decimal import Decimal

from django import forms

from core.forms import AsciiDecimalField, AsciiIntegerField
from core.money import MAX_PRICE

from .models import Listing

# Far below PositiveIntegerField's limit, far above any real shelf: a typo such as
# 10**20 is a form error, never a database error.
MAX_STOCK = 1_000_000


class ListingInventoryForm(forms.Form):
    """Seller Central → Inventory → Edit: what a seller keeps up to date on a listing."""

    stock = AsciiIntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        help_text="Units on hand, not counting those already ordered.",
    )
    price = AsciiDecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_PRICE,
        help_text=f"In US dollars, at most {MAX_PRICE:,}.",
        error_messages={
            "max_value": f"A price is at most ${MAX_PRICE:,}.",
            "min_value": "A price is at least $0.01.",
        },
    )
    handling_days = AsciiIntegerField(
        min_value=0,
        max_value=30,
        label="Handling days",
        help_text="Business days you need to ship once an order is placed.",
    )
    is_active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="Buyers see and buy only active listings.",
    )

    @classmethod
    def initial_for(cls, listing: Listing) -> dict:
        return {
            "stock": listing.stock,
            "price": listing.price,
            "handling_days": listing.handling_days,
            "is_active": listing.is_active,
        }
