"""
The cancellation events of the order timeline: the writers, which take the facts and store
them, and the renderers, which word them for each reader (registered with ``orders.events``).

The buyer reads the stored summary: a writer words it through the buyer's renderer here
while the facts are at hand (the money sentence is the one the buyer's email says), so an
event reads the same to the buyer however its facts were stored then. The seller and staff
read the facts through their renderers.
"""

from collections.abc import Callable

from django.conf import settings
from django.utils.text import Truncator

from orders import events
from orders.actors import Actor
from orders.events import Reader, amount, record_event, who
from orders.models import SUMMARY_MAX_LENGTH, ActorRole, Order, OrderEvent, OrderLine

from .models import Cancellation, CancellationRequest, Reason

Type = OrderEvent.Type

# Who cancelled, as the buyer reads it in the timeline and in the email.
# Why the system closed a request (the event's "why"): the other is "shipped".
ITEMS_CANCELLED = "items_cancelled"

CANCELLED_BY_FOR_BUYER = {
    ActorRole.BUYER: "You cancelled",
    ActorRole.SELLER: "The seller cancelled",
    ActorRole.SYSTEM: "We cancelled",
    ActorRole.STAFF: "Marketplace staff cancelled",
}


# --- Writers ---------------------------------------------------------------------------------
def items_cancelled(
    cancellation: Cancellation, actor: Actor, *, chosen: dict[OrderLine, int], money: str
) -> OrderEvent:
    """
    Units were cancelled (``chosen``: line → units), approving a request or not. The
    row is returned unsaved, its summary worded: a batch of cancellations writes all its
    events in one INSERT (``OrderEvent.objects.bulk_create``), in its transaction.
    """
    request = cancellation.request
    request_facts = {"request": request.pk, "request_reason": request.reason} if request else {}
    event = _event(
        cancellation.order,
        Type.ITEMS_CANCELLED,
        actor,
        cancellation=cancellation.pk,
        reason=cancellation.reason,
        items=items_words(chosen),
        units=sum(chosen.values()),
        refund=str(cancellation.refund_amount),
        **request_facts,
    )
    event.summary = Truncator(_buyer_items_cancelled(event, money=money)).chars(SUMMARY_MAX_LENGTH)
    return event


def request_opened(
    cancellation_request: CancellationRequest, actor: Actor, *, chosen: dict[OrderLine, int]
) -> OrderEvent:
    return _request_event(
        cancellation_request,
        Type.CANCELLATION_REQUESTED,
        actor,
        _buyer_requested,
        reason=cancellation_request.reason,
        items=items_words(chosen),
    )


def request_withdrawn(cancellation_request: CancellationRequest, actor: Actor) -> OrderEvent:
    return _request_event(
        cancellation_request, Type.CANCELLATION_REQUEST_WITHDRAWN, actor, _buyer_withdrawn
    )


def request_declined(cancellation_request: CancellationRequest, actor: Actor) -> OrderEvent:
    return _request_event(
        cancellation_request,
        Type.CANCELLATION_REQUEST_DECLINED,
        actor,
        _buyer_declined,
        note=cancellation_request.response_note,
    )


def request_auto_approved(cancellation_request: CancellationRequest) -> OrderEvent:
    return _request_event(
        cancellation_request,
        Type.CANCELLATION_REQUEST_AUTO_APPROVED,
        Actor.system(),
        _buyer_auto_approved,
    )


def request_closed(
    cancellation_request: CancellationRequest, *, items_cancelled: bool = False
) -> OrderEvent:
    """
    Closed by the system: some of the items shipped before the deadline (the request
    job), or every item asked about was cancelled meanwhile (``items_cancelled``).
    """
    why = ITEMS_CANCELLED if items_cancelled else "shipped"
    return _request_event(
        cancellation_request,
        Type.CANCELLATION_REQUEST_CLOSED,
        Actor.system(),
        _buyer_closed,
        why=why,
    )


def items_words(chosen: dict[OrderLine, int]) -> str:
    """ "2 × Blue notebook, 1 × Pen": the facts a timeline row keeps of the units."""
    return ", ".join(f"{qty} × {line.title}" for line, qty in chosen.items())


def _event(order: Order, event_type: str, actor: Actor, **payload: object) -> OrderEvent:
    """The event as it will be stored, for the buyer's renderer to word before it is."""
    return OrderEvent(
        order=order,
        type=event_type,
        actor_role=actor.role,
        actor_user=actor.user,
        payload=payload,
    )


def _request_event(
    cancellation_request: CancellationRequest,
    event_type: str,
    actor: Actor,
    buyer_words: Callable[[OrderEvent], str],
    **facts: object,
) -> OrderEvent:
    """A change of a request: its id and ``facts`` stored, ``buyer_words`` as the summary."""
    event = _event(
        cancellation_request.order, event_type, actor, request=cancellation_request.pk, **facts
    )
    return _record(event, actor, buyer_words(event))


