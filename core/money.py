"""
The money bound: one column size for every amount, and the caps that keep every amount in it.

Every money column (order totals and unit prices, payments and their transactions,
cancellations' refunds, dispute offers and refunds, listing prices) is ``money_field()``,
so whatever one of them holds fits in any other: a payment is an order's total, a refund
part of a payment. What a checkout may add up is capped so that no order reaches the
bound: a listing's price, the units of one listing a cart line holds, and the lines a
cart holds. With the figures below the largest possible order is
MAX_PRICE × MAX_QUANTITY_PER_LINE × MAX_CART_LINES = 4,950,000,000.00, about half of
MAX_MONEY. The portal charges no shipping or fees, so an order's total is the sum of its
lines; a fee added later must keep this sum inside the bound (``tests/core``).
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, overload

from django.db import models

MONEY_MAX_DIGITS = 12
MONEY_DECIMAL_PLACES = 2
# The largest amount a money column holds: 9,999,999,999.99.
MAX_MONEY = Decimal(10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)) - Decimal("0.01")

# A listing's highest price, in dollars.
MAX_PRICE = Decimal("1000000.00")
# The most units of one listing a single order may hold: keeps a typo from reserving
# a seller's whole shelf, and keeps quantities far from integer limits.
MAX_QUANTITY_PER_LINE = 99
# Distinct listings one cart (and so one checkout) may hold: keeps the session, the
# cart page and the checkout transaction small whatever a client posts.
MAX_CART_LINES = 50


if TYPE_CHECKING:  # Django's fields take type arguments only in its stubs.
    from django.db.models.expressions import Combinable

    # What a money column takes and gives back, so a model's amounts read as Decimal (or
    # None where the column is nullable) rather than Any.
    MoneyColumn = models.DecimalField[Decimal | int | str | Combinable, Decimal]
    NullableMoneyColumn = models.DecimalField[
        Decimal | int | str | Combinable | None, Decimal | None
    ]


@overload
def money_field(*, null: Literal[True], **kwargs: Any) -> "NullableMoneyColumn": ...
@overload
def money_field(*, null: Literal[False] = ..., **kwargs: Any) -> "MoneyColumn": ...
def money_field(**kwargs: Any) -> "MoneyColumn | NullableMoneyColumn":
    """A column for an amount of money, in dollars and cents, up to MAX_MONEY."""
    return models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )
