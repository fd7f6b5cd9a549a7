"""
Seller Central's acts: Cancel order / Cancel items and the bulk cancel.

They reuse ``cancel_locked_items`` and add what only a seller's act needs (the pending buyer
request it answers, the memo, the listing that keeps running out) inside one transaction
around it: the order is locked first, so the request read here cannot change before the
cancellation is written.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import get_text_list

from catalog.services import deactivate_for_no_inventory
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine

from ..models import SELLER_REASONS, Cancellation, CancellationRequest, Reason
from ..rules import no_inventory_limit, requested_units, seller_memo_required
from ..selectors import recent_no_inventory_cancellations
from .cancel import cancel_locked_items
from .common import (
    AlreadyDone,
    CancellationError,
    check_key,
    clean_note,
    lock_pending_request,
    lock_sellers_order,
)
from .requests import approve_locked


@dataclass(frozen=True)
class BulkOutcome:
    """One order of a bulk cancel: cancelled, or refused and why (or cancelled already by
    an earlier click on the same Confirm: ``replayed``)."""

    order_id: int
    number: str
    cancelled: bool
    message: str
    replayed: bool = False


def check_seller_choice(*, reason: str, note: str) -> None:
    """The seller's reason and memo, before anything is locked (they depend on no row)."""
    if reason not in SELLER_REASONS:
        raise CancellationError("Choose a reason from the list.")
    if seller_memo_required(reason) and not note.strip():
        raise CancellationError(
            f"Write a memo to the buyer when the reason is “{Reason(reason).label}”."
        )
    clean_note(note, what="memo")


def cancel_as_seller(
    *,
    order_id: int,
    reason: str,
    actor: Actor,
    note: str = "",
    quantities: dict[int, int] | None = None,
    idempotency_key: str | None = None,
    request_seen: int | None = None,
    open_seen: dict[int, int] | None = None,
) -> Cancellation:
    """
    Seller Central → Cancel: ``quantities`` (order line id → units), or every open unit
    when None (Cancel order, bulk cancel).

    ``open_seen`` (order line id → units left to cancel) is what a review of "every
    open unit" showed: refused when the units left differ now (the buyer cancelled an
    item, some shipped), so the seller never confirms figures they did not see.

    ``request_seen`` is the buyer's pending request the seller's review showed (None:
    it showed none). A request is answered whole: a cancel while it is pending must be
    of exactly the units the buyer asked about, and then approves it ("Buyer
    cancelled", not counted against the seller); anything else is refused, as is a
    confirm whose request was withdrawn, answered or replaced since the review.
    """
    with transaction.atomic():
        order, lines = lock_sellers_order(order_id, actor)
        check_key(Cancellation, idempotency_key)
        if open_seen is not None:
            _check_open_seen(order, lines, open_seen)
        quantities = _units_to_cancel(lines, quantities)
        pending = lock_pending_request(order)
        _check_request_seen(order, pending, request_seen)
        if pending is not None:
            _check_answers_request(order, lines, pending, quantities)
            return approve_locked(
                order, lines, pending, actor=actor, note=note, key=idempotency_key
            )
        check_seller_choice(reason=reason, note=note)
        cancellation = cancel_locked_items(
            order,
            lines,
            quantities=quantities,
            reason=reason,
            actor=actor,
            note=note,
            idempotency_key=idempotency_key,
        )
        _deactivate_listings_out_again(reason, lines, quantities)
        return cancellation


def _units_to_cancel(lines: list[OrderLine], quantities: dict[int, int] | None) -> dict[int, int]:
    """The units the seller chose, or every unit still open (refused when none is)."""
    if quantities is not None:
        return quantities
    quantities = {line.pk: line.quantity_open for line in lines if line.quantity_open}
    if not quantities:
        raise CancellationError("Nothing is left to cancel: it has shipped or been cancelled.")
    return quantities


def _check_answers_request(
    order: Order,
    lines: list[OrderLine],
    pending: CancellationRequest,
    quantities: dict[int, int],
) -> None:
    """While the buyer's request is pending, the seller cancels exactly what it asks."""
    chosen = {line_id: qty for line_id, qty in quantities.items() if qty}
    if chosen != requested_units(pending):
        raise CancellationError(
            f"The buyer asked to cancel {_requested_words(pending, lines)} of order "
            f"{order.number}: cancel exactly those, which approves the request, or "
            "decline it first."
        )


def _check_open_seen(order: Order, lines: list[OrderLine], open_seen: dict[int, int]) -> None:
    """The units left to cancel, line by line, are those the seller's review showed."""
    now = {line.pk: line.quantity_open for line in lines if line.quantity_open}
    seen = {line_id: units for line_id, units in open_seen.items() if units}
    if now == seen:
        return
    titles = {line.pk: line.title for line in lines}
    changes = [
        f"{titles.get(line_id, 'an item')}: {now.get(line_id, 0)} left to cancel, "
        f"not {seen.get(line_id, 0)}"
        for line_id in sorted(now.keys() | seen.keys())
        if now.get(line_id, 0) != seen.get(line_id, 0)
    ]
    raise CancellationError(
        f"Order {order.number} changed after you reviewed it: {_what_changed(order, lines)} "
        f"({'; '.join(changes)}), so nothing in it was cancelled. Review it again."
    )


# Who cancelled, as the seller reads it in a refusal.
CANCELLED_BY = {
    ActorRole.BUYER: "the buyer cancelled items",
    ActorRole.SELLER: "you cancelled items on another page",
    ActorRole.SYSTEM: "we cancelled items",
    ActorRole.STAFF: "marketplace staff cancelled items",
}


