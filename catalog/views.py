"""
Seller Central → Inventory (sellers only): the listings, adding and editing one with its
photos. Buyers shop in the storefront (orders).
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView

from . import selectors, services
from .access import SellerRequiredMixin
from .forms import ListingForm, ListingInventoryForm, refuse_stale_stock
from .models import MAX_PHOTOS, Listing, ListingPhoto
from .quality import quality_checklist


class InventoryView(SellerRequiredMixin, ListView):
    template_name = "catalog/inventory.html"
    context_object_name = "listings"
    paginate_by = 50

    def get_queryset(self):
        return selectors.inventory_for_seller(self.seller)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        low_stock: int = settings.LOW_STOCK
        return super().get_context_data(
            low_stock=low_stock,
            low_stock_count=selectors.low_stock_count(self.seller, at_most=low_stock),
            **kwargs,
        )


class SellersListingMixin(SellerRequiredMixin):
    @cached_property
    def listing(self) -> Listing:
        # Scoped to the seller: another seller's listing is a 404, not a 403.
        return get_object_or_404(selectors.listings_of_seller(self.seller), pk=self.kwargs["pk"])


class InventoryEditView(SellersListingMixin, FormView):
    """Stock, price, handling days and active: what a seller keeps up to date."""

    template_name = "catalog/inventory_edit.html"
    form_class = ListingInventoryForm

    def get_initial(self):
        return ListingInventoryForm.initial_for(self.listing)

    def get_context_data(self, **kwargs):
        return super().get_context_data(listing=self.listing, **kwargs)

    def form_valid(self, form):
        try:
            listing = services.update_listing(
                listing_id=self.listing.pk, seller_id=self.seller.pk, **form.cleaned_data
            )
        except Listing.DoesNotExist:
            raise Http404("No such listing.") from None
        except services.StockChanged as refused:
            refuse_stale_stock(form, refused)
            return self.form_invalid(form)
        messages.success(self.request, f"“{listing.title}” updated.")
        return redirect("catalog:inventory")


class ListingFormView(SellerRequiredMixin, FormView):
    """The listing form's page: the form, the photos so far and the quality checklist."""

    template_name = "catalog/listing_form.html"
    form_class = ListingForm

    @cached_property
    def photos(self) -> list[ListingPhoto]:
        """The listing's photos so far (a new listing has none)."""
        return []

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "photo_count": len(self.photos)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(photos=self.photos, max_photos=MAX_PHOTOS, **kwargs)
        context["checklist"] = checklist_for(context["form"], photo_count=len(self.photos))
        return context


def checklist_for(form: forms.Form, *, photo_count: int) -> list:
    """The checklist of what the form shows: as posted after an error, else as saved."""

    def value(name: str) -> str:
        shown = form[name].value()
        return "" if shown is None else str(shown)

    return quality_checklist(
        description=value("description"),
        photo_count=photo_count,
        condition=value("condition"),
        has_category=bool(value("category")),
    )


class ListingCreateView(ListingFormView):
    def get_initial(self) -> dict[str, Any]:
        # A new listing ships as the store usually does, and is on sale once saved.
        return {"handling_days": self.seller.default_handling_days, "is_active": True}

    def form_valid(self, form: ListingForm) -> HttpResponse:
        listing = services.create_listing(
            seller_id=self.seller.pk, details=form.details(), photos=form.cleaned_data["photos"]
        )
        messages.success(self.request, f"“{listing.title}” listed.")
        return redirect("catalog:listing_edit", listing.pk)


class ListingEditView(SellersListingMixin, ListingFormView):
    @cached_property
    def photos(self) -> list[ListingPhoto]:
        return selectors.photos_of_listing(self.listing)

    def get_initial(self) -> dict[str, Any]:
        return ListingForm.initial_for(self.listing)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(listing=self.listing, **kwargs)

    def form_valid(self, form: ListingForm) -> HttpResponse:
        try:
            listing = services.edit_listing(
                listing_id=self.listing.pk,
                seller_id=self.seller.pk,
                details=form.details(),
                new_photos=form.cleaned_data["photos"],
            )
        except Listing.DoesNotExist:
            raise Http404("No such listing.") from None
        except services.TooManyPhotos as refused:  # photos added in another tab meanwhile
            form.add_error("photos", str(refused))
            return self.form_invalid(form)
        except services.StockChanged as refused:
            refuse_stale_stock(form, refused)
            return self.form_invalid(form)
        messages.success(self.request, f"“{listing.title}” saved.")
        return redirect("catalog:listing_edit", listing.pk)


class PhotoMoveForm(forms.Form):
    offset = forms.TypedChoiceField(choices=[(-1, "Earlier"), (1, "Later")], coerce=int)


class PhotoMoveView(SellerRequiredMixin, View):
    """POST: a photo one place earlier or later (buttons, no JavaScript needed)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = PhotoMoveForm(request.POST)
        if not form.is_valid():  # only a hand-made post: the page's buttons send -1 or 1
            raise BadRequest("Say which way to move the photo.")
        try:
            photo = services.move_photo(
                photo_id=pk, seller_id=self.seller.pk, offset=form.cleaned_data["offset"]
            )
        except ListingPhoto.DoesNotExist:
            raise Http404("No such photo.") from None
        messages.success(request, "Photo moved.")
        return redirect("catalog:listing_edit", photo.listing_id)


class PhotoRemoveView(SellerRequiredMixin, View):
    """POST: a photo taken off its listing (its file stays for the orders that show it)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            listing_id = services.remove_photo(photo_id=pk, seller_id=self.seller.pk)
        except ListingPhoto.DoesNotExist:
            raise Http404("No such photo.") from None
        messages.success(request, "Photo removed.")
        return redirect("catalog:listing_edit", listing_id)
