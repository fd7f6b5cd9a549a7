import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from imagekit.models import ImageSpecField

from catalog.models import Listing, Seller
from core import pagecache
from core.images import Thumbnail
from core.money import money_field
from payments.models import Payment

from . import links


def new_order_number() -> str:
    """A number a person can read out on the phone: 3-7-4 digits, like Amazon's."""
    digits = f"{secrets.randbelow(10**14):014d}"
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Payment pending"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    UNSHIPPED = "unshipped", "Unshipped"
    PREPARING = "preparing", "Preparing for shipment"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# States in which some quantity may still be cancelled (nothing shipped can be).
CANCELLABLE_STATES = [
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAYMENT_FAILED,
    OrderStatus.UNSHIPPED,
    OrderStatus.PREPARING,
    OrderStatus.PARTIALLY_SHIPPED,
]
SHIPPABLE_STATES = [
    OrderStatus.UNSHIPPED,
    OrderStatus.PREPARING,
    OrderStatus.PARTIALLY_SHIPPED,
]
OPEN_STATES = [*CANCELLABLE_STATES]
CLOSED_STATES = [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED]


class OrderQuerySet(models.QuerySet["Order"]):
    def open(self) -> "OrderQuerySet":
        return self.filter(status__in=OPEN_STATES)

    def late(self, now: datetime | None = None) -> "OrderQuerySet":
        return self.filter(status__in=SHIPPABLE_STATES, ship_by__lt=now or timezone.now())


