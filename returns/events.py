"""
The order timeline's words for each step of a return (docs/DESIGN.md §2: an audit row with
every change). The stored summary is for staff, in the third person; the renderers give
the buyer and the seller their own voice.
"""

from orders.actors import Actor
from orders.events import Reader, amount, record_event, renderer, who
from orders.models import OrderEvent

from .models import ReturnEvent, ReturnRequest


def record(return_request: ReturnRequest, event: ReturnEvent, actor: Actor, summary: str, **facts):
    """Write the audit row in the caller's transaction (the change it records is in it too)."""
    return record_event(
        return_request.order,
        event,
        actor,
        summary,
        return_request=return_request.pk,
        number=return_request.number,
        **facts,
    )


def requested(return_request: ReturnRequest, actor: Actor) -> OrderEvent:
    return record(
        return_request,
        ReturnEvent.REQUESTED,
        actor,
        f"The buyer asked to return {return_request.units} item(s) "
        f"({return_request.get_reason_display()}), return {return_request.number}.",
        units=return_request.units,
        reason=return_request.get_reason_display(),
    )


def authorized(return_request: ReturnRequest, actor: Actor) -> OrderEvent:
    return record(
        return_request,
        ReturnEvent.AUTHORIZED,
        actor,
        f"Return {return_request.number} was authorized"
        + (" automatically: the seller did not answer in time." if actor.role == "system" else "."),
    )


def shipped_back(return_request: ReturnRequest, actor: Actor, *, corrected: bool) -> OrderEvent:
    verb = "corrected the tracking of" if corrected else "shipped back"
    return record(
        return_request,
        ReturnEvent.SHIPPED_BACK,
        actor,
        f"The buyer {verb} return {return_request.number} "
        f"({return_request.carrier} {return_request.tracking_number}).",
    )


def delivered_back(return_request: ReturnRequest, actor: Actor) -> OrderEvent:
    return record(
        return_request,
        ReturnEvent.DELIVERED_BACK,
        actor,
        f"Return {return_request.number} was delivered to the seller.",
    )


def refunded(return_request: ReturnRequest, actor: Actor) -> OrderEvent:
    if return_request.returnless:
        how = "refunded without the item coming back (the store's rule)"
    elif actor.role == "system":
        how = "refunded in full: the seller did not mark it received in time"
    else:
        how = f"received ({return_request.get_condition_display().lower()}) and refunded"
    return record(
        return_request,
        ReturnEvent.REFUNDED,
        actor,
        f"Return {return_request.number} was {how}: ${return_request.refund_amount}"
        + (
            f" (restocking fee ${return_request.restocking_fee})."
            if return_request.restocking_fee
            else "."
        ),
        amount=str(return_request.refund_amount),
        fee=str(return_request.restocking_fee),
    )


def closed(return_request: ReturnRequest, actor: Actor) -> OrderEvent:
    return record(
        return_request,
        ReturnEvent.CLOSED,
        actor,
        f"Return {return_request.number} was closed: {return_request.get_close_reason_display()}.",
        reason=return_request.get_close_reason_display(),
    )


# --- Each reader's words ----------------------------------------------------------------------
@renderer(ReturnEvent.REQUESTED)
def _requested(event, reader):
    if reader == Reader.BUYER:
        return (
            f"You asked to return {event.payload.get('units')} item(s) "
            f"({event.payload.get('reason')}): return {event.payload.get('number')}."
        )
    if reader == Reader.SELLER:
        return (
            f"The buyer asked to return {event.payload.get('units')} item(s) "
            f"({event.payload.get('reason')}): return {event.payload.get('number')}."
        )
    return None


@renderer(ReturnEvent.AUTHORIZED)
def _authorized(event, reader):
    number = event.payload.get("number")
    if event.actor_role == "system":
        if reader == Reader.SELLER:
            return f"Return {number} was authorized for you: you did not answer in time."
        return None
    if reader == Reader.BUYER:
        return f"The seller authorized return {number}: ship it back."
    if reader == Reader.SELLER:
        return f"You authorized return {number}."
    return None


@renderer(ReturnEvent.REFUNDED)
def _refunded(event, reader):
    refund = amount(event, "amount")
    number = event.payload.get("number")
    if reader == Reader.BUYER and refund:
        return f"Return {number}: {refund} is refunded to you."
    if reader == Reader.SELLER and refund:
        return f"Return {number}: {refund} was refunded to the buyer."
    return None


@renderer(ReturnEvent.CLOSED)
def _closed(event, reader):
    actor = who(event, reader)
    return f"{actor} closed return {event.payload.get('number')}: {event.payload.get('reason')}."
