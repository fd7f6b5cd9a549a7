"""
Stores and listings: opening a store, writing a listing and its photos, and stock (these
are the only writers of ``Listing.stock``).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.bulk import update_rows

from .models import MAX_PHOTOS, Category, Listing, ListingPhoto, Seller


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


@dataclass(frozen=True)
class ShelfChange:
    """What cancellations do to one listing's stock: ``stock = (0 if cleared) + added``."""

    cleared: bool = False
    added: int = 0

    def then_restock(self, quantity: int) -> "ShelfChange":
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        return ShelfChange(self.cleared, self.added + quantity)

    def then_clear(self) -> "ShelfChange":
        return ShelfChange(cleared=True)


def change_shelves(changes: dict[int, ShelfChange]) -> None:
    """
    ``restock`` and ``clear_stock`` of many listings (listing id → its change) in ONE
    statement, for a batch of cancellations. The listings are locked in id order by the
    statement's subquery, like checkout reserves them: a batch and a checkout lock the
    same listings in the same order and cannot deadlock.
    """
    update_rows(
        Listing,
        [(pk, change.cleared, change.added) for pk, change in sorted(changes.items())],
        set_sql="stock = CASE WHEN v.column2 THEN v.column3 ELSE t.stock + v.column3 END",
        lock_in_id_order=True,
    )


class StockChanged(Exception):
    """The stock moved (an order, a cancellation) since the seller's page showed it."""

    def __init__(self, *, shown: int, now: int):
        super().__init__(
            f"While you were editing, the stock changed from {shown} to {now} (orders or "
            "cancellations). Check the figure and save again."
        )
        self.now = now


@transaction.atomic
def update_listing(
    *,
    listing_id: int,
    seller_id: int,
    stock: int,
    price: Decimal,
    handling_days: int,
    is_active: bool,
    stock_shown: int | None = None,
) -> Listing:
    """
    Seller Central → Inventory: the seller's own listing, nobody else's. ``stock_shown``
    is the stock the seller's page showed (see ``_set_inventory``).
    """
    listing = Listing.objects.select_for_update().get(pk=listing_id, seller_id=seller_id)
    _set_inventory(
        listing,
        stock=stock,
        price=price,
        handling_days=handling_days,
        is_active=is_active,
        stock_shown=stock_shown,
    )
    listing.save()
    return listing


def _set_inventory(
    listing: Listing,
    *,
    stock: int,
    price: Decimal,
    handling_days: int,
    is_active: bool,
    stock_shown: int | None,
) -> None:
    """
    What the seller keeps up to date, on a locked listing (not saved). When checkouts or
    cancellations moved the stock since the page showed ``stock_shown``, a stock the seller
    left alone keeps what they did, and a stock the seller changed is StockChanged: the
    seller's figure was made for a shelf that is no longer there.
    """
    if stock_shown is not None and listing.stock != stock_shown:
        if stock != stock_shown:
            raise StockChanged(shown=stock_shown, now=listing.stock)
        stock = listing.stock
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


