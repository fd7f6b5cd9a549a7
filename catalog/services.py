"""Stock: the only writers of ``Listing.stock``."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Listing, Seller


class OutOfStock(Exception):
    def __init__(self, listing_id: int):
        super().__init__(f"Listing {listing_id} does not have enough stock.")
        self.listing_id = listing_id


def reserve_stock(*, listing_id: int, quantity: int) -> None:
    """
    Take ``quantity`` units off the shelf, or raise OutOfStock.

    A single conditional UPDATE: the database decides, so two buyers racing for the
    last unit can never both get it. Call it inside the transaction that creates the
    order, so a failed checkout gives the units back.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    updated = Listing.objects.filter(pk=listing_id, is_active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity
    )
    if not updated:
        raise OutOfStock(listing_id)


def restock(*, listing_id: int, quantity: int) -> None:
    """Put cancelled units back on the shelf."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    Listing.objects.filter(pk=listing_id).update(stock=F("stock") + quantity)


def clear_stock(*, listing_id: int) -> None:
    """The seller said the shelf is empty ("No inventory"): believe them."""
    Listing.objects.filter(pk=listing_id).update(stock=0)


@transaction.atomic
def update_listing(
    *,
    listing_id: int,
    seller_id: int,
    stock: int,
    price: Decimal,
    handling_days: int,
    is_active: bool,
) -> Listing:
    """Seller Central → Inventory: the seller's own listing, nobody else's."""
    listing = Listing.objects.select_for_update().get(pk=listing_id, seller_id=seller_id)
    if listing.deactivated_for == Listing.Deactivation.NO_INVENTORY and stock > 0:
        # Taken off sale for want of stock: stock on the shelf is what it waited for.
        is_active = True
    listing.stock = stock
    listing.price = price
    listing.handling_days = handling_days
    listing.is_active = is_active
    if is_active:
        listing.deactivated_reason = ""
        listing.deactivated_for = Listing.Deactivation.NONE
    listing.save()
    return listing


def deactivate_for_no_inventory(*, listing_id: int, reason: str) -> bool:
    """
    Take a listing off sale because its stock kept being wrong, and say why (Inventory
    shows it); ``update_listing`` with stock puts it back. False if it already was off.
    """
    return bool(
        Listing.objects.filter(pk=listing_id, is_active=True).update(
            is_active=False,
            deactivated_reason=reason[:200],
            deactivated_for=Listing.Deactivation.NO_INVENTORY,
            updated_at=timezone.now(),
        )
    )


def close_store(*, seller_id: int) -> None:
    """
    The store's owner closed their account: every listing goes off sale for good and the
    return address, which may be a home, is removed. The rows stay (past orders name the
    store and its listings).
    """
    Listing.objects.filter(seller_id=seller_id, is_active=True).update(
        is_active=False,
        deactivated_reason="The seller closed their account.",
        updated_at=timezone.now(),
    )
    Seller.objects.filter(pk=seller_id).update(
        return_name="",
        return_line1="",
        return_line2="",
        return_city="",
        return_state="",
        return_postcode="",
    )
