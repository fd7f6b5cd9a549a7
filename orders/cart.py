"""
The shopping cart: ``request.session["cart"] = {listing_id: quantity}``.

Nothing about a cart is in the database, and nothing in it is reserved: stock is
taken only at checkout, by ``orders.services.place_orders``, which checks every
rule again. The checks here only spare the buyer a checkout that would fail.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from catalog.models import Listing, Seller
from catalog.selectors import listings_by_id
from core.money import MAX_CART_LINES, MAX_QUANTITY_PER_LINE

from .models import SavedCart


class CartError(Exception):
    """The cart was left as it was. The message is for the buyer."""


class Cart:
    SESSION_KEY = "cart"

    def __init__(self, session):
        self.session = session

    def items(self) -> dict[int, int]:
        """Listing id → quantity; anything in the session that is not that is ignored."""
        raw = self.session.get(self.SESSION_KEY)
        if not isinstance(raw, dict):
            return {}
        items = {}
        for key, value in raw.items():
            try:
                listing_id, quantity = int(key), int(value)
            except (TypeError, ValueError):
                continue
            if listing_id > 0 and 0 < quantity <= MAX_QUANTITY_PER_LINE:
                items[listing_id] = quantity
        return items

    def __len__(self) -> int:
        """Units in the cart."""
        return sum(self.items().values())

    def quantity_of(self, listing_id: int) -> int:
        return self.items().get(listing_id, 0)

    def add(self, listing: Listing | None, quantity: int, *, buyer: User | AnonymousUser) -> int:
        """
        Put ``quantity`` more units of ``listing`` in the cart of ``buyer`` (the signed-in
        user); return how many it holds.
        """
        in_cart = self.quantity_of(listing.pk) if listing else 0
        total = in_cart + quantity
        listing = self._check(listing, total, in_cart=in_cart, buyer=buyer)
        self._store(listing.pk, total)
        return total

    def update(
        self, listing: Listing | None, quantity: int, *, buyer: User | AnonymousUser
    ) -> None:
        """Change how many units of ``listing`` the cart of ``buyer`` holds."""
        listing = self._check(listing, quantity, in_cart=0, buyer=buyer)
        if listing.pk not in self.items():
            raise CartError("That item is not in your cart.")
        self._store(listing.pk, quantity)

    def remove(self, listing_id: int) -> bool:
        """Take the listing out of the cart (known to the catalog or not); True if it was in."""
        items = self.items()
        if items.pop(listing_id, None) is None:
            return False
        self._save(items)
        return True

    def clear(self) -> None:
        self.session.pop(self.SESSION_KEY, None)

    # -------------------------------------------------------------------------------------
    def _check(
        self, listing: Listing | None, quantity: int, *, in_cart: int, buyer: User | AnonymousUser
    ) -> Listing:
        """The listing, if ``quantity`` of it may be in the cart; CartError saying why not."""
        if listing is None or not listing.is_active:
            raise CartError("Sorry, that item is no longer available.")
        if listing.is_sold_by(buyer):
            raise CartError(f"“{listing.title}” is your own listing: you cannot buy it.")
        if not 0 < quantity <= MAX_QUANTITY_PER_LINE:
            already = f" You already have {in_cart} in your cart." if in_cart else ""
            raise CartError(
                f"You can buy at most {MAX_QUANTITY_PER_LINE} of “{listing.title}”.{already}"
            )
        if quantity > listing.stock:
            if not listing.stock:
                raise CartError(f"Sorry, “{listing.title}” is out of stock.")
            already = f" You already have {in_cart} in your cart." if in_cart else ""
            raise CartError(
                f"Sorry, only {listing.stock} of “{listing.title}” left in stock.{already}"
            )
        items = self.items()
        if listing.pk not in items and len(items) >= MAX_CART_LINES:
            raise CartError(f"Your cart can hold at most {MAX_CART_LINES} different items.")
        return listing

    def _store(self, listing_id: int, quantity: int) -> None:
        items = self.items()
        items[listing_id] = quantity
        self._save(items)

    def _save(self, items: dict[int, int]) -> None:
        # JSON sessions keep string keys; items() turns them back into ints.
        self.session[self.SESSION_KEY] = {str(pk): qty for pk, qty in items.items()}

    def merge(self, items: dict[int, int]) -> None:
        """Add a saved cart's lines to this one (the larger quantity wins, within limits)."""
        merged = self.items()
        for listing_id, quantity in items.items():
            if len(merged) >= MAX_CART_LINES and listing_id not in merged:
                break
            merged[listing_id] = max(merged.get(listing_id, 0), quantity)
        self._save(merged)


