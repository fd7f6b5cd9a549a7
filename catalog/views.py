"""Seller Central → Inventory (sellers only); buyers shop in the storefront (orders)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.views.generic import FormView, ListView

from . import selectors, services
from .access import SellerRequiredMixin
from .forms import ListingInventoryForm
from .models import Listing


class InventoryView(SellerRequiredMixin, ListView):
    template_name = "catalog/inventory.html"
    context_object_name = "listings"
    paginate_by = 50

    def get_queryset(self):
        return selectors.inventory_for_seller(self.seller)


class InventoryEditView(SellerRequiredMixin, FormView):
    template_name = "catalog/inventory_edit.html"
    form_class = ListingInventoryForm

    @cached_property
    def listing(self) -> Listing:
        # Scoped to the seller: another seller's listing is a 404, not a 403.
        return get_object_or_404(selectors.listings_of_seller(self.seller), pk=self.kwargs["pk"])

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
        messages.success(self.request, f"“{listing.title}” updated.")
        return redirect("catalog:inventory")
