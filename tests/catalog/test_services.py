"""catalog.services: the only writers of Listing.stock."""

from functools import partial

import pytest

from catalog.models import Listing
from catalog.services import OutOfStock, clear_stock, reserve_stock, restock, update_listing
from orders.models import Order, OrderLine
from orders.services import OrderError, place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory
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
