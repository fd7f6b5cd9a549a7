"""The money bound (core/money.py): one column size, and caps that keep every order in it."""

from decimal import Decimal

from django.apps import apps
from django.db import models

from core.money import (
    MAX_CART_LINES,
    MAX_MONEY,
    MAX_PRICE,
    MAX_QUANTITY_PER_LINE,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
)

PROJECT_APPS = {"catalog", "orders", "cancellations", "payments", "disputes", "notifications"}


def test_max_money_is_the_largest_amount_the_column_holds():
    """Twelve digits with two decimals: 9,999,999,999.99, and a cent more needs a thirteenth."""
    assert Decimal("9999999999.99") == MAX_MONEY
    assert len(MAX_MONEY.as_tuple().digits) == MONEY_MAX_DIGITS
    assert len((MAX_MONEY + Decimal("0.01")).as_tuple().digits) > MONEY_MAX_DIGITS


def test_the_largest_possible_order_fits_the_bound():
    """
    An order is at most MAX_CART_LINES lines of MAX_QUANTITY_PER_LINE units at MAX_PRICE
    (the portal adds no shipping or fees): 4,950,000,000.00, inside the bound.
    """
    largest_order = MAX_PRICE * MAX_QUANTITY_PER_LINE * MAX_CART_LINES
    assert largest_order == Decimal("4950000000.00")
    assert largest_order <= MAX_MONEY


def test_every_amount_column_has_the_same_bound():
    """
    Every DecimalField of the project holds money and is money_field(): a payment can
    take any order total, a refund any payment (a 10-digit payment under a 12-digit
    order total was a 500 at checkout).
    """
    columns = {
        f"{model._meta.label}.{field.name}": (field.max_digits, field.decimal_places)
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField)
    }
    assert len(columns) >= 16  # prices, totals, payments, transactions, refunds, offers
    assert {
        column: size
        for column, size in columns.items()
        if size != (MONEY_MAX_DIGITS, MONEY_DECIMAL_PLACES)
    } == {}
