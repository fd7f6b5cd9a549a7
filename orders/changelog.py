"""
Orders' change log (core.changelog): each statement that changes an order or anything that
belongs to it appends a row for the order, its buyer and its seller, so each has a version
the pages about it are cached under: the order page (``selectors.ORDER_PAGE_ROWS``), the
buyer's Your Orders and the seller's Seller Central (``buyer_version``, ``seller_version``).

What shows on these pages but belongs to no order counts too: a buyer's name for their
sellers (on their lists), a store's name for its buyers, a store's listings for its seller
(Seller Central home's insights).
"""

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Model
from django.db.models.signals import post_migrate
from django.http import HttpRequest

from catalog.models import Listing, Seller
from core.changelog import ChangeLog, Quote, any_change_sql, install, run
from core.rowversions import owned_paths

from .models import Order, OrderChange

Kind = OrderChange.Kind


def _tracked() -> list[tuple[str, ...]]:
    """All that belongs to an order (found from the models), its payment and money rows."""
    return [*owned_paths(Order, 2), ("payment",), ("payment", "transactions")]


# What pages show of a person: their name (lists of orders, staff's queue of cases).
USER_NAMES = ("first_name", "last_name", "username", "email")


def _shown_elsewhere(quote: Quote) -> dict[type[Model], list[str]]:
    """
    A buyer renamed counts for their sellers; a store renamed, for its buyers; a store's
    listings changed, for the seller (Seller Central home's insights show their titles).
    """
    return {
        get_user_model(): any_change_sql(
            ORDER_LOG,
            get_user_model(),
            kind=Kind.SELLER,
            name="shown",
            via=(Order, "buyer_id", "seller_id"),
            columns=USER_NAMES,
            quote=quote,
        ),
        Seller: any_change_sql(
            ORDER_LOG,
            Seller,
            kind=Kind.BUYER,
            name="shown",
            via=(Order, "seller_id", "buyer_id"),
            columns=("store_name",),
            quote=quote,
        ),
        Listing: any_change_sql(
            ORDER_LOG, Listing, kind=Kind.SELLER, name="store", owner="seller_id", quote=quote
        ),
    }


ORDER_LOG = ChangeLog(
    model=OrderChange,
    owner=Order,
    tracked=_tracked,
    kinds={None: Kind.ORDER, "buyer_id": Kind.BUYER, "seller_id": Kind.SELLER},
)


def buyer_version(request: HttpRequest, buyer_id: int) -> int | None:
    """The buyer's orders and all of them, as one number; None without a log (SQLite)."""
    return _version(request, Kind.BUYER, buyer_id)


def seller_version(request: HttpRequest, seller_id: int) -> int | None:
    """The seller's orders and all of them, as one number; None without a log (SQLite)."""
    return _version(request, Kind.SELLER, seller_id)


def _version(request: HttpRequest, kind: int, owner_id: int) -> int | None:
    """Read once a request: a page's key and the page's own versions ask the same."""
    read = request.__dict__.setdefault("_changelog_versions", {})
    if (kind, owner_id) not in read:
        read[kind, owner_id] = ORDER_LOG.version(kind, owner_id)
    return read[kind, owner_id]


def install_triggers(sender, using: str = "default", **_kwargs) -> None:
    """After each ``migrate`` (and a test database's flush): the triggers, from the models."""
    if sender.label == "orders":  # sent for each app: once is enough
        install(ORDER_LOG, using)
        run(ORDER_LOG, _shown_elsewhere(connections[using].ops.quote_name), using)


post_migrate.connect(install_triggers, dispatch_uid="orders.changelog")