def _what_changed(order: Order, lines: list[OrderLine]) -> str:
    """
    What took units away since a review: shipments when nothing was ever cancelled,
    cancellations when nothing ever shipped (the newest one, after the review by
    then, says who), else either.
    """
    if not any(line.quantity_shipped for line in lines):
        newest = order.cancellations.order_by("-created_at", "-pk").first()
        if newest is None:
            return "items were cancelled"
        return CANCELLED_BY.get(ActorRole(newest.initiator), "items were cancelled")
    if not any(line.quantity_cancelled for line in lines):
        return "items shipped"
    return "items were cancelled or shipped"


def _check_request_seen(
    order: Order, pending: CancellationRequest | None, request_seen: int | None
) -> None:
    """The request the seller's review showed is the one pending now (or none was, and is)."""
    if getattr(pending, "pk", None) == request_seen:
        return
    if pending is None and request_seen is not None:  # the one reviewed was answered
        status = (
            CancellationRequest.objects.filter(pk=request_seen, order=order)
            .values_list("status", flat=True)
            .first()
        )
        said = CancellationRequest.Status(status).label.lower() if status else "answered"
        raise CancellationError(
            f"The buyer's cancellation request was {said} after you reviewed it, so nothing "
            "changed. Review the order again."
        )
    if request_seen is None:
        raise CancellationError(
            f"The buyer has asked to cancel items of order {order.number}: approve or "
            "decline that request first."
        )
    raise CancellationError(
        "The buyer changed their cancellation request after you reviewed it, so nothing "
        "changed. Review the new request."
    )


def _requested_words(pending: CancellationRequest, lines: list[OrderLine]) -> str:
    """“1 × Mug and 2 × Board”: what a request asks, for a refusal."""
    titles = {line.pk: line.title for line in lines}
    parts = [f"{qty} × {titles[line_id]}" for line_id, qty in requested_units(pending).items()]
    return get_text_list(parts, "and")


def _deactivate_listings_out_again(
    reason: str, lines: list[OrderLine], quantities: dict[int, int]
) -> None:
    """A listing with repeated "No inventory" cancellations goes off sale until restocked."""
    if reason != Reason.NO_INVENTORY:
        return
    by_id = {line.pk: line for line in lines}
    listing_ids = {by_id[line_id].listing_id for line_id, qty in quantities.items() if qty}
    strikes, window = no_inventory_limit()
    for listing_id, times in sorted(recent_no_inventory_cancellations(listing_ids).items()):
        if times >= strikes:
            deactivate_for_no_inventory(
                listing_id=listing_id,
                reason=(
                    f"{times} “No inventory” cancellations in {window.days} days "
                    f"(last {timezone.now():%b %d}). Update the stock to put it back on sale."
                ),
            )


def bulk_cancel_orders(
    *,
    reviewed: dict[int, dict[int, int]],
    reason: str,
    note: str,
    actor: Actor,
    idempotency_key: str | None = None,
) -> list[BulkOutcome]:
    """
    The bulk review's Confirm: cancel every open unit of each reviewed order, each order
    in its own transaction, so one refusal (shipped meanwhile, another seller's order)
    stops none of the others.

    ``reviewed`` is what the review showed: order id → {order line id → units left to
    cancel}. An order whose units changed since is refused (``open_seen``), as is one
    whose buyer has asked to cancel meanwhile (the review left out those with a request).
    ``idempotency_key`` is the review's: each order's cancellation gets a key of its own
    from it, so a second click on the same Confirm cancels nothing more.
    """
    check_seller_choice(reason=reason, note=note)
    numbers = dict(
        Order.objects.filter(pk__in=list(reviewed), seller__user=actor.user).values_list(
            "pk", "number"
        )
    )
    # In id order: two bulk cancels over the same orders lock them in the same order.
    return [
        _bulk_cancel_one(
            order_id,
            numbers.get(order_id),
            open_seen=reviewed[order_id],
            reason=reason,
            note=note,
            actor=actor,
            key=_order_key(idempotency_key, order_id),
        )
        for order_id in sorted(reviewed)
    ]


def _bulk_cancel_one(
    order_id: int,
    number: str | None,
    *,
    open_seen: dict[int, int],
    reason: str,
    note: str,
    actor: Actor,
    key: str | None,
) -> BulkOutcome:
    """One order of a bulk cancel, in its own transaction; a refusal is its outcome."""
    if number is None:
        return BulkOutcome(order_id, "", False, "not an order of your store")
    try:
        cancellation = cancel_as_seller(
            order_id=order_id,
            reason=reason,
            note=note,
            actor=actor,
            idempotency_key=key,
            open_seen=open_seen,
        )
    except AlreadyDone:
        return BulkOutcome(order_id, number, False, "already cancelled", replayed=True)
    except CancellationError as error:
        return BulkOutcome(order_id, number, False, str(error))
    units = cancellation.units
    return BulkOutcome(order_id, number, True, f"{units} item{'s' if units != 1 else ''} cancelled")


def _order_key(idempotency_key: str | None, order_id: int) -> str | None:
    """One order's key within a bulk confirmation's (32 hex digits, like a single review's)."""
    if not idempotency_key:
        return None
    return hashlib.blake2b(f"{idempotency_key}:{order_id}".encode(), digest_size=16).hexdigest()
