"""
The only writers of cancellations and cancellation requests.

``cancel_items`` is the one way units of an order are cancelled, whoever asks (buyer,
seller, system, staff). In one transaction it locks the order and its lines, re-checks
the rules on the locked rows, moves the quantities and the state, restocks, writes the
audit rows, and queues the money release and the emails in the outbox, which runs
them after commit.
"""

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator, get_text_list

from catalog.services import clear_stock, deactivate_for_no_inventory, restock
from core import formatting
from notifications import outbox
from notifications.emails import queue_email
from orders.actors import Actor
from orders.events import record_event
from orders.models import ActorRole, Order, OrderEvent, OrderLine, OrderStatus
from orders.services import expected_status, lock_order
from payments import services as payments

from .models import (
    REASONS_BY_ROLE,
    SELLER_REASONS,
    Cancellation,
    CancellationLine,
    CancellationRequest,
    CancellationRequestLine,
    Reason,
)
from .rules import (
    BuyerMode,
    buyer_mode,
    counts_against_seller,
    no_inventory_limit,
    requested_units,
    seller_memo_required,
)
from .selectors import recent_no_inventory_cancellations

NOTE_MAX_LENGTH = 500
SUMMARY_MAX_LENGTH = OrderEvent._meta.get_field("summary").max_length

logger = logging.getLogger(__name__)


class CancellationError(Exception):
    """A rule said no; nothing changed. The message is for the person who asked."""


class AlreadyDone(CancellationError):
    """The same form was submitted again: the first submission already did it."""


def _validate(*, lines, quantities: dict[int, int], reason: str, note: str, role: str):
    if reason not in REASONS_BY_ROLE.get(role, []):
        raise CancellationError("Choose a reason from the list.")
    if reason == Reason.OTHER and not note.strip():
        raise CancellationError("Tell us more in the note when the reason is “Other”.")
    if len(note) > NOTE_MAX_LENGTH or "\x00" in note:
        raise CancellationError(f"The note must be at most {NOTE_MAX_LENGTH} characters.")
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


def _check_actor(order, actor: Actor) -> None:
    """
    A buyer cancels only their own order, a seller only one they sell: checked here on
    the locked row, whatever page or job asked (the views check it too).
    """
    if actor.role == ActorRole.BUYER and order.buyer_id != actor.user.pk:
        raise CancellationError("Only the buyer of this order can cancel it.")
    if actor.role == ActorRole.SELLER and order.seller.user_id != actor.user.pk:
        raise CancellationError("Only the seller of this order can cancel it.")


