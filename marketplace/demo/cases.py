"""
The demo's Resolution Center: a case in each state on delivered orders of `buyer`, opened
and walked through the real services, so staff has an escalated case to decide and `buyer`
a seller's partial offer to answer. Seeded once, like the demo orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from disputes import services as disputes
from disputes.models import Dispute
from disputes.selectors import money_summary
from orders.actors import Actor
from orders.models import ActorRole, Order
from payments.models import PaymentTransaction
from payments.services import execute_transaction

from .cast import (
    CUTTING_BOARD,
    FOUNTAIN_PEN,
    KETTLE,
    MUGS,
    NOTEBOOK,
    ORGANIZER,
    STICKY_NOTES,
    seed_listings,
)
from .story import ALL, DemoOrder, seed_order

if TYPE_CHECKING:
    from django.contrib.auth.models import User

R = Dispute.Reason
# (listing bought, reason, the state the case is walked to, the buyer's description)
CASES = [
    (ORGANIZER, R.NOT_AS_DESCRIBED, "open", "The walnut is a veneer, not solid wood."),
    (FOUNTAIN_PEN, R.NOT_AS_DESCRIBED, "offer", "The nib is medium, not fine."),
    (KETTLE, R.ITEM_NOT_RECEIVED, "escalated", "Tracking says delivered; nothing came."),
    (MUGS, R.NOT_AS_DESCRIBED, "for_buyer", "Two of the four mugs arrived chipped."),
    (NOTEBOOK, R.NOT_AS_DESCRIBED, "for_seller", "The paper bleeds with my ink."),
    (CUTTING_BOARD, R.NOT_AS_DESCRIBED, "agreement", "Smaller than the listing says."),
    (STICKY_NOTES, R.NOT_AS_DESCRIBED, "withdrawn", "Wrong colour, I thought."),
]


@dataclass(frozen=True)
class Case:
    """An open case and who may act on it."""

    pk: int
    order: Order
    buyer: Actor
    seller: Actor
    staff: Actor

    @property
    def half(self) -> Decimal:
        """Half the order's total: the partial refunds offered."""
        return (self.order.total / 2).quantize(Decimal("0.01"))


def seed_disputes(users: dict[str, User]) -> None:
    """A case for each of CASES, on a delivered order of its own; none if `buyer` has one."""
    buyer = users["buyer"]
    if Dispute.objects.filter(buyer=buyer).exists():
        return
    listings = seed_listings(users)
    staff = Actor(ActorRole.STAFF, users["staff"])
    for title, reason, outcome, description in CASES:
        seed_order(
            users,
            listings,
            DemoOrder(
                "buyer",
                [(title, 1)],
                placed=timedelta(days=20),
                shipments=[(timedelta(days=18), ALL)],
                delivered=timedelta(days=15),
            ),
        )
        order = Order.objects.filter(buyer=buyer).latest("pk")
        charge_shipments(order)
        seller = Actor.seller(order.seller.user)
        case = disputes.open_dispute(
            order_id=order.pk, reason=reason, description=description, actor=Actor.buyer(buyer)
        ).pk
        walk = OUTCOMES.get(outcome)
        if walk is not None:
            walk(Case(case, order, Actor.buyer(buyer), seller, staff))


def charge_shipments(order: Order) -> None:
    """
    Charge the shipment now (the outbox would after this transaction), so the cases have
    charged money to refund; the outbox then finds it done.
    """
    for capture in PaymentTransaction.objects.filter(
        payment_id=order.payment_id, status=PaymentTransaction.Status.PENDING
    ):
        execute_transaction(transaction_id=capture.pk)


def _offer(case: Case) -> None:
    disputes.make_offer(
        dispute_id=case.pk,
        kind="partial",
        amount=case.half,
        message="Sorry about that! Keep the pen and take half back?",
        actor=case.seller,
    )


def _escalated(case: Case) -> None:
    Dispute.objects.filter(pk=case.pk).update(respond_by=timezone.now())
    disputes.escalate_unresponsive(dispute_id=case.pk)


def _for_buyer(case: Case) -> None:
    # The buyer may ask staff once the seller has answered.
    disputes.post_message(dispute_id=case.pk, body="They left here well packed.", actor=case.seller)
    disputes.escalate(dispute_id=case.pk, actor=case.buyer)
    disputes.resolve_for_buyer(
        dispute_id=case.pk,
        note="The photos show the damage.",
        actor=case.staff,
        money_seen=money_summary(Order.objects.get(pk=case.order.pk)).seen,
    )


def _for_seller(case: Case) -> None:
    disputes.post_message(
        dispute_id=case.pk, body="The listing says: fountain pens may bleed.", actor=case.seller
    )
    disputes.escalate(dispute_id=case.pk, actor=case.seller)
    disputes.resolve_for_seller(
        dispute_id=case.pk, note="The listing warns about ink.", actor=case.staff
    )


def _agreement(case: Case) -> None:
    disputes.make_offer(dispute_id=case.pk, kind="partial", amount=case.half, actor=case.seller)
    offer = Dispute.objects.get(pk=case.pk)
    disputes.accept_offer(
        dispute_id=case.pk, actor=case.buyer, offer_seen=offer.offer_version, refund_seen=case.half
    )


def _withdrawn(case: Case) -> None:
    disputes.withdraw(dispute_id=case.pk, actor=case.buyer)


# How each case is walked past opening ("open" stays as it was opened).
OUTCOMES: dict[str, Callable[[Case], None]] = {
    "offer": _offer,
    "escalated": _escalated,
    "for_buyer": _for_buyer,
    "for_seller": _for_seller,
    "agreement": _agreement,
    "withdrawn": _withdrawn,
}
