"""
The only writers of returns (docs/DESIGN.md §19).

Each act runs in one transaction: it locks the order and its lines (``lock_order``, the
one lock order everywhere), then the return, re-checks the rules on the locked rows,
moves the return on, writes the timeline row and queues the emails and the refund in the
outbox. A refusal is a ``ReturnError`` whose message the person may read; nothing changed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.services import restock
from core.text import clean_text
from notifications import outbox
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine
from orders.services import lock_order
from payments import services as payments

from . import events, notifications, rules
from .models import (
    NOTE_MAX_LENGTH,
    SELLER_CLOSE_REASONS,
    ZERO,
    CloseReason,
    ItemCondition,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)

logger = logging.getLogger(__name__)

TRACKING_MAX_LENGTH = 50


class ReturnError(Exception):
    """A return rule said no; nothing changed. ``str(error)`` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReturnPreview:
    """What a return would come to, shown on the review page before the buyer confirms."""

    item_value: Decimal
    max_restocking_fee: Decimal
    seller_fault: bool
    returnless: bool

    @property
    def refund_at_least(self) -> Decimal:
        """The least the buyer gets back: the value less the largest fee the rules allow."""
        return self.item_value - self.max_restocking_fee

    @property
    def return_shipping_paid_by(self) -> str:
        return "seller" if self.seller_fault else "buyer"


def refund_key(return_request: ReturnRequest) -> str:
    """The idempotency key of a return's refund (its release: ``void:``/``refund:`` + this)."""
    return f"return:{return_request.pk}"


# --- The buyer asks -------------------------------------------------------------------------
def preview_return(
    *,
    order: Order,
    lines: list[OrderLine],
    quantities: dict[int, int],
    reason: str,
    opened: bool,
    returns: list[ReturnRequest] | None = None,
) -> ReturnPreview:
    """The terms of returning ``quantities`` (order line id → units); ReturnError if impossible."""
    if reason not in ReturnReason.values:
        raise ReturnError("Choose a reason from the list.")
    if returns is None:
        returns = list(order.returns.prefetch_related("lines"))
    chosen = _chosen_units(lines, quantities, rules.returnable_units(lines, returns))
    value = sum((line.unit_price * qty for line, qty in chosen.items()), Decimal(0))
    return ReturnPreview(
        item_value=value,
        max_restocking_fee=rules.max_restocking_fee(reason=reason, opened=opened, item_value=value),
        seller_fault=rules.is_seller_fault(reason),
        returnless=rules.is_returnless(order.seller, value),
    )


def request_return(
    *,
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    note: str,
    opened: bool,
    actor: Actor,
    expected_refund: Decimal | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """
    The buyer asks to return units of a delivered order, all or nothing. ``expected_refund``
    is the least refund the review page promised: refused if the terms changed since. A
    store's returnless rule refunds it at once. The same ``idempotency_key`` again returns
    the return it made.
    """
    now = now or timezone.now()
    with transaction.atomic(), outbox.batch():
        order, lines = lock_order(order_id)
        if idempotency_key and (done := _made_with(idempotency_key, order)):
            return done
        _check_actor(order, actor, ActorRole.BUYER)
        returns = list(order.returns.prefetch_related("lines"))
        if refusal := rules.why_not_return(order, lines, returns, now):
            raise ReturnError(refusal)
        note = _clean(note, what="note", required=False)
        if rules.needs_note(reason) and not note:
            raise ReturnError("Say how the item is not as described: the seller needs to know.")
        preview = preview_return(
            order=order, lines=lines, quantities=quantities, reason=reason, opened=opened,
            returns=returns,
        )  # fmt: skip
        if expected_refund is not None and expected_refund != preview.refund_at_least:
            raise ReturnError(
                "The terms of this return changed since you reviewed it. Review it again."
            )
        return_request = _write_request(
            order, lines, quantities, preview, reason=reason, note=note, opened=opened,
            actor=actor, idempotency_key=idempotency_key, number=len(returns) + 1, now=now,
        )  # fmt: skip
        events.requested(return_request, actor)
        if preview.returnless:
            _refund(order, return_request, fee=ZERO, restock_units=False, actor=Actor.system())
        else:
            notifications.return_requested(return_request)
        return return_request


def _made_with(key: str, order: Order) -> ReturnRequest | None:
    found = ReturnRequest.objects.filter(idempotency_key=key).first()
    if found is not None and found.order_id != order.pk:
        raise ReturnError("This form was already used for another order.")
    return found


def _chosen_units(
    lines: list[OrderLine], quantities: dict[int, int], returnable: dict[int, int]
) -> dict[OrderLine, int]:
    """Order line → units to return, each of this order and at most what may still return."""
    by_id = {line.pk: line for line in lines}
    chosen = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not chosen:
        raise ReturnError("Choose at least one item to return.")
    for line_id, qty in chosen.items():
        line = by_id.get(line_id)
        if line is None:
            raise ReturnError("An item you chose is not part of this order.")
        most = returnable.get(line_id, 0)
        if not 0 < qty <= most:
            raise ReturnError(f"“{line.title}”: you can return at most {most}.")
    return {by_id[line_id]: qty for line_id, qty in chosen.items()}


def _write_request(
    order: Order,
    lines: list[OrderLine],
    quantities: dict[int, int],
    preview: ReturnPreview,
    *,
    reason: str,
    note: str,
    opened: bool,
    actor: Actor,
    idempotency_key: str | None,
    number: int,
    now: datetime,
) -> ReturnRequest:
    return_request = ReturnRequest.objects.create(
        order=order,
        number=f"RMA-{order.number}-{number}",
        buyer=actor.person(),
        reason=reason,
        note=note,
        opened=opened,
        seller_fault=preview.seller_fault,
        returnless=preview.returnless,
        item_value=preview.item_value,
        max_restocking_fee=preview.max_restocking_fee,
        requested_at=now,
        respond_by=rules.respond_by(now),
        idempotency_key=idempotency_key,
    )
    by_id = {line.pk: line for line in lines}
    ReturnLine.objects.bulk_create(
        ReturnLine(return_request=return_request, order_line=by_id[line_id], quantity=qty)
        for line_id, qty in quantities.items()
        if qty
    )
    return return_request


def withdraw_return(*, return_id: int, actor: Actor) -> ReturnRequest:
    """The buyer takes the return back while it has not been shipped."""
    with transaction.atomic(), outbox.batch():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.BUYER)
        if return_request.status not in (ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED):
            raise ReturnError("This return can no longer be withdrawn.")
        _close(return_request, CloseReason.WITHDRAWN, "", actor)
        return return_request


