"""Page queries for listings: each names the relations its page reads."""

from collections.abc import Iterable

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .models import Listing, Seller


def available_listings() -> QuerySet[Listing]:
    """The listings anyone may browse: active ones, with their store."""
    return Listing.objects.available().select_related("seller").order_by("title", "pk")


def listings_with_store() -> QuerySet[Listing]:
    """Any listing a buyer may open (a deactivated one shows as unavailable)."""
    return Listing.objects.select_related("seller")


def listings_by_id(listing_ids: Iterable[int]) -> dict[int, Listing]:
    """The cart's listings, with their store, keyed by id (unknown ids are left out)."""
    return {
        listing.pk: listing
        for listing in Listing.objects.select_related("seller").filter(pk__in=list(listing_ids))
    }


def inventory_for_seller(seller: Seller) -> QuerySet[Listing]:
    """
    Seller Central → Inventory: the seller's own listings, the ones that need the
    seller first (out of stock or deactivated), then by title.
    """
    return (
        Listing.objects.filter(seller=seller)
        .annotate(
            needs_attention=Case(
                When(Q(stock=0) | Q(is_active=False), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("needs_attention", "title", "pk")
    )


def listings_of_seller(seller: Seller) -> QuerySet[Listing]:
    """The seller's own listings: another seller's listing is simply not there (404)."""
    return Listing.objects.filter(seller=seller)