# --- Stores -----------------------------------------------------------------------------------
class StoreRefused(Exception):
    """A store cannot be opened or changed so; ``field`` is the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class AlreadyHasStore(StoreRefused):
    def __init__(self) -> None:
        super().__init__("You already have a store.")


STORE_NAME_TAKEN = "A store with this name already exists: choose another."


@dataclass(frozen=True)
class StoreDetails:
    """What a seller tells about their store (Start selling, and the store's settings)."""

    store_name: str
    return_name: str
    return_line1: str
    return_line2: str
    return_city: str
    return_state: str
    return_postcode: str
    return_country: str
    default_handling_days: int
    policies: str
    # Returns worth less than this are refunded without the item coming back (None: off).
    returnless_refund_under: Decimal | None = None


def open_store(*, user_id: int, details: StoreDetails) -> Seller:
    """
    Start selling: the user's store, which opens Seller Central to them. One store a
    user. Whether the user may open one (a confirmed email address) is asked by the
    page, which can read accounts (docs/DESIGN.md §17).
    """
    with transaction.atomic():
        # The user's row, so two clicks of "Open my store" make one store.
        get_user_model().objects.select_for_update().get(pk=user_id)
        if Seller.objects.filter(user_id=user_id).exists():
            raise AlreadyHasStore
        seller = Seller(user_id=user_id, **asdict(details))
        _save_store(seller)
    return seller


def update_store(*, seller_id: int, details: StoreDetails) -> Seller:
    """The store's settings: its name, return address, default handling days and policies."""
    with transaction.atomic():
        seller = Seller.objects.select_for_update().get(pk=seller_id)
        for name, value in asdict(details).items():
            setattr(seller, name, value)
        _save_store(seller)
    return seller


def _save_store(seller: Seller) -> None:
    """
    Save, or StoreRefused when the name is taken, in any case: the database decides
    (a unique constraint on the lower-cased name), so a store opened meanwhile under the
    name the form found free is refused too.
    """
    try:
        with transaction.atomic():  # a savepoint, so the caller's transaction goes on
            seller.save()
    except IntegrityError:
        raise StoreRefused(STORE_NAME_TAKEN, field="store_name") from None


# --- Listings and their photos ----------------------------------------------------------------
class TooManyPhotos(Exception):
    def __init__(self, *, has: int, adding: int):
        room = max(MAX_PHOTOS - has, 0)
        super().__init__(
            f"A listing has at most {MAX_PHOTOS} photos: this one has {has}, "
            f"so add at most {room} (you chose {adding})."
        )


@dataclass(frozen=True)
class ListingDetails:
    """A listing as its seller describes it (Seller Central → Inventory → Add or Edit)."""

    title: str
    description: str
    category: Category | None
    condition: str
    price: Decimal
    stock: int
    handling_days: int
    is_active: bool
    stock_shown: int | None = None  # what the edit page showed (None: a new listing)


def create_listing(
    *, seller_id: int, details: ListingDetails, photos: Sequence["File[bytes]"] = ()
) -> Listing:
    """A new listing with its photos, in the order given; all of it or none of it."""
    if len(photos) > MAX_PHOTOS:
        raise TooManyPhotos(has=0, adding=len(photos))
    with transaction.atomic():
        listing = Listing(seller_id=seller_id)
        _describe(listing, details)
        listing.save()
        _add_photos(listing, photos, first_position=0)
    return listing


def edit_listing(
    *,
    listing_id: int,
    seller_id: int,
    details: ListingDetails,
    new_photos: Sequence["File[bytes]"] = (),
) -> Listing:
    """
    The seller's own listing described anew, ``new_photos`` added after its photos; all
    of it or none of it. Another seller's listing is Listing.DoesNotExist.
    """
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing_id, seller_id=seller_id)
        photos = list(listing.photos.all())
        if len(photos) + len(new_photos) > MAX_PHOTOS:
            raise TooManyPhotos(has=len(photos), adding=len(new_photos))
        _describe(listing, details)
        listing.save()
        next_position = max((photo.position for photo in photos), default=-1) + 1
        _add_photos(listing, new_photos, first_position=next_position)
    return listing


def _describe(listing: Listing, details: ListingDetails) -> None:
    listing.title = details.title
    listing.description = details.description
    listing.category = details.category
    listing.condition = details.condition
    _set_inventory(
        listing,
        stock=details.stock,
        price=details.price,
        handling_days=details.handling_days,
        is_active=details.is_active,
        stock_shown=details.stock_shown,
    )


def _add_photos(listing: Listing, photos: Sequence["File[bytes]"], *, first_position: int) -> None:
    """Photos already checked and re-encoded (catalog.photos.prepare_photo)."""
    for position, image in enumerate(photos, start=first_position):
        # Saving makes the thumbnails too (django-imagekit's Optimistic strategy).
        ListingPhoto.objects.create(listing=listing, image=image, position=position)


def move_photo(*, photo_id: int, seller_id: int, offset: int) -> ListingPhoto:
    """
    A photo one place earlier (``offset`` -1) or later (+1) among its listing's photos;
    the first photo is the one rows and cards show. Another seller's photo is
    ListingPhoto.DoesNotExist.
    """
    with transaction.atomic():
        photos = _locked_photos(photo_id=photo_id, seller_id=seller_id)
        photo = next(p for p in photos if p.pk == photo_id)
        index = photos.index(photo)
        photos.insert(max(0, min(index + offset, len(photos) - 1)), photos.pop(index))
        _renumber(photos)
    return photo


def remove_photo(*, photo_id: int, seller_id: int) -> int:
    """
    Take a photo off its listing. Its file stays: an order line bought with it still
    shows it (docs/DESIGN.md §17). Returns the listing's id.
    """
    with transaction.atomic():
        photos = _locked_photos(photo_id=photo_id, seller_id=seller_id)
        photo = next(p for p in photos if p.pk == photo_id)
        photos.remove(photo)
        photo.delete()
        _renumber(photos)
    return photo.listing_id


def _locked_photos(*, photo_id: int, seller_id: int) -> list[ListingPhoto]:
    """The photo's listing locked (the seller's own, else DoesNotExist), then its photos."""
    listing_id = (
        ListingPhoto.objects.filter(pk=photo_id, listing__seller_id=seller_id)
        .values_list("listing_id", flat=True)
        .first()
    )
    if listing_id is None:
        raise ListingPhoto.DoesNotExist(f"No photo {photo_id} of seller {seller_id}.")
    Listing.objects.select_for_update().get(pk=listing_id)
    photos = list(ListingPhoto.objects.filter(listing_id=listing_id).order_by("position", "pk"))
    if photo_id not in {photo.pk for photo in photos}:  # removed while we waited
        raise ListingPhoto.DoesNotExist(f"No photo {photo_id} of seller {seller_id}.")
    return photos


def _renumber(photos: list[ListingPhoto]) -> None:
    changed = []
    for position, photo in enumerate(photos):
        if photo.position != position:
            photo.position = position
            changed.append(photo)
    ListingPhoto.objects.bulk_update(changed, ["position"])


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
