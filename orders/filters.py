"""Seller Central → Orders: the status filter and the search (order number or buyer)."""

import re

import django_filters
from django import forms
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace

from .models import Order, OrderStatus


class SellerOrderStatus:
    """
    The filter's choices. The status pills split the orders into parts that add up to
    "All" (payment pending and declined are one pill: neither can ship yet); "Late" is
    a state and a date, so it cuts across them and is shown apart.
    """

    AWAITING_PAYMENT = "awaiting_payment"
    UNSHIPPED = OrderStatus.UNSHIPPED.value
    PREPARING = OrderStatus.PREPARING.value
    PARTIALLY_SHIPPED = OrderStatus.PARTIALLY_SHIPPED.value
    SHIPPED = OrderStatus.SHIPPED.value
    DELIVERED = OrderStatus.DELIVERED.value
    CANCELLED = OrderStatus.CANCELLED.value
    LATE = "late"

    # Each pill's order states: together, every state once.
    states = {
        AWAITING_PAYMENT: [OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED],
        UNSHIPPED: [OrderStatus.UNSHIPPED],
        PREPARING: [OrderStatus.PREPARING],
        PARTIALLY_SHIPPED: [OrderStatus.PARTIALLY_SHIPPED],
        SHIPPED: [OrderStatus.SHIPPED],
        DELIVERED: [OrderStatus.DELIVERED],
        CANCELLED: [OrderStatus.CANCELLED],
    }
    pills = [
        (AWAITING_PAYMENT, "Awaiting payment"),
        (UNSHIPPED, "Unshipped"),
        (PREPARING, "Preparing"),
        (PARTIALLY_SHIPPED, "Partially shipped"),
        (SHIPPED, "Shipped"),
        (DELIVERED, "Delivered"),
        (CANCELLED, "Cancelled"),
    ]
    choices = [*pills, (LATE, "Late")]


class SellerOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=SellerOrderStatus.choices,
        empty_label="All orders",
        method="filter_status",
    )
    q = django_filters.CharFilter(
        label="Order number or buyer",
        method="filter_search",
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "123-4567890-1234 or a buyer's name"}
        ),
    )

    class Meta:
        model = Order
        fields = ["status", "q"]

    def matching(self) -> QuerySet[Order]:
        """The orders the filters select; none while they do not validate (the form says why)."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs

    def filter_status(self, queryset, name, value):
        if value == SellerOrderStatus.LATE:
            return queryset.late()
        return queryset.filter(status__in=SellerOrderStatus.states[value])

    def filter_search(self, queryset, name, value):
        """
        Digits (with or without the number's dashes, and spaces, as sellers paste them from
        emails and labels) search order numbers; anything else, buyers' names: each word
        in the first name, last name or username, so "Bea Baker" finds Bea Baker.

        A whole number is one lookup on the number's unique index. A part of one, or a
        name, is matched within this seller's orders only (the queryset is the seller's,
        narrowed by the seller's index first), never across the whole table.
        """
        value = value.strip()
        if NUMBER_LIKE.match(value):
            digits = re.sub(r"[^0-9]", "", value)
            if not digits:
                return queryset
            if len(digits) == ORDER_NUMBER_DIGITS:
                return queryset.filter(number=f"{digits[:3]}-{digits[3:10]}-{digits[10:]}")
            return queryset.alias(number_digits=Replace("number", Value("-"), Value(""))).filter(
                number_digits__contains=digits
            )
        for word in value.split():
            queryset = queryset.filter(
                Q(buyer__first_name__icontains=word)
                | Q(buyer__last_name__icontains=word)
                | Q(buyer__username__icontains=word)
            )
        return queryset


# What the search reads as an order number: digits, dashes and spaces only.
NUMBER_LIKE = re.compile(r"^[0-9\s-]*\Z")
ORDER_NUMBER_DIGITS = 14  # 3-7-4, models.new_order_number
