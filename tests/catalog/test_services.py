"""catalog.services: stores, listings and their photos, and the only writers of Listing.stock."""

from dataclasses import replace
from decimal import Decimal
from functools import partial

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from catalog.models import Category, Listing, ListingPhoto, Seller
from catalog.photos import prepare_photo
from catalog.services import (
    AlreadyHasStore,
    ListingDetails,
    OutOfStock,
    StockChanged,
    StoreDetails,
    StoreRefused,
    TooManyPhotos,
    clear_stock,
    create_listing,
    edit_listing,
    move_photo,
    open_store,
    remove_photo,
    reserve_stock,
    restock,
    update_listing,
    update_store,
)
from orders.models import Order, OrderLine
from orders.services import OrderError, place_orders
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    ListingFactory,
    ListingPhotoFactory,
    SellerFactory,
    UserFactory,
    image_file,
)
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def test_reserve_stock_takes_units_off_the_shelf():
    """Reserving takes exactly the quantity asked for."""
    listing = ListingFactory(stock=5)

    reserve_stock(listing_id=listing.pk, quantity=3)

    listing.refresh_from_db()
    assert listing.stock == 2


def test_reserve_stock_may_take_the_last_unit():
    """The condition is stock >= quantity, so the last units can be sold."""
    listing = ListingFactory(stock=2)

    reserve_stock(listing_id=listing.pk, quantity=2)

    listing.refresh_from_db()
    assert listing.stock == 0


def test_reserve_stock_beyond_the_shelf_raises_and_changes_nothing():
    """Asking for more than is on hand raises OutOfStock; the stock stays as it was."""
    listing = ListingFactory(stock=2)

    with pytest.raises(OutOfStock) as raised:
        reserve_stock(listing_id=listing.pk, quantity=3)

    assert raised.value.listing_id == listing.pk
    listing.refresh_from_db()
    assert listing.stock == 2


def test_reserve_stock_of_a_deactivated_listing_raises():
    """A deactivated listing sells nothing, whatever its stock."""
    listing = ListingFactory(stock=5, is_active=False)

    with pytest.raises(OutOfStock):
        reserve_stock(listing_id=listing.pk, quantity=1)

    listing.refresh_from_db()
    assert listing.stock == 5


def test_reserve_stock_of_an_unknown_listing_raises():
    """An id that names no listing is out of stock, not a crash."""
    with pytest.raises(OutOfStock):
        reserve_stock(listing_id=987654, quantity=1)


@pytest.mark.parametrize("quantity", [0, -1])
def test_reserve_stock_refuses_a_quantity_below_one(quantity):
    """A zero or negative reservation would add stock: it is refused."""
    listing = ListingFactory(stock=5)

    with pytest.raises(ValueError):
        reserve_stock(listing_id=listing.pk, quantity=quantity)

    listing.refresh_from_db()
    assert listing.stock == 5


def test_restock_puts_units_back():
    """Cancelled units go back on the shelf."""
    listing = ListingFactory(stock=1)

    restock(listing_id=listing.pk, quantity=4)

    listing.refresh_from_db()
    assert listing.stock == 5


def test_restock_refuses_a_quantity_below_one():
    """Restocking a negative quantity would take stock away: it is refused."""
    listing = ListingFactory(stock=3)

    with pytest.raises(ValueError):
        restock(listing_id=listing.pk, quantity=-2)

    listing.refresh_from_db()
    assert listing.stock == 3


def test_clear_stock_empties_the_shelf():
    """'No inventory': the seller said the shelf is empty, so stock becomes 0."""
    listing = ListingFactory(stock=7)

    clear_stock(listing_id=listing.pk)

    listing.refresh_from_db()
    assert listing.stock == 0


def test_update_listing_changes_the_sellers_own_listing_and_reactivates_it():
    """Reactivating a listing clears the reason it was deactivated."""
    listing = ListingFactory(stock=0, is_active=False, deactivated_reason="Two 'No inventory'")

    update_listing(
        listing_id=listing.pk,
        seller_id=listing.seller_id,
        stock=8,
        price="12.50",
        handling_days=3,
        is_active=True,
    )

    listing.refresh_from_db()
    assert (listing.stock, str(listing.price), listing.handling_days) == (8, "12.50", 3)
    assert listing.is_active and listing.deactivated_reason == ""


