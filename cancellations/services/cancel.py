"""
Cancelling units of an order, whoever asks (buyer, seller, system, staff).

``cancel_items`` is the one way units are cancelled. In one transaction it locks the order
and its lines, re-checks the rules on the locked rows, moves the quantities and the state,
restocks, writes the audit rows, and queues the money release and the emails in the
outbox, which runs them after commit.
"""

import logging
from decimal import Decimal

from django.db import transaction

from catalog.services import clear_stock, restock
from notifications import outbox
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine, OrderStatus
from orders.services import expected_status, lock_order
from payments import services as payments

from .. import events, notifications
from ..models import REASONS_BY_ROLE, Cancellation, CancellationLine, CancellationRequest, Reason
from ..money import MoneyStep, money_outcome, release_key
from ..rules import BuyerMode, buyer_mode, counts_against_seller
from .common import CancellationError, check_key, clean_note, lock_pending_request

logger = logging.getLogger(__name__)


def cancel_items(
    *,
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    actor: Actor,
    note: str = "",
    request: CancellationRequest | None = None,
    idempotency_key: str | None = None,
    expected_mode: BuyerMode | None = None,
) -> Cancellation:
    """
    Cancel ``quantities`` (order line id → units) of an order, all or nothing.

    A buyer may only cancel directly (see ``rules.buyer_mode``); ``expected_mode`` is
    what the buyer's review page promised, re-checked here under the lock.
    """
    with transaction.atomic():
        order, lines = lock_order(order_id)
        check_key(Cancellation, idempotency_key)
        return cancel_locked_items(
            order,
            lines,
            quantities=quantities,
            reason=reason,
            actor=actor,
            note=note,
            request=request,
            idempotency_key=idempotency_key,
            expected_mode=expected_mode,
        )


def cancel_locked_items(
    order: Order,
    lines: list[OrderLine],
    *,
    quantities: dict[int, int],
    reason: str,
    actor: Actor,
    note: str = "",
    request: CancellationRequest | None = None,
    idempotency_key: str | None = None,
    expected_mode: BuyerMode | None = None,
) -> Cancellation:
    """
    ``cancel_items`` for a caller that holds the order's lock already (``lock_order``,
    in its transaction): a seller's act, a beat job. The caller says what a replay is,
    under its lock: a seller's act checks its key first (``check_key``), a job re-checks
    its rule; the key's unique index backs both. It opens no savepoint: a refusal spoils
    the caller's transaction, and a caller that means to go on after one wraps the call
    in its own ``transaction.atomic()``.
    """
    # The release and the two emails: one INSERT, one task after commit.
    with transaction.atomic(savepoint=False), outbox.batch():
        check_actor(order, actor)
        note = check_reason_and_note(reason=reason, note=note, role=actor.role)
        chosen = chosen_units(lines, quantities)
        _check_still_cancellable(order, lines, actor=actor, expected_mode=expected_mode)
        cancellation = _write_cancellation(
            order,
            lines,
            chosen,
            reason=reason,
            actor=actor,
            note=note,
            request=request,
            idempotency_key=idempotency_key,
        )
        money = money_outcome(order.payment, cancellation.refund_amount, step=MoneyStep.UNDER_WAY)
        _release(order, cancellation)
        _close_pending_request_if_moot(order, lines, exclude=request)
        events.items_cancelled(cancellation, actor, chosen=chosen, money=money)
        notifications.items_cancelled(cancellation, chosen=chosen, money=money)
        return cancellation


def check_actor(order: Order, actor: Actor) -> None:
    """
    A buyer cancels only their own order, a seller only one they sell: checked here on
    the locked row, whatever page or job asked (the views check it too).
    """
    if not actor.plays_on(order):
        raise CancellationError(f"Only the {actor.role.label.lower()} of this order can cancel it.")


def check_reason_and_note(*, reason: str, note: str, role: ActorRole) -> str:
    """The reason is one of the actor's; the note, cleaned, says more when it is “Other”."""
    if reason not in REASONS_BY_ROLE.get(role, []):
        raise CancellationError("Choose a reason from the list.")
    note = clean_note(note)
    if reason == Reason.OTHER and not note:
        raise CancellationError("Tell us more in the note when the reason is “Other”.")
    return note


