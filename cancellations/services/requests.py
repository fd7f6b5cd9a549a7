"""
A buyer's cancellation request, from asked to answered (docs/DESIGN.md §5): the buyer asks
or withdraws, the seller approves (the units are cancelled as "Buyer cancelled") or declines
with a note. The request deadline's automatic answer is a beat job (``jobs.py``).
"""

from django.db import IntegrityError, transaction

from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine
from orders.services import lock_order

from .. import events, notifications
from ..models import Cancellation, CancellationRequest, CancellationRequestLine, Reason
from ..rules import BuyerMode, buyer_mode, requested_units
from .cancel import cancel_items, cancel_locked_items, check_reason_and_note, chosen_units
from .common import (
    AlreadyDone,
    CancellationError,
    check_key,
    check_seller,
    clean_note,
    lock_pending_request,
    lock_request,
)


def submit_buyer_cancellation(
    *,
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    note: str,
    actor: Actor,
    idempotency_key: str,
    expected_mode: BuyerMode,
) -> Cancellation | CancellationRequest:
    """The buyer's Confirm button: cancel now, or ask the seller, as the review said."""
    if expected_mode == BuyerMode.DIRECT:
        return cancel_items(
            order_id=order_id,
            quantities=quantities,
            reason=reason,
            note=note,
            actor=actor,
            idempotency_key=idempotency_key,
            expected_mode=expected_mode,
        )
    return request_cancellation(
        order_id=order_id,
        quantities=quantities,
        reason=reason,
        note=note,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def request_cancellation(
    *,
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    actor: Actor,
    note: str = "",
    idempotency_key: str | None = None,
) -> CancellationRequest:
    """The buyer asks the seller to cancel units it may no longer cancel directly."""
    with transaction.atomic():
        order, lines = lock_order(order_id)
        check_key(CancellationRequest, idempotency_key)
        if actor.role != ActorRole.BUYER or order.buyer_id != actor.user_id:
            raise CancellationError("Only the buyer can request a cancellation.")
        note = check_reason_and_note(reason=reason, note=note, role=actor.role)
        chosen = chosen_units(lines, quantities)
        _check_may_ask(order, lines)
        cancellation_request = _write_request(
            order, chosen, reason=reason, note=note, actor=actor, key=idempotency_key
        )
        events.request_opened(cancellation_request, actor, chosen=chosen)
        notifications.request_opened(cancellation_request, chosen=chosen)
        return cancellation_request


def _check_may_ask(order: Order, lines: list[OrderLine]) -> None:
    """The order is one the buyer must ask about, and no other question of theirs is open."""
    if buyer_mode(order, lines) != BuyerMode.REQUEST:
        raise CancellationError(
            "This order's cancellation options changed. Review your cancellation again."
        )
    if lock_pending_request(order) is not None:
        raise CancellationError(
            "You already asked the seller to cancel items of this order. "
            "Withdraw that request first to change it."
        )


def _write_request(
    order: Order,
    chosen: dict[OrderLine, int],
    *,
    reason: str,
    note: str,
    actor: Actor,
    key: str | None,
) -> CancellationRequest:
    try:
        with transaction.atomic():
            cancellation_request = CancellationRequest.objects.create(
                order=order, buyer=actor.person(), reason=reason, note=note, idempotency_key=key
            )
    except IntegrityError:  # the same key raced past the check: the lock makes this rare
        raise AlreadyDone("This was already done; nothing more has changed.") from None
    CancellationRequestLine.objects.bulk_create(
        CancellationRequestLine(request=cancellation_request, order_line=line, quantity=qty)
        for line, qty in chosen.items()
    )
    return cancellation_request


def withdraw_request(*, request_id: int, actor: Actor) -> CancellationRequest:
    """The buyer takes a pending request back; the order goes on as if never asked."""
    with transaction.atomic():
        locked = lock_request(request_id)
        cancellation_request = locked.request
        if cancellation_request.buyer_id != actor.user_id:
            raise CancellationError("Only the buyer who asked can withdraw this request.")
        if not locked.still_pending:
            raise AlreadyDone("This request is no longer pending.")
        cancellation_request.withdraw()
        cancellation_request.save()
        events.request_withdrawn(cancellation_request, actor)
        notifications.request_withdrawn(cancellation_request, locked.lines)
        return cancellation_request


def approve_request(*, request_id: int, actor: Actor) -> Cancellation:
    """The seller agrees: the request is approved whole (``approve_locked``)."""
    with transaction.atomic():
        locked = lock_request(request_id)
        check_seller(locked.order, actor)
        locked.check_pending()
        return approve_locked(locked.order, locked.lines, locked.request, actor=actor)


def decline_request(*, request_id: int, note: str, actor: Actor) -> CancellationRequest:
    """The seller says no, and why; the buyer reads the note on the order page and by email."""
    note = clean_note(note)
    if not note:
        raise CancellationError(
            "Tell the buyer why (for example “already packed, shipping today”)."
        )
    with transaction.atomic():
        locked = lock_request(request_id)
        check_seller(locked.order, actor)
        locked.check_pending()
        cancellation_request = locked.request
        cancellation_request.decline(note=note)
        cancellation_request.save()
        events.request_declined(cancellation_request, actor)
        notifications.request_declined(cancellation_request, locked.lines)
        return cancellation_request


def approve_locked(
    order: Order,
    lines: list[OrderLine],
    pending: CancellationRequest,
    *,
    actor: Actor,
    note: str = "",
    key: str | None = None,
) -> Cancellation:
    """
    Approve a pending request whole, under the order's lock: every unit the buyer asked
    about is cancelled as "Buyer cancelled" (not counted against the seller). Refused
    when some of them shipped meanwhile: then it can only be declined.
    """
    asked = requested_units(pending)
    open_by_line = {line.pk: line.quantity_open for line in lines}
    if any(qty > open_by_line.get(line_id, 0) for line_id, qty in asked.items()):
        raise CancellationError(
            "Some of the requested items have shipped since the buyer asked, so this "
            "request can only be declined."
        )
    cancellation = cancel_locked_items(
        order,
        lines,
        quantities=asked,
        reason=Reason.BUYER_CANCELLED,
        actor=actor,
        note=note,
        request=pending,
        idempotency_key=key,
    )
    pending.approve()
    pending.save()
    return cancellation
