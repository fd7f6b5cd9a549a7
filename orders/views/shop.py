"""
The storefront's Shop and a listing's page: where a buyer browses before the cart.

They read catalog's listings through ``catalog.selectors`` (a floor below) and sit beside
the cart, so a listing's "Add to cart" names a page of its own app (docs/DESIGN.md §12).
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView

from catalog import selectors
from catalog.models import Listing, Seller

from ..shop_forms import ShopSearchForm


class ShopView(ListView):
    """
    The listings on sale, with their store, price, stock and first photo, 24 to a page:
    all of them, or those a search (``?q=``) finds, within a category (``?category=``),
    in the order the buyer picks (``?sort=``). Nothing changes state: a GET form.
    """

    template_name = "orders/shop.html"
    context_object_name = "listings"
    paginate_by = 24

    def get_queryset(self) -> QuerySet[Listing]:
        self.form = ShopSearchForm(self.request.GET, categories=selectors.shop_categories())
        if not self.form.is_valid():
            return Listing.objects.none()  # the form says why
        search = self.form.cleaned_data
        return selectors.shop_listings(
            query=search["q"], category=search["category"], sort=search["sort"]
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        search = self.form.cleaned_data if self.form.is_valid() else {}
        query = search.get("q", "")
        sort = selectors.ShopSort.clean(search.get("sort"), searching=bool(query))
        return super().get_context_data(
            search_form=self.form,
            search_query=query,
            search_category=search.get("category"),
            sort=sort,
            sorts=[
                (value, label)
                for value, label in selectors.ShopSort.choices
                if query or value != selectors.ShopSort.BEST_MATCH
            ],
            **kwargs,
        )


class ListingView(DetailView):
    """One listing: "Add to cart" for a buyer, "Sign in to buy" for a visitor."""

    template_name = "orders/listing.html"
    context_object_name = "listing"

    def get_queryset(self) -> QuerySet[Listing]:
        return selectors.listings_with_store()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Its seller gets a link to edit it instead of "Add to cart" (nobody buys from
        # themselves: orders.services.place_orders refuses it too).
        return super().get_context_data(
            is_own_listing=self.object.is_sold_by(self.request.user), **kwargs
        )


class StoreView(ListView):
    """A store's page: its name, its policies and its listings on sale, 24 to a page."""

    template_name = "orders/store.html"
    context_object_name = "listings"
    paginate_by = 24

    @cached_property
    def store(self) -> Seller:
        return get_object_or_404(selectors.stores(), pk=self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[Listing]:
        return selectors.store_listings(self.store)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(store=self.store, **kwargs)