def chosen_units(lines: list[OrderLine], quantities: dict[int, int]) -> dict[OrderLine, int]:
    """Order line → units to cancel, each of this order and at most its units still open."""
    by_id = {line.pk: line for line in lines}
    chosen = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not chosen:
        raise CancellationError("Choose at least one item to cancel.")
    for line_id, qty in chosen.items():
        line = by_id.get(line_id)
        if line is None:
            raise CancellationError("An item you chose is not part of this order.")
        if line.quantity_open == 0:
            raise CancellationError(f"“{line.title}” has already shipped or been cancelled.")
        if not 0 < qty <= line.quantity_open:
            raise CancellationError(f"“{line.title}”: you can cancel at most {line.quantity_open}.")
    return {by_id[line_id]: qty for line_id, qty in chosen.items()}


def _check_still_cancellable(
    order: Order, lines: list[OrderLine], *, actor: Actor, expected_mode: BuyerMode | None
) -> None:
    """A buyer cancels directly only while the rules (and the review page) say so."""
    if actor.role == ActorRole.BUYER:
        mode = buyer_mode(order, lines)
        if mode != BuyerMode.DIRECT or (expected_mode and mode != expected_mode):
            raise CancellationError(
                "This order can no longer be cancelled directly. Review your "
                "cancellation again to send a request to the seller."
            )
    elif not order.is_cancellable_state:
        raise CancellationError("This order can no longer be cancelled.")


def _write_cancellation(
    order: Order,
    lines: list[OrderLine],
    chosen: dict[OrderLine, int],
    *,
    reason: str,
    actor: Actor,
    note: str,
    request: CancellationRequest | None,
    idempotency_key: str | None,
) -> Cancellation:
    """The cancellation and its lines, the lines' quantities, the shelves, the order's state."""
    refund = sum((line.unit_price * qty for line, qty in chosen.items()), Decimal(0))
    cancellation = Cancellation.objects.create(
        order=order,
        initiator=actor.role,
        actor_user=actor.user,
        reason=reason,
        note=note,
        refund_amount=refund,
        counts_against_seller=counts_against_seller(
            reason=reason, initiator=actor.role, has_request=request is not None
        ),
        request=request,
        idempotency_key=idempotency_key,
    )
    for line, qty in chosen.items():
        line.quantity_cancelled += qty
    OrderLine.objects.bulk_update(chosen, ["quantity_cancelled"])
    CancellationLine.objects.bulk_create(
        CancellationLine(cancellation=cancellation, order_line=line, quantity=qty)
        for line, qty in chosen.items()
    )
    _put_back_on_the_shelves(chosen, reason=reason)
    _move_order_on(order, lines)
    return cancellation


def _put_back_on_the_shelves(chosen: dict[OrderLine, int], *, reason: str) -> None:
    """
    Restock the units, or clear the stock the seller said they do not have. Listings in
    id order, like checkout reserves them: two cancellations (or a cancellation and a
    checkout) lock the same listings in the same order and cannot deadlock.
    """
    for line, qty in sorted(chosen.items(), key=lambda item: item[0].listing_id):
        if reason == Reason.NO_INVENTORY:
            clear_stock(listing_id=line.listing_id)
        else:
            restock(listing_id=line.listing_id, quantity=qty)


def _move_order_on(order: Order, lines: list[OrderLine]) -> None:
    """Cancelled when nothing is left, shipped when the rest has shipped."""
    new_status = expected_status(order, lines)
    if new_status == OrderStatus.CANCELLED:
        order.cancel()
    elif new_status == OrderStatus.SHIPPED:
        order.ship_rest()
    order.save(update_fields=["status", "updated_at"])


def _release(order: Order, cancellation: Cancellation) -> None:
    try:
        payments.schedule_release(
            payment_id=order.payment_id,
            amount=cancellation.refund_amount,
            idempotency_key=release_key(cancellation),
        )
    except payments.PaymentError as error:
        # The money does not add up: cancel nothing rather than keep money we owe.
        logger.error(
            "Cannot release %s for order %s: %s",
            cancellation.refund_amount,
            order.number,
            error.detail,
        )
        raise CancellationError(
            "We could not return the payment for these items, so nothing was cancelled. "
            "Please try again later or contact us."
        ) from None


def _close_pending_request_if_moot(
    order: Order, lines: list[OrderLine], *, exclude: CancellationRequest | None
) -> None:
    """A pending request whose items are all gone (cancelled or shipped) has nothing to ask."""
    pending = lock_pending_request(order, exclude=exclude)
    if pending is None:
        return
    open_by_line = {line.pk: line.quantity_open for line in lines}
    if not any(open_by_line.get(rl.order_line_id) for rl in pending.lines.all()):
        pending.close(note="The items were cancelled.")
        pending.save()
