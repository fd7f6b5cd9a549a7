from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from core.countries import COUNTRIES
from core.forms import AsciiDecimalField, AsciiIntegerField, MultipleFileField
from core.money import MAX_PRICE

from .models import MAX_PHOTOS, Category, Listing, Seller
from .photos import PhotoRefused, prepare_photo
from .quality import DESCRIPTION_AT_LEAST
from .services import (
    STORE_NAME_TAKEN,
    ListingDetails,
    StockChanged,
    StoreDetails,
    TooManyPhotos,
)

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
    # The stock this page showed: checkouts may move it before the seller saves, and the
    # service refuses a changed figure made for the old one (services.StockChanged).
    stock_shown = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, listing: Listing) -> dict:
        return {
            "stock": listing.stock,
            "stock_shown": listing.stock,
            "price": listing.price,
            "handling_days": listing.handling_days,
            "is_active": listing.is_active,
        }


class ListingForm(ListingInventoryForm):
    """Seller Central → Inventory → Add a listing, or Edit: the whole listing and new photos."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            f"At least {DESCRIPTION_AT_LEAST} characters: what it is, its size and "
            "variant, and what is included."
        ),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, empty_label="Choose a category"
    )
    condition = forms.ChoiceField(choices=Listing.Condition.choices, required=False)
    photos = MultipleFileField(
        required=False,
        label="Add photos",
        help_text=(
            f"JPEG, PNG, WebP or GIF; choose several at once. Up to {MAX_PHOTOS} photos "
            "a listing; the first is the one buyers see in lists."
        ),
    )

    field_order = [
        "title",
        "description",
        "category",
        "condition",
        "price",
        "stock",
        "handling_days",
        "is_active",
        "photos",
    ]

    def __init__(self, *args, photo_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.photo_count = photo_count  # the listing's photos already (0 for a new one)
        self.fields["photos"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp,image/gif"

    @classmethod
    def initial_for(cls, listing: Listing) -> dict:
        return {
            **super().initial_for(listing),
            "title": listing.title,
            "description": listing.description,
            "category": listing.category_id,
            "condition": listing.condition,
        }

    def clean_photos(self) -> list:
        """Each chosen file made into a photo, or an error naming every file refused."""
        files = self.cleaned_data["photos"]
        if self.photo_count + len(files) > MAX_PHOTOS:
            raise ValidationError(str(TooManyPhotos(has=self.photo_count, adding=len(files))))
        prepared, refused = [], []
        for file in files:
            try:
                prepared.append(prepare_photo(file))
            except PhotoRefused as why:
                refused.append(ValidationError(f"“{file.name}”: {why}"))
        if refused:
            raise ValidationError(refused)
        return prepared

    def details(self) -> ListingDetails:
        data = self.cleaned_data
        return ListingDetails(
            title=data["title"],
            description=data["description"],
            category=data["category"],
            condition=data["condition"],
            price=data["price"],
            stock=data["stock"],
            handling_days=data["handling_days"],
            is_active=data["is_active"],
            stock_shown=data["stock_shown"],
        )


def refuse_stale_stock(form: ListingInventoryForm, refused: StockChanged) -> None:
    """Show the refusal on the stock field; the page now shows (and carries) today's stock."""
    data = cast(QueryDict, form.data).copy()  # a posted form's data (immutable: copied)
    data["stock_shown"] = str(refused.now)
    form.data = data
    form.add_error("stock", str(refused))


class StoreForm(forms.ModelForm):
    """Start selling, and the store's settings: its name, return address and policies."""

    return_country = forms.ChoiceField(choices=COUNTRIES, initial="US", label="Country")
    default_handling_days = AsciiIntegerField(
        min_value=0,
        max_value=30,
        initial=2,
        label="Default handling days",
        help_text="Business days to ship once an order is placed; each listing may differ.",
    )
    returnless_refund_under = AsciiDecimalField(
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_PRICE,
        label="Refund without asking for the item back under ($)",
        help_text=(
            "Optional. A return worth less than this is refunded at once and the buyer keeps "
            "the item: sending a cheap item back can cost more than it is worth. Leave it "
            "empty to have every item sent back."
        ),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )

    class Meta:
        model = Seller
        fields = [
            "store_name",
            "return_name",
            "return_line1",
            "return_line2",
            "return_city",
            "return_state",
            "return_postcode",
            "return_country",
            "default_handling_days",
            "policies",
            "returnless_refund_under",
        ]
        labels = {"store_name": "Store name"}
        help_texts = {
            "store_name": "Buyers see it on your listings and your store's page.",
            "policies": (
                "Shown on your store's page: how you ship, how buyers reach you, what you "
                "accept back."
            ),
        }
        widgets = {"policies": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Where buyers send items back: the whole address, though old stores may lack it.
        for name in ("return_name", "return_line1", "return_city", "return_postcode"):
            self.fields[name].required = True

    def clean_store_name(self) -> str:
        name = self.cleaned_data["store_name"].strip()
        others = Seller.objects.exclude(pk=self.instance.pk)
        if others.filter(store_name__iexact=name).exists():
            raise ValidationError(STORE_NAME_TAKEN)
        return name

    def details(self) -> StoreDetails:
        return StoreDetails(**{name: self.cleaned_data[name] for name in self.Meta.fields})
