"""Page queries for listings: each names the relations its page reads."""

from collections.abc import Iterable

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from .models import Listing, ListingPhoto, Seller


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
        .prefetch_related(first_photo())
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


def first_photo() -> "Prefetch[str, QuerySet[ListingPhoto], str]":
    """
    Each listing's first photo as ``listing.first_photos`` (a list of one, or empty): one
    query for a whole page of listings, whatever their number of photos.
    """
    return Prefetch(
        "photos",
        queryset=ListingPhoto.objects.order_by("position", "pk")[:1],
        to_attr="first_photos",
    )


def low_stock_count(seller: Seller, *, at_most: int) -> int:
    """How many of the seller's active listings have 1 to ``at_most`` units left."""
    return Listing.objects.filter(
        seller=seller, is_active=True, stock__gt=0, stock__lte=at_most
    ).count()


def photos_of_listing(listing: Listing) -> list[ListingPhoto]:
    """The listing's photos in the order buyers see them."""
    return list(ListingPhoto.objects.filter(listing=listing).order_by("position", "pk"))


def stores() -> QuerySet[Seller]:
    """Every store (a store's page: any store may be looked at)."""
    return Seller.objects.all()


def store_listings(seller: Seller) -> QuerySet[Listing]:
    """A store's page: its listings on sale, by title, each with its first photo."""
    return (
        Listing.objects.available()
        .filter(seller=seller)
        .prefetch_related(first_photo())
        .order_by("title", "pk")
    )