def test_update_listing_of_another_seller_raises_and_changes_nothing():
    """A seller cannot update another seller's listing."""
    listing = ListingFactory(stock=4)
    other = SellerFactory()

    with pytest.raises(Listing.DoesNotExist):
        update_listing(
            listing_id=listing.pk,
            seller_id=other.pk,
            stock=100,
            price="1.00",
            handling_days=1,
            is_active=True,
        )

    listing.refresh_from_db()
    assert listing.stock == 4


def save_six_dollars(listing, *, stock, stock_shown):
    """The seller's inventory edit: a new price of $6.00 and ``stock``, from a page that
    showed ``stock_shown``."""
    update_listing(
        listing_id=listing.pk,
        seller_id=listing.seller_id,
        stock=stock,
        price=Decimal("6.00"),
        handling_days=2,
        is_active=True,
        stock_shown=stock_shown,
    )


def test_update_listing_refuses_a_new_stock_made_for_a_shelf_that_moved():
    """
    Given the seller's page showing 10 units and a buyer then reserving 3, when the seller
    saves 15, then it is refused with both figures and nothing changes: 15 was a count of a
    shelf of 10, and writing it would put the buyer's 3 units back on sale.
    """
    listing = ListingFactory(stock=10, price=Decimal("5.00"))
    reserve_stock(listing_id=listing.pk, quantity=3)

    with pytest.raises(StockChanged, match="changed from 10 to 7"):
        save_six_dollars(listing, stock=15, stock_shown=10)

    listing.refresh_from_db()
    assert (listing.stock, listing.price) == (7, Decimal("5.00"))


def test_update_listing_keeps_what_buyers_did_to_a_stock_the_seller_left_alone():
    """Given the page showing 10 and a buyer reserving 3, when the seller saves a new price
    and the same 10, then the price changes and the stock stays 7 (not back to 10)."""
    listing = ListingFactory(stock=10, price=Decimal("5.00"))
    reserve_stock(listing_id=listing.pk, quantity=3)

    save_six_dollars(listing, stock=10, stock_shown=10)

    listing.refresh_from_db()
    assert (listing.stock, listing.price) == (7, Decimal("6.00"))


def test_edit_listing_refuses_a_stale_stock_too():
    """The full edit asks the same: a stock changed on a page older than a checkout is refused."""
    listing = ListingFactory(stock=4)
    reserve_stock(listing_id=listing.pk, quantity=1)

    with pytest.raises(StockChanged):
        edit_listing(
            listing_id=listing.pk,
            seller_id=listing.seller_id,
            details=listing_details(stock=9, stock_shown=4),
        )

    listing.refresh_from_db()
    assert listing.stock == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_buyers_racing_for_the_last_unit_get_one_order():
    """Two checkouts at once for the last unit: exactly one order, stock 0, never negative."""
    listing = ListingFactory(stock=1)
    buyers = [UserFactory(), UserFactory()]

    def check_out(buyer):
        place_orders(buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD)
        return "placed"

    outcomes = [
        "refused" if isinstance(outcome, OrderError) else outcome
        for outcome in run_together(*(partial(check_out, buyer) for buyer in buyers))
    ]

    assert sorted(outcomes) == ["placed", "refused"]
    assert Order.objects.count() == 1
    assert OrderLine.objects.get().listing_id == listing.pk
    listing.refresh_from_db()
    assert listing.stock == 0


# --- Stores -----------------------------------------------------------------------------------
def store_details(**changes) -> StoreDetails:
    return replace(
        StoreDetails(
            store_name="Paper Moon",
            return_name="Paper Moon returns",
            return_line1="1 Quay Street",
            return_line2="",
            return_city="Dublin",
            return_state="",
            return_postcode="D02 X285",
            return_country="IE",
            default_handling_days=3,
            policies="We ship on weekdays.",
        ),
        **changes,
    )