class Order(ConcurrentTransitionMixin, models.Model):
    """
    One seller's part of a buyer's checkout.

    The status changes only through the transitions below, and only services call
    them (they lock the row first; the mixin is a safety net that refuses to save a
    status changed by someone else since this row was read).
    """

    number = models.CharField(max_length=20, unique=True, default=new_order_number)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="orders")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="order")
    status = FSMField(
        max_length=20, choices=OrderStatus, default=OrderStatus.PENDING_PAYMENT, protected=True
    )
    ship_to_name = models.CharField("full name", max_length=100)
    ship_to_line1 = models.CharField("address line 1", max_length=200)
    ship_to_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_to_city = models.CharField("city", max_length=100)
    ship_to_state = models.CharField("state or region", max_length=100, blank=True)
    ship_to_postcode = models.CharField("postcode", max_length=20)
    ship_to_country = models.CharField("country", max_length=2, default="US")
    total = money_field()
    placed_at = models.DateTimeField(default=timezone.now)
    ship_by = models.DateTimeField()
    deliver_by = models.DateTimeField()
    late_notified_at = models.DateTimeField(null=True, blank=True)
    buyer_waiting_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The buyer's first message the seller has not answered yet (empty: none).",
    )
    payment_attempts = models.PositiveSmallIntegerField(default=1)
    checkout_token = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The checkout form's token: a resubmitted checkout finds this order.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-placed_at"], name="order_buyer_placed_idx"),
            models.Index(fields=["seller", "-placed_at"], name="order_seller_placed_idx"),
            models.Index(fields=["status", "ship_by"], name="order_status_ship_by_idx"),
            # Issue 23, EXPLAIN at 100,000 orders: admin's order list reads the newest
            # hundred (an index scan of 100 rows, not a sort of the table: 150 → 0.5 ms).
            models.Index(fields=["-placed_at", "-id"], name="order_placed_idx"),
            # Seller Central home's version of the seller's figures, the latest change of
            # their orders: one index entry, not a sort of 50,000 orders (SubPlan 1).
            models.Index(fields=["seller", "-updated_at"], name="order_seller_updated_idx"),
            # Seller Central's messages badge and inbox: the few orders whose buyer waits.
            models.Index(
                fields=["seller", "buyer_waiting_since"],
                condition=Q(buyer_waiting_since__isnull=False),
                name="order_buyer_waiting_idx",
            ),
        ]
        constraints = [
            # One order per seller per checkout: a double-click or a resubmitted form
            # that races past the view's check fails here instead of ordering twice.
            models.UniqueConstraint(
                fields=["buyer", "checkout_token", "seller"], name="order_once_per_checkout"
            ),
        ]

    def __str__(self):
        return f"Order {self.number}"

    def get_absolute_url(self):
        return reverse("orders:order_detail", args=[self.number])

    def get_seller_url(self) -> str:
        """Seller Central's page of this order (``orders.links``: Seller Central serves it)."""
        return links.seller_order_url(self.number)

    # --- Transitions: they change only this row's own fields. ----------------------
    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.UNSHIPPED)
    def authorize(self):
        pass

    @transition(field=status, source=OrderStatus.PENDING_PAYMENT, target=OrderStatus.PAYMENT_FAILED)
    def decline_payment(self):
        pass

    @transition(field=status, source=OrderStatus.PAYMENT_FAILED, target=OrderStatus.UNSHIPPED)
    def revise_payment(self):
        pass

    @transition(field=status, source=OrderStatus.UNSHIPPED, target=OrderStatus.PREPARING)
    def start_preparing(self):
        pass

    @transition(field=status, source=SHIPPABLE_STATES, target=OrderStatus.PARTIALLY_SHIPPED)
    def ship_part(self):
        pass

    @transition(field=status, source=SHIPPABLE_STATES, target=OrderStatus.SHIPPED)
    def ship_rest(self):
        """Everything not cancelled has shipped (also after cancelling the last open units)."""

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED)
    def deliver(self):
        pass

    @transition(field=status, source=CANCELLABLE_STATES, target=OrderStatus.CANCELLED)
    def cancel(self):
        pass

    # --- Reading ------------------------------------------------------------------------
    @property
    def awaiting_shipment(self) -> bool:
        """Some units may still ship, so the ship-by date still matters."""
        return self.status in SHIPPABLE_STATES

    @property
    def is_cancellable_state(self) -> bool:
        return self.status in CANCELLABLE_STATES

    def is_late(self, now=None) -> bool:
        if not self.awaiting_shipment:
            return False
        pagecache.expires(self.ship_by)  # a page saying it is not late yet changes then
        return self.ship_by < (now or timezone.now())


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="order_lines")
    title = models.CharField(max_length=200, help_text="The listing's title when ordered.")
    # The listing's first photo when ordered: the same file, which is never deleted, so
    # the order keeps showing what was bought after the seller changes the listing.
    image = models.ImageField(max_length=200, blank=True, editable=False)
    thumbnail = ImageSpecField(source="image", spec=Thumbnail)
    unit_price = money_field()
    quantity = models.PositiveIntegerField()
    quantity_cancelled = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_cancelled__gte=0) & Q(quantity_shipped__gte=0),
                name="line_done_quantities_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=F("quantity_cancelled") + F("quantity_shipped")),
                name="line_cancelled_plus_shipped_lte_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.title}"

    @property
    def quantity_open(self) -> int:
        """Ordered, and neither shipped nor cancelled: what may still ship or be cancelled."""
        return self.quantity - self.quantity_cancelled - self.quantity_shipped

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def subtotal_now(self) -> Decimal:
        """What the line costs after its cancelled units."""
        return self.unit_price * (self.quantity - self.quantity_cancelled)


