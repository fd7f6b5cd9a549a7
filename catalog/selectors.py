"""Page queries for listings: each names the relations its page reads."""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, models
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression

from .models import Category, Listing, ListingPhoto, Seller


def available_listings() -> QuerySet[Listing]:
    """The listings anyone may browse: active ones, with their store."""
    return Listing.objects.available().select_related("seller").order_by("title", "pk")


def listings_with_store() -> QuerySet[Listing]:
    """
    Any listing a buyer may open (a deactivated one shows as unavailable), with its
    store, its category and all its photos in their order (one query for the photos).
    """
    return Listing.objects.select_related("seller", "category").prefetch_related("photos")


def listings_by_id(
    listing_ids: Iterable[int], *, with_first_photo: bool = False
) -> dict[int, Listing]:
    """
    The cart's listings, with their store, keyed by id (unknown ids are left out); with
    ``with_first_photo``, each one's ``first_photos`` too (``with_first_photos``).
    """
    listings: QuerySet[Listing] = Listing.objects.select_related("seller").filter(
        pk__in=list(listing_ids)
    )
    if with_first_photo:
        listings = with_first_photos(listings)
    return {listing.pk: listing for listing in listings}


# --- Photos -----------------------------------------------------------------------------------
def with_first_photos(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """
    Each listing with ``first_photos``: a list of its first photo, or empty. One query
    for a page of listings, whatever their number (a prefetch of a slice: Django keeps
    one photo per listing with a window function), never one per listing.
    """
    return listings.prefetch_related(
        Prefetch(
            "photos",
            queryset=ListingPhoto.objects.order_by("position", "pk")[:1],
            to_attr="first_photos",
        )
    )


# --- The Shop: search, category, sort (docs/DESIGN.md §18) -------------------------------------
# The longest search the shop takes: a title is at most 200 characters.
MAX_QUERY_LENGTH = 200
# PostgreSQL's text search configuration: English stemming ("notebooks" finds "notebook")
# and stop words. The GIN index (migration 0005) is built on this very expression.
SEARCH_CONFIG = "english"


class ShopSort(models.TextChoices):
    """The Shop's orders. Best match needs a search; without one the Shop is newest first."""

    BEST_MATCH = "best", "Best match"
    PRICE_LOW = "price", "Price: low to high"
    PRICE_HIGH = "-price", "Price: high to low"
    NEWEST = "newest", "Newest first"

    @classmethod
    def clean(cls, sort: str | None, *, searching: bool) -> "ShopSort":
        """The order asked for, or the default for anything unknown (a bookmark, a typo)."""
        if sort in cls.values and (searching or sort != cls.BEST_MATCH):
            return cls(sort)
        return cls.BEST_MATCH if searching else cls.NEWEST


SORT_ORDER = {
    ShopSort.BEST_MATCH: ["-rank", "-created_at", "-pk"],
    ShopSort.PRICE_LOW: ["price", "title", "pk"],
    ShopSort.PRICE_HIGH: ["-price", "title", "pk"],
    ShopSort.NEWEST: ["-created_at", "-pk"],
}


def search_vector() -> CombinedExpression:
    """A listing's words: its title weighted A, above its description, B."""
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "description", weight="B", config=SEARCH_CONFIG
    )


def shop_listings(
    *, query: str = "", category: Category | None = None, sort: str | None = None
) -> QuerySet[Listing]:
    """
    The Shop: listings on sale, with their store and first photo, matching ``query``
    (if any) within ``category`` (if any), in the order ``sort`` names (ShopSort.clean).
    The page makes the same queries for 3 listings as for 3,000: a count, the page, its
    photos.
    """
    listings = available_listings()
    if category is not None:
        listings = listings.filter(category=category)
    query = query.strip()[:MAX_QUERY_LENGTH]
    if query:
        listings = _matching(listings, query)
    order = SORT_ORDER[ShopSort.clean(sort, searching=bool(query))]
    return with_first_photos(listings.order_by(*order))


def _matching(listings: QuerySet[Listing], query: str) -> QuerySet[Listing]:
    """
    The listings ``query`` finds, each with its ``rank`` (higher is better) to order by.

    PostgreSQL: full-text search, as a person types it (``websearch``: words, "a phrase",
    -without, or), ranked by ``ts_rank`` so a word in the title counts above one in the
    description; the GIN index on the same expression finds the matches. Other databases
    (SQLite on a laptop): every word in the title or the description, case-insensitively,
    the listings with every word in their title first.
    """
    if connections[listings.db].vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            listings.alias(search=search_vector())
            .filter(search=search)
            .alias(rank=SearchRank(F("search"), search))
        )
    words = query.split()
    in_title = Q()
    for word in words:
        listings = listings.filter(Q(title__icontains=word) | Q(description__icontains=word))
        in_title &= Q(title__icontains=word)
    return listings.alias(
        rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def shop_categories() -> list[Category]:
    """The Shop's shelves, by name (one query; the search form offers them)."""
    return list(Category.objects.order_by("name"))


def inventory_for_seller(seller: Seller) -> QuerySet[Listing]:
    """
    Seller Central → Inventory: the seller's own listings, the ones that need the
    seller first (out of stock or deactivated), then by title.
    """
    return with_first_photos(
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
    return with_first_photos(Listing.objects.available().filter(seller=seller)).order_by(
        "title", "pk"
    )
