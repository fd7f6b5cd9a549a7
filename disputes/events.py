"""
The order timeline's words for each change of a case (DESIGN: an audit row with every
change). The buyer and the seller both read the order's timeline, so each summary
names who did what; decision notes go to the case page and the emails, not here.
"""

from django.conf import settings
from django.utils.text import Truncator

from orders.actors import Actor
from orders.models import OrderEvent
from orders.services import record_event

from .models import Dispute, DisputeEvent

SUMMARY_MAX_LENGTH = OrderEvent._meta.get_field("summary").max_length


def record(dispute: Dispute, event: DisputeEvent, actor: Actor, summary: str, **payload):
    """Write the audit row in the caller's transaction (the change it records is in it too)."""
    return record_event(
        dispute.order,
        event,
        actor,
        Truncator(summary).chars(SUMMARY_MAX_LENGTH),
        dispute=dispute.pk,
        status=dispute.status,
        **payload,
    )


def opened(dispute: Dispute, actor: Actor):
    return record(
        dispute,
        DisputeEvent.OPENED,
        actor,
        f"The buyer opened case {dispute.pk} ({dispute.get_reason_display()}). "
        f"The seller is asked to respond within {settings.DISPUTE_SELLER_RESPONSE_HOURS} hours.",
        reason=dispute.reason,
    )


def seller_responded(dispute: Dispute, actor: Actor):
    return record(
        dispute, DisputeEvent.SELLER_RESPONDED, actor, f"The seller responded to case {dispute.pk}."
    )


def offer_made(dispute: Dispute, actor: Actor):
    return record(
        dispute,
        DisputeEvent.OFFER_MADE,
        actor,
        f"The seller offered {offer_words(dispute)} in case {dispute.pk}.",
        kind=dispute.offer_kind,
        amount=str(dispute.offer_amount),
    )


def escalated(dispute: Dispute, actor: Actor):
    who = {"buyer": "The buyer", "seller": "The seller"}.get(actor.role, "We")
    if dispute.seller_unresponsive:
        summary = (
            f"The seller did not respond in time, so case {dispute.pk} went to "
            "marketplace staff for review."
        )
    else:
        summary = f"{who} asked marketplace staff to review case {dispute.pk}."
    return record(dispute, DisputeEvent.ESCALATED, actor, summary, by=actor.role)


def information_requested(dispute: Dispute, actor: Actor):
    return record(
        dispute,
        DisputeEvent.INFORMATION_REQUESTED,
        actor,
        f"Marketplace staff asked the seller for more information in case {dispute.pk}, "
        f"due within {settings.DISPUTE_SELLER_RESPONSE_HOURS} hours.",
    )


def resolved(dispute: Dispute, actor: Actor):
    refund = dispute.refund_amount or 0
    money = f" ${refund} is returned to the buyer." if refund else ""
    event, words = {
        Dispute.Status.RESOLVED_FOR_BUYER: (
            DisputeEvent.RESOLVED_FOR_BUYER,
            "Marketplace staff decided case {pk} for the buyer.",
        ),
        Dispute.Status.RESOLVED_FOR_SELLER: (
            DisputeEvent.RESOLVED_FOR_SELLER,
            "Marketplace staff decided case {pk} for the seller.",
        ),
        Dispute.Status.RESOLVED_BY_AGREEMENT: (
            DisputeEvent.RESOLVED_BY_AGREEMENT,
            "The buyer accepted the seller's offer: case {pk} is resolved.",
        ),
        Dispute.Status.WITHDRAWN: (DisputeEvent.WITHDRAWN, "The buyer withdrew case {pk}."),
    }[dispute.status]
    return record(dispute, event, actor, words.format(pk=dispute.pk) + money, refund=str(refund))


def offer_words(dispute: Dispute) -> str:
    if dispute.offer_kind == Dispute.OfferKind.FULL:
        return f"a full refund (${dispute.offer_amount})"
    return f"a partial refund of ${dispute.offer_amount}"