# --- Kept per user across sign-out ----------------------------------------------------------
# The session, and the cart in it, ends at sign-out; the user's cart is kept in the
# database meanwhile and comes back at their next sign-in (on any device).
@receiver(user_logged_out, dispatch_uid="orders.cart.save_on_sign_out")
def save_cart_on_sign_out(sender, request, user, **kwargs):
    if user is None or request is None:
        return
    items = Cart(request.session).items()
    if items:
        SavedCart.objects.update_or_create(
            user=user, defaults={"items": {str(pk): qty for pk, qty in items.items()}}
        )


@receiver(user_logged_in, dispatch_uid="orders.cart.restore_on_sign_in")
def restore_cart_on_sign_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    saved = SavedCart.objects.filter(user=user).first()
    if saved is None:
        return
    # Read through a Cart so a tampered or stale row is cleaned like a session would be.
    Cart(request.session).merge(Cart({Cart.SESSION_KEY: saved.items}).items())
    saved.delete()


# --- Reading the cart for the cart and checkout pages ------------------------------------
@dataclass(frozen=True)
class CartLine:
    listing_id: int
    quantity: int
    listing: Listing | None

    @property
    def is_available(self) -> bool:
        return self.listing is not None and self.listing.is_active

    @property
    def is_short(self) -> bool:
        """Available, but fewer units are left than the cart holds."""
        listing = self.listing
        return listing is not None and listing.is_active and listing.stock < self.quantity

    @property
    def subtotal(self) -> Decimal:
        return self.listing.price * self.quantity if self.listing else Decimal(0)


@dataclass
class Package:
    """What one seller ships: one order per seller at checkout."""

    seller: Seller
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal(0))


@dataclass
class CartSummary:
    packages: list[Package]
    unavailable: list[CartLine]

    @property
    def total(self) -> Decimal:
        return sum((package.subtotal for package in self.packages), Decimal(0))

    @property
    def units(self) -> int:
        return sum(line.quantity for package in self.packages for line in package.lines)

    @property
    def is_empty(self) -> bool:
        return not self.packages and not self.unavailable

    @property
    def can_check_out(self) -> bool:
        lines = [line for package in self.packages for line in package.lines]
        return bool(lines) and not self.unavailable and not any(line.is_short for line in lines)


def summarize(cart: Cart) -> CartSummary:
    """The cart's lines with their listings and first photos (two queries), grouped by seller."""
    items = cart.items()
    listings = listings_by_id(items, with_first_photo=True)
    available: list[tuple[Listing, CartLine]] = []
    unavailable = []
    for listing_id, quantity in items.items():
        listing = listings.get(listing_id)
        line = CartLine(listing_id, quantity, listing)
        if listing is None or not line.is_available:
            unavailable.append(line)
        else:
            available.append((listing, line))
    packages: dict[int, Package] = {}
    # Each seller's lines by title (grouping keeps this order).
    for listing, line in sorted(available, key=lambda pair: (pair[0].title, pair[1].listing_id)):
        packages.setdefault(listing.seller.pk, Package(listing.seller)).lines.append(line)
    return CartSummary(
        packages=sorted(packages.values(), key=lambda p: (p.seller.store_name, p.seller.pk)),
        unavailable=unavailable,
    )
