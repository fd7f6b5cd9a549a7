"""Seller Central → Orders: the status filter and the order-number search."""

import django_filters
from django import forms

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
        label="Order number",
        method="filter_number",
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "123-4567890-1234"}),
    )

    class Meta:
        model = Order
        fields = ["status", "q"]

    def matching(self):
        """The orders the filters select; none while they do not validate (the form says why)."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs

    def filter_status(self, queryset, name, value):
        if value == SellerOrderStatus.LATE:
            return queryset.late()
        return queryset.filter(status__in=SellerOrderStatus.states[value])

    def filter_number(self, queryset, name, value):
        # Sellers paste numbers from emails and labels: ignore spaces around them.
        value = value.strip()
        return queryset.filter(number__icontains=value) if value else queryset
