"""
Money rows: a Payment per order and the PaymentTransactions that moved its money.

The running totals on Payment change only when a gateway call succeeded, so they
always say what the card really carries; check constraints hold them together.
The Sandbox* models are the sandbox gateway's own state (see ``payments.gateway``),
kept in the database so web and worker processes see the same charges; the Stripe*
models are the Stripe gateway's ledger and records (``payments.stripe_gateway``).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.functional import cached_property

from core.money import money_field

ZERO = Decimal("0.00")


def _totals_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(amount_authorized__gte=0)
            & Q(amount_captured__gte=0)
            & Q(amount_voided__gte=0)
            & Q(amount_refunded__gte=0),
            name=f"{prefix}_totals_non_negative",
        ),
        models.CheckConstraint(
            condition=Q(amount_refunded__lte=F("amount_captured")),
            name=f"{prefix}_refunded_lte_captured",
        ),
        models.CheckConstraint(
            # Rounded: SQLite adds decimals as floats (0.10 + 0.20 > 0.30 there), which
            # would refuse an exact settlement. PostgreSQL's numeric is exact either way.
            condition=Q(amount_authorized__gte=Round(F("amount_captured") + F("amount_voided"), 2)),
            name=f"{prefix}_settled_lte_authorized",
        ),
    ]


class MoneyAmounts:
    """What a card's running amounts leave open: the portal's payment, the sandbox's charge."""

    amount_authorized: Decimal
    amount_captured: Decimal
    amount_voided: Decimal
    amount_refunded: Decimal

    @property
    def amount_open(self) -> Decimal:
        """What is still only authorized: neither captured nor voided."""
        return self.amount_authorized - self.amount_captured - self.amount_voided

    @property
    def amount_refundable(self) -> Decimal:
        return self.amount_captured - self.amount_refunded


class Payment(MoneyAmounts, models.Model):
    """The buyer's payment for one order: authorized, then captured, voided or refunded."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        AUTHORIZED = "authorized", "Authorized"
        FAILED = "failed", "Failed"
        CAPTURED = "captured", "Captured"
        PARTIALLY_CAPTURED = "partially_captured", "Partially captured"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        VOIDED = "voided", "Voided"

    amount = money_field(help_text="The order total.")
    currency = models.CharField(max_length=3, default="USD")
    payment_method = models.CharField(max_length=64, help_text="The gateway's card token.")
    card_last4 = models.CharField(max_length=4)
    charge_reference = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    amount_authorized = money_field(default=ZERO)
    amount_captured = money_field(default=ZERO)
    amount_voided = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set on the locked row by payments.services._lock (not columns): what its pending
    # transactions claim per kind, and whether the request's idempotency key was used.
    pending: dict[str, Decimal]
    replayed: bool

    class Meta:
        ordering = ["-pk"]
        indexes = [
            # Issue 23: a gateway's webhook finds its payment by the charge (webhooks.py),
            # a sequential scan of every payment without it.
            models.Index(fields=["charge_reference"], name="payment_charge_ref_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_authorized__lte=F("amount")),
                name="payment_authorized_lte_amount",
            ),
            *_totals_constraints("payment"),
        ]

    def __str__(self):
        return f"Payment #{self.pk}: {self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def is_authorized(self) -> bool:
        """The gateway said yes: there is a charge whose money may be captured or released."""
        return self.status not in (self.Status.PENDING, self.Status.FAILED)

    @cached_property
    def amount_release_failed(self) -> Decimal:
        """
        Voids and refunds the gateway refused: money the buyer was promised back that did
        not move (staff put it right). Reads prefetched ``transactions`` when there are.
        """
        Kind, Status = PaymentTransaction.Kind, PaymentTransaction.Status
        return sum(
            (
                row.amount
                for row in self.transactions.all()
                if row.status == Status.FAILED and row.kind in (Kind.VOID, Kind.REFUND)
            ),
            ZERO,
        )

    def apply(self, *, kind: str, amount: Decimal, reference: str = "") -> None:
        """Add a succeeded gateway transaction to the totals; the status follows from them."""
        Kind = PaymentTransaction.Kind
        if kind == Kind.AUTHORIZE:
            self.charge_reference = reference
            self.amount_authorized += amount
        elif kind == Kind.CAPTURE:
            self.amount_captured += amount
        elif kind == Kind.VOID:
            self.amount_voided += amount
        elif kind == Kind.REFUND:
            self.amount_refunded += amount
        else:
            raise ValueError(f"Unknown transaction kind {kind!r}")
        self.status = self._status_from_totals()

    def take_back(self, *, kind: str, amount: Decimal) -> None:
        """
        Take a succeeded capture or refund back out of the totals: the gateway reported
        later that it did not go through. The status follows from the totals.
        """
        if kind not in (PaymentTransaction.Kind.CAPTURE, PaymentTransaction.Kind.REFUND):
            raise ValueError(f"Cannot take back a {kind!r} transaction")
        self.apply(kind=kind, amount=-amount)

    def _status_from_totals(self) -> str:
        if self.amount_refunded:
            fully = self.amount_refunded == self.amount_captured and not self.amount_open
            return self.Status.REFUNDED if fully else self.Status.PARTIALLY_REFUNDED
        if self.amount_captured:
            return self.Status.PARTIALLY_CAPTURED if self.amount_open else self.Status.CAPTURED
        if self.amount_voided and not self.amount_open:
            return self.Status.VOIDED
        return self.Status.AUTHORIZED


class PaymentTransaction(models.Model):
    """
    One money call to the gateway, keyed by the business operation that asked for it.

    Captures, voids and refunds are written as pending in the business transaction
    and executed after commit through the outbox; the unique idempotency key is what
    the gateway sees, so a retried execution never moves the money twice.
    """

    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", "Authorize"
        CAPTURE = "capture", "Capture"
        VOID = "void", "Void"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=16, choices=Kind)
    amount = money_field()
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    gateway_reference = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # Issue 23: a refund's webhook finds its transaction by the gateway's id.
            models.Index(fields=["gateway_reference"], name="transaction_gateway_ref_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_transaction_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} ({self.get_status_display()})"


class SandboxCharge(MoneyAmounts, models.Model):
    """The sandbox gateway's record of a card charge (what Stripe would hold)."""

    reference = models.CharField(max_length=64, unique=True)
    payment_method = models.CharField(max_length=64)
    amount_authorized = money_field()
    amount_captured = money_field(default=ZERO)
    amount_voided = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = _totals_constraints("sandbox_charge")

    def __str__(self):
        return self.reference


