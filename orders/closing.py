"""
Closing an account, as far as orders go (registered with ``accounts.closing`` in
``OrdersConfig.ready``; docs/DESIGN.md §16): an open order, bought or sold, keeps the
account open; once it closes, the person's orders stay for the seller's and the
marketplace's records but lose the buyer's name and street (city, postcode and country
stay, for tax), and their saved cart goes.
"""

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from accounts.closing import Blocker, blocker, on_close

from .models import Order, SavedCart

# The most open orders the account page lists by name; the rest are counted.
SHOWN = 10
CLOSED_ACCOUNT = "Closed account"


@blocker
def open_orders(user: User) -> list[Blocker]:
    orders = (
        Order.objects.open().filter(Q(buyer=user) | Q(seller__user=user)).order_by("-placed_at")
    )
    shown = list(orders[: SHOWN + 1])
    found = [
        Blocker(
            f"Order {order.number}: {order.get_status_display().lower()}",
            order.get_absolute_url() if order.buyer_id == user.pk else order.get_seller_url(),
        )
        for order in shown[:SHOWN]
    ]
    if len(shown) > SHOWN:
        found.append(Blocker(f"… and {orders.count() - SHOWN} more open orders", ""))
    return found


@on_close
def anonymise_orders(user: User) -> None:
    Order.objects.filter(buyer=user).update(
        ship_to_name=CLOSED_ACCOUNT,
        ship_to_line1=CLOSED_ACCOUNT,
        ship_to_line2="",
        updated_at=timezone.now(),  # cached cards and rows show the change
    )
    SavedCart.objects.filter(user=user).delete()
