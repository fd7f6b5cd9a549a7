"""
A buyer's return of shipped units: asked, authorized, shipped back, received, refunded.

The rules (window, fault, fee, deadlines) are in ``returns.rules``; the only writers are
``returns.services`` and the beat jobs of ``returns.jobs`` (docs/DESIGN.md §19).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.money import money_field
from orders.models import ActorRole, Order, OrderLine

NOTE_MAX_LENGTH = 500
ZERO = Decimal("0.00")


class ReturnReason(models.TextChoices):
    # The buyer changed their mind: the buyer pays the return shipping.
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"
    BOUGHT_BY_MISTAKE = "bought_by_mistake", "Bought by mistake"
    BETTER_PRICE = "better_price", "Better price available"
    # The seller's (or the carrier's) fault: free return shipping, full refund.
    ARRIVED_TOO_LATE = "arrived_too_late", "Arrived too late"
    DEFECTIVE = "defective", "Defective or does not work"
    DAMAGED_IN_TRANSIT = "damaged_in_transit", "Damaged in transit"
    WRONG_ITEM = "wrong_item", "Wrong item sent"
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    MISSING_PARTS = "missing_parts", "Missing parts or accessories"


BUYER_REMORSE_REASONS = [
    ReturnReason.NO_LONGER_NEEDED,
    ReturnReason.BOUGHT_BY_MISTAKE,
    ReturnReason.BETTER_PRICE,
]
SELLER_FAULT_REASONS = [reason for reason in ReturnReason if reason not in BUYER_REMORSE_REASONS]


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for the seller"
    AUTHORIZED = "authorized", "Authorized: ship it back"
    SHIPPED_BACK = "shipped_back", "On its way back"
    DELIVERED_BACK = "delivered_back", "Delivered to the seller"
    REFUNDED = "refunded", "Refunded"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = [
    ReturnStatus.REQUESTED,
    ReturnStatus.AUTHORIZED,
    ReturnStatus.SHIPPED_BACK,
    ReturnStatus.DELIVERED_BACK,
]


class CloseReason(models.TextChoices):
    OUTSIDE_WINDOW = "outside_window", "Requested outside the return window"
    NOT_SOLD_HERE = "not_sold_here", "Item not sold in this order"
    NOT_SHIPPED_BACK = "not_shipped_back", "Not shipped back in time"
    WITHDRAWN = "withdrawn", "Withdrawn by the buyer"


SELLER_CLOSE_REASONS = [CloseReason.OUTSIDE_WINDOW, CloseReason.NOT_SOLD_HERE]


class ItemCondition(models.TextChoices):
    SELLABLE = "sellable", "Sellable (back in stock)"
    DAMAGED = "damaged", "Damaged (not restocked)"


class ReturnRequest(ConcurrentTransitionMixin, models.Model):
    """One return: which units, why, and where it stands; its money goes back once received."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    number = models.CharField(max_length=40, unique=True, help_text="Written on the parcel.")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    status = FSMField(
        max_length=20, choices=ReturnStatus, default=ReturnStatus.REQUESTED, protected=True
    )
    reason = models.CharField(max_length=40, choices=ReturnReason)
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    opened = models.BooleanField(help_text="The buyer said the item was opened.")
    seller_fault = models.BooleanField(help_text="From the reason: free return, full refund.")
    returnless = models.BooleanField(
        default=False, help_text="Refunded without the item coming back (the store's rule)."
    )
    item_value = money_field(help_text="The returned units' price.")
    max_restocking_fee = money_field(help_text="The most the rules let the seller deduct.")
    restocking_fee = money_field(default=ZERO)
    refund_amount = money_field(default=ZERO, help_text="What was refunded.")
    requested_at = models.DateTimeField(default=timezone.now)
    respond_by = models.DateTimeField()
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorized_by = models.CharField(max_length=10, choices=ActorRole, blank=True)
    ship_back_by = models.DateTimeField(null=True, blank=True)
    return_address = models.TextField(blank=True, help_text="The store's, when authorized.")
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=50, blank=True)
    shipped_back_at = models.DateTimeField(null=True, blank=True)
    delivered_back_at = models.DateTimeField(null=True, blank=True)
    receive_by = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.CharField(max_length=10, choices=ActorRole, blank=True)
    condition = models.CharField(max_length=10, choices=ItemCondition, blank=True)
    restocked = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason, blank=True)
    close_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    # Set by the form that asked for it: a second submission finds it and stops.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "respond_by"], name="return_status_respond_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(restocking_fee__lte=models.F("max_restocking_fee")),
                name="return_fee_within_max",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__lte=models.F("item_value")),
                name="return_refund_within_value",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def return_shipping_paid_by(self) -> str:
        """Who pays the parcel back: the seller for their fault, else the buyer."""
        return "seller" if self.seller_fault else "buyer"

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines.all())

    # The transitions; the services fill in the fields each one sets.
    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.AUTHORIZED)
    def authorize(self):
        pass

    @transition(
        field=status,
        source=[ReturnStatus.AUTHORIZED, ReturnStatus.SHIPPED_BACK],
        target=ReturnStatus.SHIPPED_BACK,
    )
    def ship_back(self):
        pass

    @transition(field=status, source=ReturnStatus.SHIPPED_BACK, target=ReturnStatus.DELIVERED_BACK)
    def deliver_back(self):
        pass

    @transition(
        field=status,
        source=[ReturnStatus.REQUESTED, ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK],
        target=ReturnStatus.REFUNDED,
    )
    def refund(self):
        pass

    @transition(
        field=status,
        source=[ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED],
        target=ReturnStatus.CLOSED,
    )
    def close(self):
        pass


class ReturnLine(models.Model):
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_gt_0"),
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="return_line_once"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line}"

    @property
    def value(self) -> Decimal:
        return self.order_line.unit_price * self.quantity


class ReturnEvent(models.TextChoices):
    """
    The ``OrderEvent.type`` values a return writes on the order's timeline (kept here, like
    the Resolution Center's, so ``orders`` knows nothing of returns).
    """

    REQUESTED = "return_requested", "Return requested"
    AUTHORIZED = "return_authorized", "Return authorized"
    SHIPPED_BACK = "return_shipped_back", "Return shipped back"
    DELIVERED_BACK = "return_delivered_back", "Return delivered to the seller"
    REFUNDED = "return_refunded", "Return refunded"
    CLOSED = "return_closed", "Return closed"