# --- The seller (or the system) answers -------------------------------------------------------
def authorize_return(*, return_id: int, actor: Actor, now: datetime | None = None) -> ReturnRequest:
    """The seller (or the deadline job, as the system) accepts: the buyer may ship it back."""
    now = now or timezone.now()
    with transaction.atomic(), outbox.batch():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.SELLER, ActorRole.SYSTEM)
        if return_request.status != ReturnStatus.REQUESTED:
            raise ReturnError("This return was already answered.")
        address = store_return_address(order)
        if not address and actor.role == ActorRole.SELLER:
            raise ReturnError("Add your store's return address first, then authorize the return.")
        return_request.authorize()
        return_request.authorized_at = now
        return_request.authorized_by = actor.role
        return_request.ship_back_by = rules.ship_back_by(now)
        return_request.return_address = address
        return_request.save()
        events.authorized(return_request, actor)
        notifications.return_authorized(return_request)
        return return_request


def store_return_address(order: Order) -> str:
    """The store's return address as it goes on a parcel; "" when the store has none."""
    seller = order.seller
    if not (seller.return_line1 and seller.return_city):
        return ""
    parts = [
        seller.return_name or seller.store_name,
        seller.return_line1,
        seller.return_line2,
        " ".join(p for p in (seller.return_city, seller.return_state, seller.return_postcode) if p),
        seller.return_country,
    ]
    return "\n".join(part for part in parts if part)


def close_return(*, return_id: int, reason: str, note: str, actor: Actor) -> ReturnRequest:
    """
    The seller refuses a request (outside the window, not sold here), with a note the buyer
    reads; the buyer may then open a case. The system closes an authorized return that was
    not shipped back in time.
    """
    with transaction.atomic(), outbox.batch():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.SELLER, ActorRole.SYSTEM)
        if actor.role == ActorRole.SELLER:
            if reason not in SELLER_CLOSE_REASONS:
                raise ReturnError("Choose a reason from the list.")
            if return_request.status != ReturnStatus.REQUESTED:
                raise ReturnError("This return was already answered.")
        elif reason != CloseReason.NOT_SHIPPED_BACK or (
            return_request.status != ReturnStatus.AUTHORIZED
        ):
            raise ReturnError("This return cannot be closed for that reason now.")
        _close(return_request, reason, _clean(note, what="note", required=False), actor)
        return return_request


def _close(return_request: ReturnRequest, reason: str, note: str, actor: Actor) -> None:
    return_request.close()
    return_request.closed_at = timezone.now()
    return_request.close_reason = reason
    return_request.close_note = note
    return_request.save()
    events.closed(return_request, actor)
    notifications.return_closed(return_request)


# --- The parcel --------------------------------------------------------------------------------
def add_tracking(
    *, return_id: int, carrier: str, tracking_number: str, actor: Actor
) -> ReturnRequest:
    """The buyer ships it back and says how; the same again corrects the tracking."""
    with transaction.atomic(), outbox.batch():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.BUYER)
        if return_request.status not in (ReturnStatus.AUTHORIZED, ReturnStatus.SHIPPED_BACK):
            raise ReturnError("This return is not waiting for a parcel.")
        first = return_request.status == ReturnStatus.AUTHORIZED
        return_request.ship_back()
        return_request.carrier = _clean(carrier, what="carrier", max_length=TRACKING_MAX_LENGTH)
        return_request.tracking_number = _clean(
            tracking_number, what="tracking number", max_length=TRACKING_MAX_LENGTH
        )
        if first:
            return_request.shipped_back_at = timezone.now()
        return_request.save()
        events.shipped_back(return_request, actor, corrected=not first)
        if first:
            notifications.return_shipped_back(return_request)
        return return_request


