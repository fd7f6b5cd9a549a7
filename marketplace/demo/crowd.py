"""
The crowd behind the bulk orders (`seed_demo --orders N`): who buys and who sells each one.

A real shop at 100,000 orders has one heavy buyer among thousands of light ones and one big
seller beside smaller ones. The benchmarks need exactly that shape, at every size, so a page
measured at 1,000 orders and at 100,000 shows the same reader with 100 times the rows:
``buyer2`` places one bulk order in ten (10,000 of 100,000), ``seller`` sells one in two
(50,000), ``seller2`` the rest, and the other nine in ten are placed by crowd shoppers
(``shopper00001``…), each with about ``ORDERS_PER_SHOPPER`` orders. Shoppers cannot sign in
(no usable password): they only make the tables as big as a real shop's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from orders.services import ShippingAddress

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The heavy buyer's and the big seller's shares of the bulk orders (1 in 10, 1 in 2).
HEAVY_BUYER_EVERY = 10
BIG_SELLER_EVERY = 2
# About a year of a regular customer's orders; makes 4,500 shoppers at 100,000 orders.
ORDERS_PER_SHOPPER = 20
SHOPPER_PREFIX = "shopper"
SHOPPER_ADDRESS = ShippingAddress(
    name="Crowd Shopper", line1="1 Commerce Way", city="Columbus", postcode="43004"
)


def shoppers_for(count: int) -> list[User]:
    """Enough crowd shoppers for ``count`` bulk orders: the existing ones, then new ones."""
    crowd_orders = count - -(-count // HEAVY_BUYER_EVERY)
    wanted = max(1, -(-crowd_orders // ORDERS_PER_SHOPPER))
    model = get_user_model()
    existing = list(
        model.objects.filter(username__startswith=SHOPPER_PREFIX).order_by("username")[:wanted]
    )
    # One hash for all: they cannot sign in, and hashing thousands would take minutes.
    unusable = make_password(None)
    start = len(existing)
    added = model.objects.bulk_create(
        model(
            username=f"{SHOPPER_PREFIX}{number:05d}",
            email=f"{SHOPPER_PREFIX}{number:05d}@example.com",
            first_name="Crowd",
            last_name=f"Shopper {number}",
            password=unusable,
        )
        for number in range(start + 1, wanted + 1)
    )
    return existing + list(added)


class Crowd:
    """Who places and who fulfils the bulk order number ``index`` of a run."""

    def __init__(self, heavy_buyer: User, shoppers: list[User], sellers: list[int]) -> None:
        # ``sellers``: the big seller's id first, then the others'.
        self.heavy_buyer, self.shoppers, self.sellers = heavy_buyer, shoppers, sellers

    def buyer(self, index: int) -> User:
        if index % HEAVY_BUYER_EVERY == 0:
            return self.heavy_buyer
        # The crowd's own count: the orders before this one that were not the heavy buyer's.
        crowd_index = index - index // HEAVY_BUYER_EVERY - 1
        return self.shoppers[crowd_index % len(self.shoppers)]

    def seller(self, index: int) -> int:
        if index % BIG_SELLER_EVERY == 0 or len(self.sellers) == 1:
            return self.sellers[0]
        others = self.sellers[1:]
        return others[(index // BIG_SELLER_EVERY) % len(others)]