def _check_key(model, idempotency_key: str | None):
    if idempotency_key and model.objects.filter(idempotency_key=idempotency_key).exists():
        raise AlreadyDone("This was already done; nothing more has changed.")


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
        _check_key(Cancellation, idempotency_key)
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
    under its lock: a seller's act checks its key first (``_check_key``), a job re-checks
    its rule; the key's unique index backs both. It opens no savepoint: a refusal spoils
    the caller's transaction, and a caller that means to go on after one wraps the call
    in its own ``transaction.atomic()``.
    """
    note = note.strip()
    # The release and the two emails: one INSERT, one task after commit.
    with transaction.atomic(savepoint=False), outbox.batch():
        _check_actor(order, actor)
        chosen = _validate(
            lines=lines, quantities=quantities, reason=reason, note=note, role=actor.role
        )
        if actor.role == ActorRole.BUYER:
            mode = buyer_mode(order, lines)
            if mode != BuyerMode.DIRECT or (expected_mode and mode != expected_mode):
                raise CancellationError(
                    "This order can no longer be cancelled directly. Review your "
                    "cancellation again to send a request to the seller."
                )
        elif not order.is_cancellable_state:
            raise CancellationError("This order can no longer be cancelled.")

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
        money = money_outcome(order.payment, cancellation.refund_amount, step=UNDER_WAY)
        _release(order, cancellation)
        _close_pending_request_if_moot(order, lines, exclude=request)
        _announce(order, cancellation, chosen, actor=actor, money=money)
        return cancellation


def _write_cancellation(
    order, lines, chosen: dict[OrderLine, int], *, reason, actor, note, request, idempotency_key
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
    # Listings in id order, like checkout reserves them: two cancellations (or a
    # cancellation and a checkout) lock the same listings in the same order and
    # cannot deadlock.
    for line, qty in sorted(chosen.items(), key=lambda item: item[0].listing_id):
        if reason == Reason.NO_INVENTORY:
            clear_stock(listing_id=line.listing_id)
        else:
            restock(listing_id=line.listing_id, quantity=qty)

    new_status = expected_status(order, lines)
    if new_status == OrderStatus.CANCELLED:
        order.cancel()
    elif new_status == OrderStatus.SHIPPED:
        order.ship_rest()
    order.save(update_fields=["status", "updated_at"])
    return cancellation


def _release(order, cancellation: Cancellation) -> None:
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


def _announce(order, cancellation: Cancellation, chosen, *, actor: Actor, money: str) -> None:
    """
    The audit row, worded for the buyer's timeline, and the emails to buyer and seller.
    A cancellation that approves the buyer's request says so, with the buyer's own
    reason: its "Buyer cancelled" is the seller's code for it, not what the buyer said.
    """
    units = sum(chosen.values())
    items = ", ".join(f"{qty} × {line.title}" for line, qty in chosen.items())
    request = cancellation.request
    reason = Reason(request.reason if request else cancellation.reason).label
    who = {
        ActorRole.BUYER: "You cancelled",
        ActorRole.SELLER: "The seller cancelled",
        ActorRole.SYSTEM: "We cancelled",
        ActorRole.STAFF: "Marketplace staff cancelled",
    }[actor.role]
    if request is None:
        summary = f"{who} {items} ({reason}). {money}"
    elif actor.role == ActorRole.SYSTEM:
        summary = (
            f"Your cancellation request was approved automatically: {items} cancelled "
            f"({reason}). {money}"
        )
    else:
        summary = (
            f"The seller approved your cancellation request: {items} cancelled ({reason}). {money}"
        )
    record_event(
        order,
        OrderEvent.Type.ITEMS_CANCELLED,
        actor,
        Truncator(summary).chars(SUMMARY_MAX_LENGTH),
        cancellation=cancellation.pk,
        reason=cancellation.reason,
        items=items,
        units=units,
        refund=str(cancellation.refund_amount),
        **({"request": request.pk, "request_reason": request.reason} if request else {}),
    )
    context = {
        "order": order,
        "cancellation": cancellation,
        "request": request,
        "reason": reason,
        "chosen": list(chosen.items()),
        "refund": cancellation.refund_amount,
        "who": who,
        "money": money,
        "order_cancelled": order.status == OrderStatus.CANCELLED,
    }
    queue_email(
        to=[order.buyer.email], template="cancellations/emails/items_cancelled", context=context
    )
    queue_email(
        to=[order.seller.user.email],
        template="cancellations/emails/items_cancelled_seller",
        context=context,
    )


# Where the money of a cancellation stands, for ``money_outcome``: before it (the review
# page), its release queued at the gateway (the outbox has yet to run it: the order
# page's payment box says "being released"), or its release done.
AHEAD, UNDER_WAY, DONE = "ahead", "under_way", "done"
RELEASE_WORDS = {
    # (a hold released, not a charge refunded) -> words per step
    True: {
        AHEAD: "The {amount} hold on your {card} will be released; you are not charged for it.",
        UNDER_WAY: "The {amount} hold on your {card} is being released; you are not charged "
        "for it.",
        DONE: "The {amount} hold on your {card} was released; you are not charged for it.",
    },
    False: {
        AHEAD: "{amount} will be refunded to your {card}; banks usually show it within 3–5 "
        "business days.",
        UNDER_WAY: "{amount} is being refunded to your {card}; banks usually show it within "
        "3–5 business days.",
        DONE: "{amount} was refunded to your {card}; banks usually show it within 3–5 "
        "business days.",
    },
}


class MoneyMove(StrEnum):
    """What cancelling an amount does to the buyer's money: each reader's words follow it."""

    NOTHING = "nothing"  # nothing was charged for it
    UNCHARGED = "uncharged"  # the payment never went through
    HOLD = "hold"  # the hold on the card is released
    REFUND = "refund"  # captured money is refunded


def money_move(payment, amount: Decimal) -> MoneyMove:
    if amount <= 0:
        return MoneyMove.NOTHING
    if not payment.is_authorized:
        return MoneyMove.UNCHARGED
    return MoneyMove.HOLD if payment.amount_open >= amount else MoneyMove.REFUND


def money_outcome(payment, amount: Decimal, *, step: str = AHEAD, hold: bool | None = None) -> str:
    """
    What happens to the money, in the buyer's words, at ``step``: the review pages say
    what will happen; the timeline and the email, written as the release is queued, say
    it is under way; the page after the cancellation says where it stands
    (``money_outcome_now``). ``hold``: whether a hold is released rather than a charge
    refunded (by default, whether the payment still holds that much).
    """
    move = money_move(payment, amount)
    if move == MoneyMove.NOTHING:
        return "Nothing was charged for these items."
    card = f"card ending {payment.card_last4}" if payment.card_last4 else "card"
    if move == MoneyMove.UNCHARGED:
        return f"You have not been charged; nothing will be taken from your {card}."
    if hold is None:
        hold = move == MoneyMove.HOLD
    return RELEASE_WORDS[hold][step].format(amount=formatting.money(amount), card=card)


def money_outcome_now(cancellation: Cancellation) -> str:
    """
    ``money_outcome`` as the cancellation's release stands now, in the same words as
    the order page's payment box: "being released" until the gateway has settled every
    money row it queued, "released" after.
    """
    key = release_key(cancellation)
    rows = payments.release_rows(idempotency_keys=[key])[key]
    done = bool(rows) and all(row.status == row.Status.SUCCEEDED for row in rows)
    hold = all(row.kind == row.Kind.VOID for row in rows) if rows else None
    return money_outcome(
        cancellation.order.payment,
        cancellation.refund_amount,
        step=DONE if done else UNDER_WAY,
        hold=hold,
    )


def release_key(cancellation: Cancellation) -> str:
    """The idempotency key of the cancellation's release (its void and refund rows)."""
    return f"cancellation:{cancellation.pk}"