def _record(event: OrderEvent, actor: Actor, summary: str) -> OrderEvent:
    """The audit row, in the caller's transaction (the change it records is in it too)."""
    return record_event(
        event.order,
        OrderEvent.Type(event.type),
        actor,
        Truncator(summary).chars(SUMMARY_MAX_LENGTH),
        **event.payload,
    )


# --- The buyer's words, stored as the summary --------------------------------------------------
def _buyer_items_cancelled(event: OrderEvent, *, money: str) -> str:
    """
    A cancellation that approves the buyer's request says so, with the buyer's own
    reason: its "Buyer cancelled" is the seller's code for it, not what the buyer said.
    """
    items = event.payload["items"]
    if "request" not in event.payload:
        who_cancelled = CANCELLED_BY_FOR_BUYER[ActorRole(event.actor_role)]
        return f"{who_cancelled} {items} ({Reason(event.payload['reason']).label}). {money}"
    reason = Reason(event.payload["request_reason"]).label
    if event.actor_role == ActorRole.SYSTEM:
        return (
            f"Your cancellation request was approved automatically: {items} cancelled "
            f"({reason}). {money}"
        )
    return f"The seller approved your cancellation request: {items} cancelled ({reason}). {money}"


def _buyer_requested(event: OrderEvent) -> str:
    reason = Reason(event.payload["reason"]).label
    return f"You asked the seller to cancel {event.payload['items']} ({reason})."


def _buyer_withdrawn(event: OrderEvent) -> str:
    return "You withdrew your cancellation request."


def _buyer_declined(event: OrderEvent) -> str:
    return f"The seller declined the cancellation request: “{event.payload['note']}”"


def _buyer_auto_approved(event: OrderEvent) -> str:
    hours = settings.CANCELLATION_REQUEST_RESPONSE_HOURS
    return (
        f"The seller did not answer within {hours} hours, so your cancellation "
        "request was approved automatically."
    )


def _buyer_closed(event: OrderEvent) -> str:
    if event.payload.get("why") == ITEMS_CANCELLED:
        return "Your cancellation request was closed: the items it asked about were cancelled."
    return (
        "Your cancellation request was closed: some of the items shipped before the seller "
        "answered."
    )


# --- The seller's and staff's words ------------------------------------------------------------
def _reason(event: OrderEvent, key: str = "reason") -> str:
    try:
        return f" ({Reason(event.payload.get(key)).label})"
    except ValueError:
        return ""


def _items(event: OrderEvent) -> str:
    """ "2 × Blue notebook", or "2 items" from events written before items were stored."""
    if items := event.payload.get("items"):
        return str(items)
    units = event.payload.get("units")
    return f"{units} item{'' if units == 1 else 's'}" if units else "items"


@events.renderer(Type.ITEMS_CANCELLED)
def render_items_cancelled(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    refund = amount(event, "refund")
    money = f" {refund} goes back to the buyer." if refund and refund != "$0.00" else ""
    if "request_reason" in event.payload:
        # An approved buyer request: the buyer's own reason, not the seller's code for it.
        if event.actor_role == ActorRole.SYSTEM:
            approved = "The buyer's cancellation request was approved automatically"
        else:
            approved = f"{who(event, reader)} approved the buyer's cancellation request"
        return f"{approved}: {_items(event)} cancelled{_reason(event, 'request_reason')}.{money}"
    return f"{who(event, reader)} cancelled {_items(event)}{_reason(event)}.{money}"


@events.renderer(Type.CANCELLATION_REQUESTED)
def render_requested(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    whom = "you" if reader == Reader.SELLER else "the seller"
    return f"The buyer asked {whom} to cancel {_items(event)}{_reason(event)}."


@events.renderer(Type.CANCELLATION_REQUEST_WITHDRAWN)
def render_withdrawn(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    return "The buyer withdrew their cancellation request."


@events.renderer(Type.CANCELLATION_REQUEST_DECLINED)
def render_declined(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    note = event.payload.get("note")
    said = f": “{note}”" if note else "."
    return f"{who(event, reader)} declined the buyer's cancellation request{said}"


@events.renderer(Type.CANCELLATION_REQUEST_AUTO_APPROVED)
def render_auto_approved(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    return (
        "The buyer's cancellation request was approved automatically: it was not answered in time."
    )


@events.renderer(Type.CANCELLATION_REQUEST_CLOSED)
def render_closed(event: OrderEvent, reader: str) -> str | None:
    if reader == Reader.BUYER:
        return None
    if event.payload.get("why") == ITEMS_CANCELLED:
        return (
            "The buyer's cancellation request was closed: the items it asked about were cancelled."
        )
    return "The buyer's cancellation request was closed: some of the items had shipped."
