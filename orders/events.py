"""
The order timeline in each reader's voice, and the writers of the orders app's rows.

An ``OrderEvent`` stores the facts (its type, who acted, a small payload) and, in
``summary``, the sentence the buyer reads. The timeline renders each event for its
reader — the buyer, the seller or marketplace staff — through a renderer registered
for the event's type; an event type with no renderer, or a renderer that has nothing
to say for a reader, shows the stored summary. Apps above ``orders`` register the
renderers for their own event types the way they register panels (``orders.panels``):

    @events.renderer(OrderEvent.Type.CANCELLATION_REQUESTED)
    def requested(event, reader) -> str | None: ...

The orders app's own rows are written by the typed writers below (facts in, no prose):
each stores the payload and takes its summary from the buyer's renderer, so the stored
sentence and the rendered one cannot drift apart.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from core.formatting import money
from payments.models import Payment, PaymentTransaction

from .actors import Actor
from .models import ActorRole, Order, OrderEvent, Shipment


class Reader(StrEnum):
    """
    Who reads the timeline: the order's buyer, its seller, or marketplace staff. The
    values are the matching ``ActorRole``'s (an event's actor is "You" to the reader of
    the same role); the system acts but never reads, so it is no reader.
    """

    BUYER = ActorRole.BUYER.value
    SELLER = ActorRole.SELLER.value
    STAFF = ActorRole.STAFF.value


Renderer = Callable[[OrderEvent, Reader], str | None]
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
    try:
        reader = Reader(reader)
    except ValueError:
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
    if event.actor_role == ActorRole(reader):
        return "You"
    return {
        ActorRole.BUYER: "The buyer",
        ActorRole.SELLER: "The seller",
        ActorRole.SYSTEM: "The marketplace",
        ActorRole.STAFF: "Marketplace staff",
    }.get(ActorRole(event.actor_role), "Someone")


def record_event(order: Order, type: str, actor: Actor, summary: str, **payload: Any) -> OrderEvent:
    """The audit row: call it in the same transaction as the change it records."""
    return OrderEvent.objects.create(
        order=order,
        type=type,
        actor_role=actor.role,
        actor_user=actor.user,
        summary=summary,
        payload=payload,
    )


def _record(order: Order, type: OrderEvent.Type, actor: Actor, **payload: Any) -> OrderEvent:
    """An orders row from its facts, its summary in the buyer's words (their renderer)."""
    facts = OrderEvent(order=order, type=type, actor_role=actor.role, payload=payload)
    summary = _renderers[type](facts, Reader.BUYER)
    if not summary:
        raise ValueError(f"The buyer's renderer of {type} has no words for these facts.")
    return record_event(order, type, actor, summary, **payload)


# --- The orders app's own rows: the writers -------------------------------------------------
Type = OrderEvent.Type


def order_placed(order: Order, actor: Actor) -> OrderEvent:
    return _record(order, Type.PLACED, actor, total=str(order.total), store=order.seller.store_name)


def payment_authorized(order: Order, payment: Payment) -> OrderEvent:
    return _record(
        order,
        Type.PAYMENT_AUTHORIZED,
        Actor.system(),
        amount=str(payment.amount),
        card_last4=payment.card_last4,
    )


def payment_declined(order: Order, *, reason: str, revise_days: int) -> OrderEvent:
    """The first card was declined: ``reason`` in the buyer's words, the days to revise it."""
    return _record(
        order, Type.PAYMENT_FAILED, Actor.system(), reason=reason, revise_days=revise_days
    )


def revised_payment_declined(order: Order) -> OrderEvent:
    return _record(order, Type.PAYMENT_FAILED, Actor.system(), again=True)


def payment_revised(order: Order, actor: Actor) -> OrderEvent:
    return _record(order, Type.PAYMENT_REVISED, actor)


def preparing(order: Order, actor: Actor) -> OrderEvent:
    return _record(order, Type.PREPARING, actor)


def shipment_confirmed(
    order: Order, shipment: Shipment, actor: Actor, shipped: dict[int, int]
) -> OrderEvent:
    """``shipped``: line id → units this shipment took."""
    return _record(
        order,
        Type.SHIPPED,
        actor,
        shipment=shipment.pk,
        lines={str(line_id): units for line_id, units in shipped.items()},
        units=sum(shipped.values()),
        carrier=shipment.carrier,
        tracking=shipment.tracking_number,
    )


def delivered(order: Order, actor: Actor) -> OrderEvent:
    return _record(order, Type.DELIVERED, actor)


def delay_notice_sent(order: Order, *, open_units: int, auto_cancel_at: datetime) -> OrderEvent:
    return _record(
        order,
        Type.LATE,
        Actor.system(),
        ship_by=order.ship_by.isoformat(),
        units=open_units,
        auto_cancel_at=auto_cancel_at.isoformat(),
    )


def payment_action_failed(order: Order, payment_transaction: PaymentTransaction) -> OrderEvent:
    return _record(
        order,
        Type.PAYMENT_ACTION_FAILED,
        Actor.system(),
        transaction=payment_transaction.pk,
        kind=payment_transaction.kind,
        amount=str(payment_transaction.amount),
    )


