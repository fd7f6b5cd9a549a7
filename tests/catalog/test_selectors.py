"""The Shop's search, categories and sorts, and listings' first photos (catalog/selectors.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Category, Listing
from catalog.selectors import (
    ShopSort,
    listings_by_id,
    listings_with_store,
    shop_listings,
    with_first_photos,
)
from tests.factories import ListingFactory, ListingPhotoFactory

pytestmark = pytest.mark.django_db


def titles(listings) -> list[str]:
    return [listing.title for listing in listings]


@pytest.fixture
def as_sqlite(monkeypatch):
    """The database answers as SQLite would be asked: the contains-match branch runs."""
    monkeypatch.setattr(connection, "vendor", "sqlite")


# --- Full-text search (PostgreSQL) ------------------------------------------------------------
@pytest.mark.postgres
def test_a_word_in_the_title_ranks_above_the_same_word_in_a_description():
    """
    Given one listing with "fountain pen" in its description and one with it in its
    title, when a buyer searches "fountain pen", then the title's listing comes first,
    though it is the older one (best match is the rank, not the date).
    """
    in_title = ListingFactory(title="Fountain pen", description="Writes smoothly.")
    ListingFactory(title="Leather case", description="Holds a fountain pen and ink.")
    Listing.objects.filter(pk=in_title.pk).update(created_at=timezone.now() - timedelta(days=9))

    found = shop_listings(query="fountain pen")

    assert titles(found) == ["Fountain pen", "Leather case"]


@pytest.mark.postgres
def test_full_text_search_stems_words_and_reads_the_query_as_people_type_it():
    """
    English stemming (a plural finds the singular); websearch syntax: "-word" leaves
    out, a quoted phrase must appear as one; every word is needed.
    """
    ListingFactory(title="Dot grid notebook", description="")
    ListingFactory(title="Lined notebook", description="")
    ListingFactory(title="Grid paper", description="Dot free.")

    assert titles(shop_listings(query="notebooks", sort=ShopSort.PRICE_LOW)) == [
        "Dot grid notebook",
        "Lined notebook",
    ]
    assert titles(shop_listings(query="notebook -lined")) == ["Dot grid notebook"]
    assert titles(shop_listings(query='"dot grid"')) == ["Dot grid notebook"]
    assert titles(shop_listings(query="grid lined")) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query", ['"', "-", "!!", "a & b | (c", "the", "' OR 1=1 --", "😀", "x" * 200]
)
def test_any_text_is_a_search_never_a_syntax_error(query):
    """Quotes, operators, stop words and emoji are searched, never an error: none of them
    finds a notebook."""
    ListingFactory(title="Notebook")

    assert titles(shop_listings(query=query)) == []


@pytest.mark.postgres
def test_the_search_finds_its_matches_through_the_gin_index():
    """
    The migration's index is on the very expression the search filters on: with
    sequential scans off, the plan uses it (an index on another expression would not be).
    """
    ListingFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = shop_listings(query="notebook").explain()

    assert "listing_search_idx" in plan


# --- Contains-match (SQLite) ------------------------------------------------------------------
def test_on_sqlite_every_word_is_matched_in_the_title_or_description(as_sqlite):
    """
    Given SQLite (no full-text search), when a buyer searches, then a listing matches
    when each word is in its title or description, in any case, as part of a word.
    """
    ListingFactory(title="Dot grid NOTEBOOK", description="")
    ListingFactory(title="Sketchbook", description="A notebook for drawing, dot grid.")
    ListingFactory(title="Notebook", description="Lined.")

    assert titles(shop_listings(query="dot note", sort=ShopSort.PRICE_LOW)) == [
        "Dot grid NOTEBOOK",
        "Sketchbook",
    ]
    assert titles(shop_listings(query="book", sort=ShopSort.PRICE_LOW)) == [
        "Dot grid NOTEBOOK",
        "Notebook",
        "Sketchbook",
    ]


def test_on_sqlite_best_match_puts_listings_with_every_word_in_the_title_first(as_sqlite):
    """Without a rank, the best match is: every word in the title first, then the newest."""
    in_title = ListingFactory(title="Blue pen", description="")
    ListingFactory(title="Ink", description="For a blue pen.")
    Listing.objects.filter(pk=in_title.pk).update(created_at=timezone.now() - timedelta(days=9))

    assert titles(shop_listings(query="blue pen")) == ["Blue pen", "Ink"]


# --- Categories, sorts, what is on sale -------------------------------------------------------
@pytest.fixture
def shelf():
    """Three pens of three prices, made a day apart (the cheapest the oldest), and a pad."""
    pens = Category.objects.create(name="Pens", slug="pens")
    now = timezone.now()
    for days, (title, price) in enumerate(
        [("Cheap", "2.00"), ("Middle", "5.00"), ("Dear", "9.00")]
    ):
        listing = ListingFactory(title=title, price=Decimal(price), category=pens)
        Listing.objects.filter(pk=listing.pk).update(created_at=now - timedelta(days=3 - days))
    ListingFactory(title="Pad", price=Decimal("1.00"))
    return pens


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (ShopSort.PRICE_LOW, ["Cheap", "Middle", "Dear"]),
        (ShopSort.PRICE_HIGH, ["Dear", "Middle", "Cheap"]),
        (ShopSort.NEWEST, ["Dear", "Middle", "Cheap"]),
    ],
)
def test_a_category_is_sorted_by_price_or_date(shelf, sort, expected):
    """Within a category, each sort orders the category's listings only."""
    assert titles(shop_listings(category=shelf, sort=sort)) == expected