def mark_delivered_back(
    *, return_id: int, actor: Actor, now: datetime | None = None
) -> ReturnRequest:
    """The carrier delivered the parcel to the seller (its scan; the system records it)."""
    now = now or timezone.now()
    with transaction.atomic():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.SYSTEM, ActorRole.STAFF)
        if return_request.status != ReturnStatus.SHIPPED_BACK:
            raise ReturnError("This return is not on its way back.")
        return_request.deliver_back()
        return_request.delivered_back_at = now
        return_request.receive_by = rules.receive_by(now)
        return_request.save()
        events.delivered_back(return_request, actor)
        return return_request


def receive_return(
    *, return_id: int, condition: str, restocking_fee: Decimal, actor: Actor
) -> ReturnRequest:
    """
    The seller has the item back: sellable units go back on the shelf, and the buyer is
    refunded the value less the fee (at most what the rules allowed when the buyer
    confirmed). The system refunds in full, restocking nothing, when the seller did not
    mark a delivered parcel received in time.
    """
    with transaction.atomic(), outbox.batch():
        order, _lines, return_request = _lock(return_id)
        _check_actor(order, actor, ActorRole.SELLER, ActorRole.SYSTEM)
        if return_request.status not in (ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK):
            raise ReturnError("This return is not waiting to be received.")
        # The system refunds a parcel nobody marked received: its condition is unknown ("").
        if condition not in ItemCondition.values and not (
            actor.role == ActorRole.SYSTEM and condition == ""
        ):
            raise ReturnError("Say whether the item can be sold again.")
        if not ZERO <= restocking_fee <= return_request.max_restocking_fee:
            raise ReturnError(
                f"The restocking fee can be at most {return_request.max_restocking_fee}."
            )
        return_request.condition = condition
        _refund(
            order,
            return_request,
            fee=restocking_fee,
            restock_units=condition == ItemCondition.SELLABLE,
            actor=actor,
        )
        return return_request


def _refund(
    order: Order,
    return_request: ReturnRequest,
    *,
    fee: Decimal,
    restock_units: bool,
    actor: Actor,
) -> None:
    """Refund the value less ``fee`` through payments, restock if asked, and tell both."""
    amount = return_request.item_value - fee
    if amount > 0:
        try:
            payments.schedule_release(
                payment_id=order.payment_id,
                amount=amount,
                idempotency_key=refund_key(return_request),
            )
        except payments.PaymentError as error:
            logger.error("Cannot refund return %s: %s", return_request.number, error.detail)
            raise ReturnError(
                "We could not refund this return, so nothing changed. Please try again later "
                "or contact us."
            ) from None
    if restock_units:
        # Listings in id order, like checkout and cancellations: no deadlocks.
        for line in sorted(return_request.lines.select_related("order_line"), key=_listing_id):
            restock(listing_id=line.order_line.listing_id, quantity=line.quantity)
    return_request.refund()
    return_request.restocking_fee = fee
    return_request.refund_amount = amount
    return_request.restocked = restock_units
    return_request.received_at = None if return_request.returnless else timezone.now()
    return_request.received_by = "" if return_request.returnless else actor.role
    return_request.save()
    events.refunded(return_request, actor)
    notifications.return_refunded(return_request)


def _listing_id(line: ReturnLine) -> int:
    return line.order_line.listing_id


# --- Helpers -------------------------------------------------------------------------------------
def _lock(
    return_id: int, *, skip_locked: bool = False
) -> tuple[Order, list[OrderLine], ReturnRequest]:
    """The return's order and lines locked (``lock_order``), then the return itself."""
    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ReturnError("There is no such return.")
    order, lines = lock_order(order_id, skip_locked=skip_locked)
    return_request = ReturnRequest.objects.select_for_update().get(pk=return_id)
    return order, lines, return_request


def lock_return(
    return_id: int, *, skip_locked: bool = False
) -> tuple[Order, list[OrderLine], ReturnRequest]:
    """``_lock`` for the beat jobs (``skip_locked``: Order.DoesNotExist when someone holds it)."""
    return _lock(return_id, skip_locked=skip_locked)


def _check_actor(order: Order, actor: Actor, *roles: ActorRole) -> None:
    if actor.role not in roles:
        raise ReturnError("This is not yours to do on this return.")
    if not actor.plays_on(order):
        raise ReturnError(f"Only the {actor.role.label.lower()} of this order can do this.")


def _clean(
    text: str, *, what: str, required: bool = True, max_length: int = NOTE_MAX_LENGTH
) -> str:
    return clean_text(text, what=what, max_length=max_length, error=ReturnError, required=required)
