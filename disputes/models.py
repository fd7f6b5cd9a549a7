"""
Resolution Center cases: a buyer's dispute about an order, and the messages in it.

The status changes only through the transitions below, which touch only the case's
own fields; ``disputes.services`` calls them under the order's and the case's locks,
writes the order's timeline and queues the emails and the refund.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from catalog.models import Seller
from core.money import money_field
from orders.models import ActorRole, Order
from returns.models import ReturnRequest

BODY_MAX_LENGTH = 2000


class DisputeEvent(models.TextChoices):
    """
    The ``OrderEvent.type`` values the Resolution Center writes on the order's timeline.
    Kept here, not in ``OrderEvent.Type``, so ``orders`` knows nothing of disputes; the
    timeline shows each event's summary, never its type.
    """

    OPENED = "dispute_opened", "Case opened"
    SELLER_RESPONDED = "dispute_seller_responded", "Seller responded to the case"
    OFFER_MADE = "dispute_offer_made", "Seller made an offer"
    ESCALATED = "dispute_escalated", "Case escalated to the marketplace"
    INFORMATION_REQUESTED = "dispute_information_requested", "Seller asked for information"
    RESOLVED_FOR_BUYER = "dispute_resolved_for_buyer", "Case decided for the buyer"
    RESOLVED_FOR_SELLER = "dispute_resolved_for_seller", "Case decided for the seller"
    RESOLVED_BY_AGREEMENT = "dispute_resolved_by_agreement", "Case resolved by agreement"
    WITHDRAWN = "dispute_withdrawn", "Case withdrawn"


class Dispute(ConcurrentTransitionMixin, models.Model):
    """A buyer's case about one order, decided by agreement, withdrawal or staff."""

    class Reason(models.TextChoices):
        CANCELLATION_DECLINED = "cancellation_declined", "Cancellation request declined"
        REFUND_NOT_RECEIVED = "refund_not_received", "Refund not received"
        ITEM_NOT_RECEIVED = "item_not_received", "Item not received"
        NOT_AS_DESCRIBED = "not_as_described", "Item not as described"
        RETURN_REFUSED = "return_refused", "Return refused"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the seller"
        SELLER_RESPONDED = "seller_responded", "Seller responded"
        UNDER_REVIEW = "under_review", "Under review by the marketplace"
        RESOLVED_FOR_BUYER = "resolved_for_buyer", "Decided for the buyer"
        RESOLVED_FOR_SELLER = "resolved_for_seller", "Decided for the seller"
        RESOLVED_BY_AGREEMENT = "resolved_by_agreement", "Resolved by agreement"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class OfferKind(models.TextChoices):
        FULL = "full", "Full refund"
        PARTIAL = "partial", "Partial refund"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes"
    )
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(max_length=30, choices=Reason)
    return_request = models.ForeignKey(
        ReturnRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
        help_text="The return the case is about: one the seller refused, or one refunded "
        "whose refund did not arrive.",
    )
    description = models.TextField(max_length=BODY_MAX_LENGTH)
    status = FSMField(max_length=30, choices=Status, default=Status.OPEN, protected=True)
    respond_by = models.DateTimeField(help_text="When the seller's answer is due.")
    escalated = models.BooleanField(default=False)
    escalated_by = models.CharField(max_length=10, choices=ActorRole, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    seller_unresponsive = models.BooleanField(
        default=False, help_text="Escalated because the seller did not answer in time."
    )
    information_requested_at = models.DateTimeField(null=True, blank=True)
    offer_kind = models.CharField(max_length=10, choices=OfferKind, blank=True)
    offer_amount = money_field(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Counts the seller's offers: an Accept form carries the one it showed.",
    )
    refund_amount = money_field(
        null=True,
        blank=True,
        help_text="What the decision or the agreement returned to the buyer.",
    )
    decision_note = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not a column: which side of the case the signed-in reader is on, set by the
    # Resolution Center's pages on the cases they show.
    viewer: ActorRole

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("resolve_dispute", "Can resolve disputes")]
        indexes = [models.Index(fields=["status", "respond_by"], name="dispute_status_due_idx")]
        constraints = [
            # One open case per order: the parties and staff talk about it in one place.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["open", "seller_responded", "under_review"]),
                name="one_open_dispute_per_order",
            ),
            models.CheckConstraint(
                condition=Q(offer_amount__isnull=True) | Q(offer_amount__gt=0),
                name="dispute_offer_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0),
                name="dispute_refund_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"Case {self.pk} on order {self.order.number}"

    def get_absolute_url(self):
        return reverse("disputes:case_detail", args=[self.pk])

    # --- Transitions: they change only this row's own fields. ----------------------
    @transition(field=status, source=Status.OPEN, target=Status.SELLER_RESPONDED)
    def seller_respond(self):
        pass

    @transition(
        field=status,
        source=[Status.OPEN, Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=RETURN_VALUE(Status.SELLER_RESPONDED, Status.UNDER_REVIEW),
    )
    def make_offer(self, *, kind: str, amount):
        """A new offer replaces the last; a case under review stays under review."""
        self.offer_kind, self.offer_amount, self.offered_at = kind, amount, timezone.now()
        self.offer_version += 1
        if self.status == self.Status.UNDER_REVIEW:
            return self.Status.UNDER_REVIEW
        return self.Status.SELLER_RESPONDED

    @transition(
        field=status,
        source=[Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=Status.RESOLVED_BY_AGREEMENT,
        # django-fsm hands a condition the bare Model; it is only ever this Dispute.
        conditions=[lambda dispute: isinstance(dispute, Dispute) and dispute.has_offer],
    )
    def accept_offer(self, *, refund):
        self.refund_amount = refund
        self.resolved_at = timezone.now()

    @transition(
        field=status, source=[Status.OPEN, Status.SELLER_RESPONDED], target=Status.UNDER_REVIEW
    )
    def escalate(self, *, by: ActorRole):
        self.escalated, self.escalated_by, self.escalated_at = True, by, timezone.now()

    @transition(field=status, source=Status.OPEN, target=Status.UNDER_REVIEW)
    def escalate_unresponsive(self):
        self.escalated, self.escalated_by, self.escalated_at = (
            True,
            ActorRole.SYSTEM,
            timezone.now(),
        )
        self.seller_unresponsive = True

    @transition(
        field=status,
        source=[Status.OPEN, Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=Status.UNDER_REVIEW,
    )
    def request_information(self, *, respond_by):
        """Staff took the case and wait for the seller's answer by ``respond_by``."""
        if not self.escalated:
            self.escalated, self.escalated_by, self.escalated_at = (
                True,
                ActorRole.STAFF,
                timezone.now(),
            )
        self.information_requested_at = timezone.now()
        self.respond_by = respond_by

    @transition(
        field=status,
        source=[Status.OPEN, Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=Status.RESOLVED_FOR_BUYER,
    )
    def resolve_for_buyer(self, *, refund, note: str, user):
        self.refund_amount, self.decision_note, self.decided_by = refund, note, user
        self.resolved_at = timezone.now()

    @transition(
        field=status,
        source=[Status.OPEN, Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=Status.RESOLVED_FOR_SELLER,
    )
    def resolve_for_seller(self, *, note: str, user):
        self.refund_amount, self.decision_note, self.decided_by = 0, note, user
        self.resolved_at = timezone.now()

    @transition(
        field=status,
        source=[Status.OPEN, Status.SELLER_RESPONDED, Status.UNDER_REVIEW],
        target=Status.WITHDRAWN,
    )
    def withdraw(self):
        self.resolved_at = timezone.now()

    # --- Reading ------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def has_offer(self) -> bool:
        return bool(self.offer_kind)

    @property
    def awaits_buyer(self) -> bool:
        """
        The seller answered (a message or an offer): the buyer's reply, acceptance or call
        on marketplace staff moves the case on.
        """
        return bool(self.status == self.Status.SELLER_RESPONDED)

    @property
    def awaiting_seller(self) -> bool:
        """The seller owes an answer by ``respond_by``: a new case, or staff asked."""
        return self.status == self.Status.OPEN or (
            self.status == self.Status.UNDER_REVIEW and self.information_requested_at is not None
        )

    @property
    def next_deadline(self):
        return self.respond_by if self.awaiting_seller else None


ACTIVE_STATES = [
    Dispute.Status.OPEN,
    Dispute.Status.SELLER_RESPONDED,
    Dispute.Status.UNDER_REVIEW,
]


class DisputeMessage(models.Model):
    """What the buyer, the seller or staff wrote in a case; staff notes may be internal."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    role = models.CharField(max_length=10, choices=ActorRole)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    internal = models.BooleanField(
        default=False, help_text="A staff note the buyer and the seller never see."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(role=ActorRole.STAFF),
                name="dispute_message_only_staff_internal",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} on case {self.dispute_id}"