@pytest.mark.parametrize("sort", [None, "", "best", "relevance", "-created_at; DROP TABLE"])
def test_without_a_search_an_unknown_sort_or_best_match_is_newest_first(shelf, sort):
    """Best match needs a search; anything unknown is the default: newest first."""
    assert ShopSort.clean(sort, searching=False) == ShopSort.NEWEST
    assert titles(shop_listings(category=shelf, sort=sort)) == ["Dear", "Middle", "Cheap"]


def test_with_a_search_the_default_order_is_best_match():
    """A search without a sort (or with an unknown one) is ordered by best match."""
    assert ShopSort.clean(None, searching=True) == ShopSort.BEST_MATCH
    assert ShopSort.clean("nonsense", searching=True) == ShopSort.BEST_MATCH
    assert ShopSort.clean("-price", searching=True) == ShopSort.PRICE_HIGH


def test_listings_off_sale_are_never_found():
    """A deactivated listing is neither browsed nor found, though its title matches."""
    ListingFactory(title="Notebook on sale")
    ListingFactory(title="Notebook withdrawn", is_active=False)

    assert titles(shop_listings()) == ["Notebook on sale"]
    assert titles(shop_listings(query="notebook")) == ["Notebook on sale"]


# --- First photos -----------------------------------------------------------------------------
def test_each_listing_gets_its_first_photo_by_position(django_assert_num_queries):
    """
    Given listings with photos in a chosen order and one without, then each has its
    lowest-positioned photo (or none), the listings and all the photos in two queries.
    """
    first = ListingFactory(title="A")
    second_photo = ListingPhotoFactory(listing=first, position=1)
    first_photo = ListingPhotoFactory(listing=first, position=0)
    other = ListingPhotoFactory(listing=ListingFactory(title="B"), position=5)
    ListingFactory(title="C")

    with django_assert_num_queries(2):
        found = {
            listing.title: listing.first_photos
            for listing in with_first_photos(Listing.objects.all())
        }

    assert found == {"A": [first_photo], "B": [other], "C": []}
    assert second_photo not in found["A"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_shop_reads_listings_stores_and_photos_in_two_queries(count, django_assert_num_queries):
    """A page of the Shop with its stores and first photos: two queries for 3 or 30 listings."""
    for _ in range(count):
        ListingPhotoFactory(listing=ListingFactory())

    with django_assert_num_queries(2):
        listings = list(shop_listings(query="notebook"))
        shown = [(listing.seller.store_name, listing.first_photos[0].pk) for listing in listings]

    assert len(shown) == count


def test_a_listing_page_reads_its_photos_in_order_in_one_query(django_assert_num_queries):
    """The listing, its store and category in one query; all its photos in order in one."""
    listing = ListingFactory(category=Category.objects.create(name="Pens", slug="pens"))
    later = ListingPhotoFactory(listing=listing, position=2)
    earlier = ListingPhotoFactory(listing=listing, position=1)

    with django_assert_num_queries(2):
        found = listings_with_store().get(pk=listing.pk)
        photos = list(found.photos.all())
        names = (found.seller.store_name, found.category.name)

    assert photos == [earlier, later]
    assert names == (listing.seller.store_name, "Pens")


def test_the_carts_listings_come_with_their_first_photo_only_when_asked(
    django_assert_num_queries,
):
    """The cart asks for photos (one more query); adding to the cart does not."""
    photo = ListingPhotoFactory()

    with django_assert_num_queries(2):
        with_photo = listings_by_id([photo.listing_id], with_first_photo=True)
    with django_assert_num_queries(1):
        without = listings_by_id([photo.listing_id])

    assert with_photo[photo.listing_id].first_photos == [photo]
    assert not hasattr(without[photo.listing_id], "first_photos")