def test_open_store_makes_the_user_a_seller_with_the_details_given():
    """Opening a store saves its name, return address, handling days and policies."""
    user = UserFactory()

    seller = open_store(user_id=user.pk, details=store_details())

    stored = Seller.objects.get(user=user)
    assert stored.pk == seller.pk
    assert (stored.store_name, stored.return_city, stored.return_country) == (
        "Paper Moon",
        "Dublin",
        "IE",
    )
    assert (stored.default_handling_days, stored.policies) == (3, "We ship on weekdays.")


def test_open_store_twice_is_refused_and_keeps_the_first_store():
    """One store a user: a second is refused, the first stays as it was."""
    user = UserFactory()
    open_store(user_id=user.pk, details=store_details())

    with pytest.raises(AlreadyHasStore):
        open_store(user_id=user.pk, details=store_details(store_name="Another"))

    assert list(Seller.objects.filter(user=user).values_list("store_name", flat=True)) == [
        "Paper Moon"
    ]


def test_open_store_refuses_a_name_taken_in_another_case():
    """'PAPER MOON' is the name of 'Paper Moon': refused on the name, no store made."""
    SellerFactory(store_name="Paper Moon")
    user = UserFactory()

    with pytest.raises(StoreRefused) as refused:
        open_store(user_id=user.pk, details=store_details(store_name="PAPER MOON"))

    assert refused.value.field == "store_name"
    assert not Seller.objects.filter(user=user).exists()


def test_the_database_refuses_a_name_taken_in_another_case():
    """The constraint holds even when the check is skipped (two stores opened at once)."""
    SellerFactory(store_name="Paper Moon")

    with pytest.raises(IntegrityError), transaction.atomic():
        SellerFactory(store_name="paper moon")


def test_update_store_changes_the_details_and_may_keep_its_own_name():
    """A store saved under its own name (in another case) is not 'taken'."""
    seller = SellerFactory(store_name="Paper Moon")

    update_store(
        seller_id=seller.pk, details=store_details(store_name="Paper MOON", policies="New.")
    )

    seller.refresh_from_db()
    assert (seller.store_name, seller.policies) == ("Paper MOON", "New.")


# --- Listings and photos ----------------------------------------------------------------------
def listing_details(**changes) -> ListingDetails:
    return replace(
        ListingDetails(
            title="Dot grid notebook",
            description="A5, 160 pages.",
            category=None,
            condition=Listing.Condition.NEW,
            price=Decimal("12.00"),
            stock=5,
            handling_days=2,
            is_active=True,
        ),
        **changes,
    )


def photo(colour="red"):
    return prepare_photo(image_file(colour=colour))


def test_create_listing_saves_the_listing_and_its_photos_in_order():
    """The photos are numbered in the order given; each has its thumbnail."""
    seller = SellerFactory()
    category = Category.objects.create(name="Stationery", slug="stationery")

    listing = create_listing(
        seller_id=seller.pk,
        details=listing_details(category=category),
        photos=[photo("red"), photo("blue")],
    )

    listing.refresh_from_db()
    assert (listing.seller_id, listing.title, listing.category, listing.stock) == (
        seller.pk,
        "Dot grid notebook",
        category,
        5,
    )
    photos = list(listing.photos.order_by("position"))
    assert [p.position for p in photos] == [0, 1]
    assert all(p.image.name.endswith(".jpg") and p.width == 40 for p in photos)
    assert default_storage.exists(photos[0].thumbnail.name)


def test_create_listing_with_nine_photos_saves_nothing():
    """Over the limit: refused whole, no listing and no photo."""
    seller = SellerFactory()

    with pytest.raises(TooManyPhotos):
        create_listing(seller_id=seller.pk, details=listing_details(), photos=[photo()] * 9)

    assert not Listing.objects.filter(seller=seller).exists()
    assert not ListingPhoto.objects.exists()


def test_edit_listing_adds_photos_after_the_existing_ones():
    """New photos go after the listing's photos; its description changes."""
    listing = ListingFactory()
    ListingPhotoFactory(listing=listing, position=0)

    edit_listing(
        listing_id=listing.pk,
        seller_id=listing.seller_id,
        details=listing_details(title="Renamed", description="Longer."),
        new_photos=[photo()],
    )

    listing.refresh_from_db()
    assert (listing.title, listing.description) == ("Renamed", "Longer.")
    assert list(listing.photos.values_list("position", flat=True)) == [0, 1]


