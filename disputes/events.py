"""
The order timeline's words for each change of a case (docs/DESIGN.md §2: an audit row with every
change). The stored summary names who did what in the third person, as staff read it;
the renderers below give the buyer and the seller their own voice ("You opened…",
"…is returned to you"). Decision notes go to the case page and the emails, not here.
"""

from django.conf import settings
from django.utils.text import Truncator

from core import formatting
from orders.actors import Actor
from orders.events import Reader, amount, record_event, renderer, who
from orders.models import SUMMARY_MAX_LENGTH, ActorRole

from .models import Dispute, DisputeEvent


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
    who = {ActorRole.BUYER: "The buyer", ActorRole.SELLER: "The seller"}.get(actor.role, "We")
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
    money = f" {formatting.money(refund)} is returned to the buyer." if refund else ""
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
        return f"a full refund ({formatting.money(dispute.offer_amount)})"
    return f"a partial refund of {formatting.money(dispute.offer_amount)}"


# --- The timeline in each party's voice ------------------------------------------------------
# The stored summary names both parties in the third person (staff read it as it is); the
# buyer and the seller each read their own acts as "you" and what is returned to the buyer
# as returned "to you" or "to the buyer".
def _case(event) -> str:
    return f"case {event.payload.get('dispute')}"


def _returned(event, reader) -> str:
    refund = amount(event, "refund")
    if not refund or refund == "$0.00":
        return ""
    return f" {refund} is returned to {'you' if reader == Reader.BUYER else 'the buyer'}."


def _reason(event) -> str:
    try:
        return f" ({Dispute.Reason(event.payload.get('reason')).label})"
    except ValueError:
        return ""


@renderer(DisputeEvent.OPENED)
def _opened(event, reader):
    if reader == Reader.BUYER:
        return f"You opened {_case(event)}{_reason(event)}."
    if reader == Reader.SELLER:
        return f"The buyer opened {_case(event)}{_reason(event)} and asks you to respond."
    return None


@renderer(DisputeEvent.SELLER_RESPONDED)
def _seller_responded(event, reader):
    return f"You responded to {_case(event)}." if reader == Reader.SELLER else None


@renderer(DisputeEvent.OFFER_MADE)
def _offer_made(event, reader):
    if reader != Reader.SELLER:
        return None
    offered = amount(event, "amount")
    full = event.payload.get("kind") == Dispute.OfferKind.FULL
    what = "a full refund" if full else "a partial refund"
    return f"You offered {what}{f' of {offered}' if offered else ''} in {_case(event)}."


@renderer(DisputeEvent.ESCALATED)
def _escalated(event, reader):
    if reader == Reader.STAFF:
        return None
    if event.actor_role == ActorRole.SYSTEM:
        seller = "You" if reader == Reader.SELLER else "The seller"
        return (
            f"{seller} did not respond in time, so {_case(event)} went to marketplace staff "
            "for review."
        )
    return f"{who(event, reader)} asked marketplace staff to review {_case(event)}."


@renderer(DisputeEvent.INFORMATION_REQUESTED)
def _information_requested(event, reader):
    if reader != Reader.SELLER:
        return None
    return f"Marketplace staff asked you for more information in {_case(event)}."


@renderer(
    DisputeEvent.RESOLVED_FOR_BUYER,
    DisputeEvent.RESOLVED_FOR_SELLER,
    DisputeEvent.RESOLVED_BY_AGREEMENT,
    DisputeEvent.WITHDRAWN,
)
def _resolved(event, reader):
    if reader == Reader.STAFF:
        return None
    buyer = reader == Reader.BUYER
    case = _case(event)
    words = {
        DisputeEvent.RESOLVED_FOR_BUYER: (
            f"Marketplace staff decided {case} for {'you' if buyer else 'the buyer'}."
        ),
        DisputeEvent.RESOLVED_FOR_SELLER: (
            f"Marketplace staff decided {case} for {'the seller' if buyer else 'you'}."
        ),
        DisputeEvent.RESOLVED_BY_AGREEMENT: (
            f"You accepted the seller's offer: {case} is resolved."
            if buyer
            else f"The buyer accepted your offer: {case} is resolved."
        ),
        DisputeEvent.WITHDRAWN: f"{'You' if buyer else 'The buyer'} withdrew {case}.",
    }[event.type]
    return words + _returned(event, reader)