def payment_hold_released(order: Order, *, amount: Decimal, expired: bool) -> OrderEvent:
    return _record(
        order, Type.PAYMENT_HOLD_RELEASED, Actor.system(), amount=str(amount), expired=expired
    )


# --- The orders app's own rows: their words -----------------------------------------------
# The buyer's sentence is stored as the summary when the row is written; rows written
# before their facts were stored (no such payload) keep showing that stored sentence.
FAILED_ACTIONS = {
    PaymentTransaction.Kind.CAPTURE: "Charging ${amount} for shipped items failed.",
    PaymentTransaction.Kind.VOID: "Releasing the ${amount} hold on your card failed.",
    PaymentTransaction.Kind.REFUND: "Your refund of ${amount} failed.",
}


@renderer(Type.PLACED)
def _placed(event: OrderEvent, reader: Reader) -> str | None:
    if reader == Reader.BUYER:
        store = event.payload.get("store")
        return f"Order placed with {store}." if store else None
    total = amount(event, "total")
    return f"The buyer placed the order{f' ({total})' if total else ''}."


@renderer(Type.PAYMENT_AUTHORIZED)
def _payment_authorized(event: OrderEvent, reader: Reader) -> str | None:
    """The same words for every reader: the money and the card, nothing anyone did."""
    money, last4 = event.payload.get("amount"), event.payload.get("card_last4")
    if money is None or last4 is None:
        return None
    return f"Payment of ${money} authorized (card ending {last4})."


@renderer(Type.PAYMENT_FAILED)
def _payment_failed(event: OrderEvent, reader: Reader) -> str | None:
    if reader != Reader.BUYER:
        return "The buyer's payment was declined; nothing ships until they revise it."
    if event.payload.get("again"):
        return "The new payment method was declined too."
    if "reason" not in event.payload or "revise_days" not in event.payload:
        return None
    return (
        f"Payment declined. {event.payload['reason']} Revise your payment within "
        f"{event.payload['revise_days']} days to keep the order."
    )


@renderer(Type.PAYMENT_REVISED)
def _payment_revised(event: OrderEvent, reader: Reader) -> str:
    if reader == Reader.BUYER:
        return "Payment method updated; retrying."
    return "The buyer changed their payment method; the payment is being retried."


@renderer(Type.PREPARING)
def _preparing(event: OrderEvent, reader: Reader) -> str:
    if reader == Reader.BUYER:
        return "The seller is preparing your order."
    return f"{who(event, reader)} started preparing the order."


@renderer(Type.SHIPPED)
def _shipped(event: OrderEvent, reader: Reader) -> str | None:
    """The same words for every reader: what shipped, with whom, under which number."""
    units, carrier = event.payload.get("units"), event.payload.get("carrier")
    if units is None or carrier is None:
        return None
    return (
        f"{units} item{'s' if units != 1 else ''} shipped with {carrier} "
        f"(tracking {event.payload.get('tracking', '')})."
    )


@renderer(Type.DELIVERED)
def _delivered(event: OrderEvent, reader: Reader) -> str:
    if reader == Reader.BUYER:
        return "Your package was delivered."
    return "The package was delivered to the buyer."


@renderer(Type.LATE)
def _late(event: OrderEvent, reader: Reader) -> str | None:
    if reader != Reader.BUYER:
        return (
            "The order did not ship by its ship-by date: the buyer may cancel what has not "
            "shipped, and it counts toward the late shipment rate."
        )
    try:
        ship_by = datetime.fromisoformat(event.payload["ship_by"])
    except (KeyError, TypeError, ValueError):
        return None
    return (
        f"Your order did not ship by {ship_by:%b %d}. You may cancel the "
        "items that have not shipped at no cost."
    )


@renderer(Type.PAYMENT_ACTION_FAILED)
def _payment_action_failed(event: OrderEvent, reader: Reader) -> str | None:
    if reader == Reader.BUYER:
        words = FAILED_ACTIONS.get(event.payload.get("kind"))
        if words is None or "amount" not in event.payload:
            return None
        failed = words.format(amount=event.payload["amount"])
        return f"{failed} Our team has been alerted and will put it right."
    money = amount(event, "amount")
    return (
        f"A payment call{f' of {money}' if money else ''} failed at the gateway; "
        "marketplace staff have been alerted and will put it right."
    )


@renderer(Type.PAYMENT_HOLD_RELEASED)
def _payment_hold_released(event: OrderEvent, reader: Reader) -> str | None:
    """Nothing was charged: what ships from now on is charged to the card anew."""
    money = amount(event, "amount")
    if money is None:
        return None
    expired = bool(event.payload.get("expired"))
    if reader == Reader.BUYER:
        how = "expired and was released" if expired else "was released by our payment processor"
        return (
            f"The {money} hold on your card {how}. Items that still ship are charged to "
            "your card when they ship."
        )
    how = "expired at the bank" if expired else "was cancelled at Stripe"
    return (
        f"The {money} hold on the buyer's card {how}. Items shipped from now on are charged "
        "to the card anew, which the bank may decline."
    )