def test_edit_listing_past_eight_photos_changes_nothing():
    """Seven photos and two more: refused under the lock; title and photos as they were."""
    listing = ListingFactory(title="Kept")
    ListingPhotoFactory.create_batch(7, listing=listing)

    with pytest.raises(TooManyPhotos, match="has 7, so add at most 1"):
        edit_listing(
            listing_id=listing.pk,
            seller_id=listing.seller_id,
            details=listing_details(title="Changed"),
            new_photos=[photo(), photo()],
        )

    listing.refresh_from_db()
    assert listing.title == "Kept"
    assert listing.photos.count() == 7


def test_edit_listing_keeps_the_no_inventory_reactivation_rule():
    """Deactivated for 'No inventory', stock above 0 puts it back on sale, as Inventory's edit."""
    listing = ListingFactory(
        stock=0,
        is_active=False,
        deactivated_reason="Two 'No inventory'",
        deactivated_for=Listing.Deactivation.NO_INVENTORY,
    )

    edit_listing(
        listing_id=listing.pk,
        seller_id=listing.seller_id,
        details=listing_details(stock=4, is_active=False),
    )

    listing.refresh_from_db()
    assert (listing.is_active, listing.deactivated_for, listing.deactivated_reason) == (
        True,
        "",
        "",
    )


def test_edit_listing_of_another_seller_raises_and_changes_nothing():
    """Another seller's listing is not found; nothing changes."""
    listing = ListingFactory(title="Kept")

    with pytest.raises(Listing.DoesNotExist):
        edit_listing(
            listing_id=listing.pk,
            seller_id=SellerFactory().pk,
            details=listing_details(title="Changed"),
            new_photos=[photo()],
        )

    listing.refresh_from_db()
    assert listing.title == "Kept" and not listing.photos.exists()


@pytest.mark.parametrize(
    ("moved", "offset", "order"),
    [(0, 1, ["b", "a", "c"]), (2, -1, ["a", "c", "b"]), (0, -1, ["a", "b", "c"])],
)
def test_move_photo_swaps_it_with_its_neighbour(moved, offset, order):
    """A photo moves one place; the first cannot go earlier. Positions stay 0, 1, 2."""
    listing = ListingFactory()
    photos = {
        name: ListingPhotoFactory(listing=listing, position=i) for i, name in enumerate("abc")
    }
    names = {p.pk: name for name, p in photos.items()}

    move_photo(photo_id=photos["abc"[moved]].pk, seller_id=listing.seller_id, offset=offset)

    rows = list(listing.photos.order_by("position").values_list("pk", "position"))
    assert [names[pk] for pk, _ in rows] == order
    assert [position for _, position in rows] == [0, 1, 2]


def test_remove_photo_deletes_the_row_keeps_the_file_and_renumbers():
    """The photo leaves the listing; its file stays for the orders that show it."""
    listing = ListingFactory()
    first, second = ListingPhotoFactory.create_batch(2, listing=listing)
    name = first.image.name

    remove_photo(photo_id=first.pk, seller_id=listing.seller_id)

    assert list(listing.photos.values_list("pk", "position")) == [(second.pk, 0)]
    assert default_storage.exists(name)


@pytest.mark.parametrize("act", ["move", "remove"])
def test_another_sellers_photo_is_not_found_and_stays(act):
    """Moving or removing a photo of another seller's listing raises; nothing changes."""
    photo_row = ListingPhotoFactory(position=0)
    ListingPhotoFactory(listing=photo_row.listing, position=1)
    other = SellerFactory()

    with pytest.raises(ListingPhoto.DoesNotExist):
        if act == "move":
            move_photo(photo_id=photo_row.pk, seller_id=other.pk, offset=1)
        else:
            remove_photo(photo_id=photo_row.pk, seller_id=other.pk)

    photo_row.refresh_from_db()
    assert photo_row.position == 0
