"""
The order timeline in each reader's voice.

An ``OrderEvent`` stores the facts (its type, who acted, a small payload) and, in
``summary``, the sentence the buyer reads. The timeline renders each event for its
reader — the buyer, the seller or marketplace staff — through a renderer registered
for the event's type; an event type with no renderer, or a renderer that has nothing
to say for a reader, shows the stored summary. Apps above ``orders`` register the
renderers for their own event types the way they register panels (``orders.panels``):

    @events.renderer(OrderEvent.Type.CANCELLATION_REQUESTED)
    def requested(event, reader) -> str | None: ...
"""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from core.formatting import money

from .models import ActorRole, OrderEvent


class Reader:
    """Who reads the timeline: the order's buyer, its seller, or marketplace staff."""

    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"


Renderer = Callable[[OrderEvent, str], str | None]
_renderers: dict[str, Renderer] = {}


def renderer(*types: str) -> Callable[[Renderer], Renderer]:
    """Register ``function(event, reader) -> sentence | None`` for these event types."""

    def register(function: Renderer) -> Renderer:
        for event_type in types:
            _renderers[str(event_type)] = function
        return function

    return register


def render(event: OrderEvent, reader: str) -> str:
    """The event's sentence for ``reader``; the stored summary when no renderer says more."""
    if reader not in (Reader.BUYER, Reader.SELLER, Reader.STAFF):
        return event.summary  # a page that did not say who reads: the stored words
    function = _renderers.get(event.type)
    sentence = function(event, reader) if function else None
    return sentence or event.summary


def amount(event: OrderEvent, key: str) -> str | None:
    """A money fact of the payload as "$12.50", or None when missing or not a number."""
    try:
        value = Decimal(str(event.payload.get(key)))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return money(value) if value.is_finite() else None


def who(event: OrderEvent, reader: str) -> str:
    """The actor as the reader names them: "You" for the reader's own acts."""
    if event.actor_role == reader:
        return "You"
    return {
        ActorRole.BUYER: "The buyer",
        ActorRole.SELLER: "The seller",
        ActorRole.SYSTEM: "The marketplace",
        ActorRole.STAFF: "Marketplace staff",
    }.get(event.actor_role, "Someone")


# --- The orders app's own event types ----------------------------------------------------
# The buyer's voice is the stored summary; these give the seller and staff theirs.
Type = OrderEvent.Type


@renderer(Type.PLACED)
def _placed(event, reader):
    if reader == Reader.BUYER:
        return None
    total = amount(event, "total")
    return f"The buyer placed the order{f' ({total})' if total else ''}."


@renderer(Type.PAYMENT_FAILED)
def _payment_failed(event, reader):
    if reader == Reader.BUYER:
        return None
    return "The buyer's payment was declined; nothing ships until they revise it."


@renderer(Type.PAYMENT_REVISED)
def _payment_revised(event, reader):
    if reader == Reader.BUYER:
        return None
    return "The buyer changed their payment method; the payment is being retried."


@renderer(Type.PREPARING)
def _preparing(event, reader):
    if reader == Reader.BUYER:
        return None
    return f"{who(event, reader)} started preparing the order."


@renderer(Type.DELIVERED)
def _delivered(event, reader):
    if reader == Reader.BUYER:
        return None
    return "The package was delivered to the buyer."


@renderer(Type.LATE)
def _late(event, reader):
    if reader == Reader.BUYER:
        return None
    return (
        "The order did not ship by its ship-by date: the buyer may cancel what has not "
        "shipped, and it counts toward the late shipment rate."
    )


@renderer(Type.PAYMENT_ACTION_FAILED)
def _payment_action_failed(event, reader):
    if reader == Reader.BUYER:
        return None
    money = amount(event, "amount")
    return (
        f"A payment call{f' of {money}' if money else ''} failed at the gateway; "
        "marketplace staff have been alerted and will put it right."
    )