class SandboxIdempotencyKey(models.Model):
    """The first answer the sandbox gave to a key, replayed to every repeat of the call."""

    key = models.CharField(max_length=255, unique=True)
    operation = models.CharField(max_length=16)
    fingerprint = models.TextField(help_text="The request's parameters, to detect reuse.")
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return self.key


# --- The Stripe gateway's ledger (payments.stripe_gateway) --------------------------------


class StripeCharge(MoneyAmounts, models.Model):
    """
    What the Stripe gateway did for one of the portal's charges (``Payment.charge_reference``).

    Stripe captures a PaymentIntent once and cannot release part of a hold, while the
    portal captures each shipment and voids each cancellation. The ledger bridges the
    two: a void is recorded here and the intent is cancelled once nothing is left to
    capture; the first capture captures the intent (Stripe releases the rest of its
    hold); a later capture charges the saved card with a new intent. Its totals are
    the portal's view of the charge, the same four as the sandbox's.
    """

    reference = models.CharField(max_length=64, unique=True, help_text="The first intent's id.")
    customer = models.CharField(max_length=64, blank=True)
    payment_method = models.CharField(max_length=64)
    live_intent = models.CharField(
        max_length=64,
        blank=True,
        help_text="The intent whose authorization still holds money; empty once it is "
        "captured, cancelled or expired.",
    )
    amount_authorized = money_field()
    amount_captured = money_field(default=ZERO)
    amount_voided = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = _totals_constraints("stripe_charge")

    def __str__(self):
        return self.reference


class StripeIntent(models.Model):
    """One PaymentIntent of a charge: the authorization, or a later shipment's charge."""

    class Status(models.TextChoices):
        HOLDING = "holding", "Holding (requires capture)"
        CAPTURED = "captured", "Captured"
        CANCELED = "canceled", "Cancelled"

    charge = models.ForeignKey(StripeCharge, on_delete=models.PROTECT, related_name="intents")
    intent = models.CharField(max_length=64, unique=True)
    amount = money_field(help_text="What the intent authorized or charged.")
    amount_captured = money_field(default=ZERO)
    amount_refunded = money_field(default=ZERO)
    status = models.CharField(max_length=16, choices=Status)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured"))
                & Q(amount_captured__lte=F("amount")),
                name="stripe_intent_refunded_lte_captured_lte_amount",
            ),
        ]

    def __str__(self):
        return self.intent

    @property
    def amount_refundable(self) -> Decimal:
        return self.amount_captured - self.amount_refunded


class StripeCall(models.Model):
    """
    The answer the Stripe gateway recorded for an idempotency key, written in the same
    transaction as the ledger change it made: a repeat of the key replays it, and
    ``retrieve`` reads it before asking Stripe.
    """

    key = models.CharField(max_length=255, unique=True)
    operation = models.CharField(max_length=16)
    fingerprint = models.TextField(help_text="The request's parameters, to detect reuse.")
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return self.key


class StripeCustomer(models.Model):
    """The Stripe customer a buyer's saved cards belong to (one per buyer, made on first use)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer"
    )
    customer = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.customer


class StripeEvent(models.Model):
    """A webhook event Stripe sent, recorded once by its id: a replay does nothing twice."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=255, blank=True, help_text="What the portal did.")

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.type} {self.event_id}"