class ActorRole(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    SYSTEM = "system", "System"
    STAFF = "staff", "Marketplace staff"


# The longest timeline summary and order message (longer ones are cut or refused).
SUMMARY_MAX_LENGTH = 300
MESSAGE_MAX_LENGTH = 2000


class OrderEvent(models.Model):
    """The audit row written with every change; the order timeline reads it."""

    class Type(models.TextChoices):
        PLACED = "placed", "Order placed"
        PAYMENT_AUTHORIZED = "payment_authorized", "Payment authorized"
        PAYMENT_FAILED = "payment_failed", "Payment declined"
        PAYMENT_REVISED = "payment_revised", "Payment method updated"
        PREPARING = "preparing", "Seller started preparing the order"
        SHIPPED = "shipped", "Items shipped"
        DELIVERED = "delivered", "Delivered"
        LATE = "late", "Order is late"
        ITEMS_CANCELLED = "items_cancelled", "Items cancelled"
        CANCELLATION_REQUESTED = "cancellation_requested", "Cancellation requested"
        CANCELLATION_REQUEST_WITHDRAWN = "cancellation_request_withdrawn", "Request withdrawn"
        CANCELLATION_REQUEST_DECLINED = "cancellation_request_declined", "Request declined"
        CANCELLATION_REQUEST_AUTO_APPROVED = (
            "cancellation_request_auto_approved",
            "Request approved automatically",
        )
        CANCELLATION_REQUEST_CLOSED = "cancellation_request_closed", "Request closed"
        PAYMENT_ACTION_FAILED = "payment_action_failed", "Payment action failed"
        PAYMENT_HOLD_RELEASED = "payment_hold_released", "Card hold released outside the portal"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=Type)
    actor_role = models.CharField(max_length=10, choices=ActorRole)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    summary = models.CharField(
        max_length=SUMMARY_MAX_LENGTH, help_text="The event in words a buyer reads."
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # Issue 23, EXPLAIN at 100,000 orders (400,000 events): admin's timeline list
            # reads its first hundred in this order from the index (490 → 2.4 ms).
            models.Index(fields=["created_at", "id"], name="orderevent_created_idx"),
        ]

    def __str__(self):
        return f"{self.order.number}: {self.get_type_display()}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=50)
    tracking_number = models.CharField(max_length=50)
    shipped_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shipped_at", "pk"]
        # Seller Central's late shipment rate counts shipments by date.
        indexes = [models.Index(fields=["shipped_at"], name="shipment_shipped_idx")]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_gt_0")
        ]

    def __str__(self):
        return f"{self.quantity} × {self.line}"


class Message(models.Model):
    """Buyer–seller conversation about one order (the first step of any dispute)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    author_role = models.CharField(max_length=10, choices=ActorRole)
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        # Seller Central's "messages answered within 24 h" looks for a reply by time.
        indexes = [models.Index(fields=["order", "created_at"], name="message_order_created_idx")]

    def __str__(self):
        return f"{self.get_author_role_display()} on {self.order.number}"


class SavedCart(models.Model):
    """
    A signed-out buyer's cart, kept until they sign in again (the cart lives in the
    session, which signing out ends): ``orders.cart`` writes it on sign-out and
    takes it back on sign-in.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_cart"
    )
    items = models.JSONField(default=dict, help_text="Listing id → quantity.")
    saved_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Cart of {self.user}"


class OrderChange(models.Model):
    """
    One statement's change to an order or anything of it (its lines, events,
    cancellations, requests, returns, cases, payment and money rows), appended by the
    database's triggers (core.changelog, installed by ``orders.changelog``) for the
    order, its buyer and its seller: the sum of an owner's weights is the version the
    pages about it are cached under (its order page, Your Orders, Seller Central).
    """

    class Kind(models.IntegerChoices):
        ORDER = 1
        BUYER = 2
        SELLER = 3
        CASES = 4  # every case at once, for staff's queue (disputes.changelog)

    kind = models.PositiveSmallIntegerField(choices=Kind)
    owner_id = models.BigIntegerField(help_text="The order's, buyer's or seller's id.")
    weight = models.BigIntegerField(db_default=1, help_text="Changes this row stands for.")

    class Meta:
        indexes = [models.Index(fields=["kind", "owner_id"], name="orderchange_owner_idx")]

    def __str__(self):
        return f"{self.weight} change(s) of {self.get_kind_display()} {self.owner_id}"