def _close_pending_request_if_moot(order, lines, *, exclude):
    """A pending request whose items are all gone (cancelled or shipped) has nothing to ask."""
    pending = (
        CancellationRequest.objects.select_for_update()
        .filter(order=order, status=CancellationRequest.Status.PENDING)
        .exclude(pk=getattr(exclude, "pk", None))
        .prefetch_related("lines")
        .first()
    )
    if pending is None:
        return
    open_by_line = {line.pk: line.quantity_open for line in lines}
    if not any(open_by_line.get(rl.order_line_id) for rl in pending.lines.all()):
        pending.close(note="The items were cancelled.")
        pending.save()


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
    note = note.strip()
    with transaction.atomic():
        order, lines = lock_order(order_id)
        _check_key(CancellationRequest, idempotency_key)
        if actor.role != ActorRole.BUYER or order.buyer_id != actor.user.pk:
            raise CancellationError("Only the buyer can request a cancellation.")
        chosen = _validate(
            lines=lines, quantities=quantities, reason=reason, note=note, role=actor.role
        )
        if buyer_mode(order, lines) != BuyerMode.REQUEST:
            raise CancellationError(
                "This order's cancellation options changed. Review your cancellation again."
            )
        if CancellationRequest.objects.filter(
            order=order, status=CancellationRequest.Status.PENDING
        ).exists():
            raise CancellationError(
                "You already asked the seller to cancel items of this order. "
                "Withdraw that request first to change it."
            )
        try:
            with transaction.atomic():
                cancellation_request = CancellationRequest.objects.create(
                    order=order,
                    buyer=actor.user,
                    reason=reason,
                    note=note,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:  # the same key raced past the check: the lock makes this rare
            raise AlreadyDone("This was already done; nothing more has changed.") from None
        CancellationRequestLine.objects.bulk_create(
            CancellationRequestLine(request=cancellation_request, order_line=line, quantity=qty)
            for line, qty in chosen.items()
        )
        items = ", ".join(f"{qty} × {line.title}" for line, qty in chosen.items())
        record_event(
            order,
            OrderEvent.Type.CANCELLATION_REQUESTED,
            actor,
            f"You asked the seller to cancel {items} ({Reason(reason).label}).",
            request=cancellation_request.pk,
            reason=reason,
            items=items,
        )
        context = {
            "order": order,
            "request": cancellation_request,
            "chosen": list(chosen.items()),
            "due": cancellation_request.response_due_at(),
        }
        queue_email(
            to=[order.seller.user.email],
            template="cancellations/emails/cancellation_requested_seller",
            context=context,
        )
        queue_email(
            to=[order.buyer.email],
            template="cancellations/emails/cancellation_requested",
            context=context,
        )
        return cancellation_request


def withdraw_request(*, request_id: int, actor: Actor) -> CancellationRequest:
    """The buyer takes a pending request back; the order goes on as if never asked."""
    with transaction.atomic():
        order_id = CancellationRequest.objects.values_list("order_id", flat=True).get(pk=request_id)
        order, lines = lock_order(order_id)
        cancellation_request = CancellationRequest.objects.select_for_update().get(pk=request_id)
        if cancellation_request.buyer_id != actor.user.pk:
            raise CancellationError("Only the buyer who asked can withdraw this request.")
        if cancellation_request.status != CancellationRequest.Status.PENDING:
            raise AlreadyDone("This request is no longer pending.")
        cancellation_request.withdraw()
        cancellation_request.save()
        record_event(
            order,
            OrderEvent.Type.CANCELLATION_REQUEST_WITHDRAWN,
            actor,
            "You withdrew your cancellation request.",
            request=cancellation_request.pk,
        )
        context = {
            "order": order,
            "request": cancellation_request,
            "chosen": requested_items(cancellation_request, lines),
        }
        queue_email(
            to=[order.seller.user.email],
            template="cancellations/emails/request_withdrawn_seller",
            context=context,
        )
        queue_email(
            to=[order.buyer.email],
            template="cancellations/emails/request_withdrawn",
            context=context,
        )
        return cancellation_request


def requested_items(cancellation_request, lines) -> list[tuple[OrderLine, int]]:
    """(line, units) the request asks about, from the order's locked lines: for its emails."""
    by_id = {line.pk: line for line in lines}
    return [
        (by_id[request_line.order_line_id], request_line.quantity)
        for request_line in cancellation_request.lines.all()
    ]


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


# --- Seller Central ------------------------------------------------------------------------
# The seller's acts reuse ``cancel_locked_items``; these functions add what only a
# seller's act needs (the pending buyer request it answers, the memo, the listing that
# keeps running out) inside one transaction around it: the order is locked first, so
# the request read here cannot change before the cancellation is written.


@dataclass(frozen=True)
class BulkOutcome:
    """One order of a bulk cancel: cancelled, or refused and why (or cancelled already by
    an earlier click on the same Confirm: ``replayed``)."""

    order_id: int
    number: str
    cancelled: bool
    message: str
    replayed: bool = False


def _lock_sellers_order(order_id: int, actor: Actor):
    order, lines = lock_order(order_id)
    is_owner = actor.user is not None and order.seller.user_id == actor.user.pk
    if actor.role != ActorRole.SELLER or not is_owner:
        raise CancellationError("Only the order's seller can do this.")
    return order, lines


def _lock_pending_request(order) -> CancellationRequest | None:
    return (
        CancellationRequest.objects.select_for_update()
        .filter(order=order, status=CancellationRequest.Status.PENDING)
        .prefetch_related("lines")
        .first()
    )


def check_seller_choice(*, reason: str, note: str) -> None:
    """The seller's reason and memo, before anything is locked (they depend on no row)."""
    if reason not in SELLER_REASONS:
        raise CancellationError("Choose a reason from the list.")
    if seller_memo_required(reason) and not note.strip():
        raise CancellationError(
            f"Write a memo to the buyer when the reason is “{Reason(reason).label}”."
        )
    if len(note.strip()) > NOTE_MAX_LENGTH or "\x00" in note:
        raise CancellationError(f"The memo must be at most {NOTE_MAX_LENGTH} characters.")


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
    note = note.strip()
    with transaction.atomic():
        order, lines = _lock_sellers_order(order_id, actor)
        _check_key(Cancellation, idempotency_key)
        if open_seen is not None:
            _check_open_seen(order, lines, open_seen)
        if quantities is None:
            quantities = {line.pk: line.quantity_open for line in lines if line.quantity_open}
            if not quantities:
                raise CancellationError(
                    "Nothing is left to cancel: it has shipped or been cancelled."
                )
        pending = _lock_pending_request(order)
        _check_request_seen(order, pending, request_seen)
        if pending is not None:
            chosen = {line_id: qty for line_id, qty in quantities.items() if qty}
            if chosen != requested_units(pending):
                raise CancellationError(
                    f"The buyer asked to cancel {requested_words(pending, lines)} of order "
                    f"{order.number}: cancel exactly those, which approves the request, or "
                    "decline it first."
                )
            return _approve_locked(
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
        if reason == Reason.NO_INVENTORY:
            by_id = {line.pk: line for line in lines}
            _deactivate_listings_out_again(
                {by_id[line_id].listing_id for line_id, qty in quantities.items() if qty}
            )
        return cancellation


def _check_open_seen(order, lines, open_seen: dict[int, int]) -> None:
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


def _what_changed(order, lines) -> str:
    """
    What took units away since a review: shipments when nothing was ever cancelled,
    cancellations when nothing ever shipped (the newest one, after the review by
    then, says who), else either.
    """
    if not any(line.quantity_shipped for line in lines):
        newest = order.cancellations.order_by("-created_at", "-pk").first()
        return CANCELLED_BY.get(getattr(newest, "initiator", None), "items were cancelled")
    if not any(line.quantity_cancelled for line in lines):
        return "items shipped"
    return "items were cancelled or shipped"


def _check_request_seen(order, pending: CancellationRequest | None, request_seen: int | None):
    """The request the seller's review showed is the one pending now (or none was, and is)."""
    if getattr(pending, "pk", None) == request_seen:
        return
    if pending is None:
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


def requested_words(pending: CancellationRequest, lines) -> str:
    """“1 × Mug and 2 × Board”: what a request asks, for a refusal."""
    titles = {line.pk: line.title for line in lines}
    parts = [f"{qty} × {titles[line_id]}" for line_id, qty in requested_units(pending).items()]
    return get_text_list(parts, "and")


def _approve_locked(
    order, lines, pending: CancellationRequest, *, actor: Actor, note: str = "", key=None
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


def _deactivate_listings_out_again(listing_ids: set[int]) -> None:
    """A listing with repeated "No inventory" cancellations goes off sale until restocked."""
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


def approve_request(*, request_id: int, actor: Actor) -> Cancellation:
    """The seller agrees: the request is approved whole (``_approve_locked``)."""
    with transaction.atomic():
        order_id = CancellationRequest.objects.values_list("order_id", flat=True).get(pk=request_id)
        order, lines = _lock_sellers_order(order_id, actor)
        cancellation_request = (
            CancellationRequest.objects.select_for_update()
            .prefetch_related("lines")
            .get(pk=request_id)
        )
        if cancellation_request.status != CancellationRequest.Status.PENDING:
            raise AlreadyDone(
                "This request was already answered: "
                f"{cancellation_request.get_status_display().lower()}."
            )
        return _approve_locked(order, lines, cancellation_request, actor=actor)


def decline_request(*, request_id: int, note: str, actor: Actor) -> CancellationRequest:
    """The seller says no, and why; the buyer reads the note on the order page and by email."""
    note = note.strip()
    if not note:
        raise CancellationError(
            "Tell the buyer why (for example “already packed, shipping today”)."
        )
    if len(note) > NOTE_MAX_LENGTH or "\x00" in note:
        raise CancellationError(f"The note must be at most {NOTE_MAX_LENGTH} characters.")
    with transaction.atomic():
        order_id = CancellationRequest.objects.values_list("order_id", flat=True).get(pk=request_id)
        order, lines = _lock_sellers_order(order_id, actor)
        cancellation_request = CancellationRequest.objects.select_for_update().get(pk=request_id)
        if cancellation_request.status != CancellationRequest.Status.PENDING:
            raise AlreadyDone(
                "This request was already answered: "
                f"{cancellation_request.get_status_display().lower()}."
            )
        cancellation_request.decline(note=note)
        cancellation_request.save()
        record_event(
            order,
            OrderEvent.Type.CANCELLATION_REQUEST_DECLINED,
            actor,
            Truncator(f"The seller declined the cancellation request: “{note}”").chars(300),
            request=cancellation_request.pk,
            note=note,
        )
        queue_email(
            to=[order.buyer.email],
            template="cancellations/emails/request_declined",
            context={
                "order": order,
                "request": cancellation_request,
                "chosen": requested_items(cancellation_request, lines),
            },
        )
        return cancellation_request


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
    outcomes = []
    # In id order: two bulk cancels over the same orders lock them in the same order.
    for order_id in sorted(reviewed):
        number = numbers.get(order_id)
        if number is None:
            outcomes.append(BulkOutcome(order_id, "", False, "not an order of your store"))
            continue
        try:
            cancellation = cancel_as_seller(
                order_id=order_id,
                reason=reason,
                note=note,
                actor=actor,
                idempotency_key=_order_key(idempotency_key, order_id),
                open_seen=reviewed[order_id],
            )
        except AlreadyDone:
            outcomes.append(
                BulkOutcome(order_id, number, False, "already cancelled", replayed=True)
            )
        except CancellationError as error:
            outcomes.append(BulkOutcome(order_id, number, False, str(error)))
        else:
            units = cancellation.units
            outcomes.append(
                BulkOutcome(
                    order_id, number, True, f"{units} item{'s' if units != 1 else ''} cancelled"
                )
            )
    return outcomes


def _order_key(idempotency_key: str | None, order_id: int) -> str | None:
    """One order's key within a bulk confirmation's (32 hex digits, like a single review's)."""
    if not idempotency_key:
        return None
    return hashlib.blake2b(f"{idempotency_key}:{order_id}".encode(), digest_size=16).hexdigest()
