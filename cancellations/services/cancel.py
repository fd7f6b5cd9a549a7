"""
Cancelling units of an order, whoever asks (buyer, seller, system, staff).

``cancel_items`` is the one way units are cancelled. In one transaction it locks the order
and its lines, re-checks the rules on the locked rows, moves the quantities and the state,
restocks, writes the audit rows, and queues the money release and the emails in the
outbox, which runs them after commit.

Underneath, every cancellation is ``cancel_locked_batch``: one order for a person's act,
up to a hundred for the auto-cancel sweep (``cancel_in_batch``), the same rules and the
same rows, written a statement or two per kind of row whatever the batch's size.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from accounts.selectors import zones_read_ahead
from catalog.services import ShelfChange, change_shelves
from core.bulk import update_rows
from notifications import outbox
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderEvent, OrderLine, OrderStatus
from orders.services import expected_status, lock_order
from payments import services as payments

from .. import events, notifications
from ..models import REASONS_BY_ROLE, Cancellation, CancellationLine, CancellationRequest, Reason
from ..money import MoneyStep, money_outcome, release_key
from ..rules import BuyerMode, buyer_mode, counts_against_seller
from .common import CancellationError, check_key, clean_note, lock_pending_requests

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

    It is ``cancel_locked_batch`` with one order, so every rule lives once; a refusal is
    raised.
    """
    ask = CancelAsk(
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
    outcome = cancel_locked_batch([ask])
    for refusal in outcome.refused.values():
        raise refusal
    (cancellation,) = outcome.cancelled
    return cancellation


@dataclass
class CancelAsk:
    """One order's cancellation in a batch: what ``cancel_locked_items`` is given."""

    order: Order  # locked, with its payment, buyer and seller's user
    lines: list[OrderLine]  # locked, all of the order's, in id order
    quantities: dict[int, int]
    reason: str
    actor: Actor
    note: str = ""
    request: CancellationRequest | None = None
    idempotency_key: str | None = None
    expected_mode: BuyerMode | None = None


@dataclass
class BatchOutcome:
    """The cancellations a batch wrote, and the orders its rules refused (id → why)."""

    cancelled: list[Cancellation] = field(default_factory=list)
    refused: dict[int, CancellationError] = field(default_factory=dict)


@dataclass
class _Planned:
    """An ask the rules let through: its units, its cancellation (unsaved), its words."""

    ask: CancelAsk
    chosen: dict[OrderLine, int]
    cancellation: Cancellation
    previous_status: str
    money: str


class BatchConflict(Exception):
    """A row the batch holds changed under it (a statement found fewer rows than meant)."""


def cancel_locked_batch(asks: list[CancelAsk]) -> BatchOutcome:
    """
    Cancel several locked orders at once, all or nothing, with the rules of every
    cancellation (docs/DESIGN.md §3): each ask is checked in Python on its locked rows
    and left out with its refusal when a rule says no; the others' cancellations, lines,
    line quantities, shelves (one statement, listings in id order), statuses (one
    UPDATE guarded by each order's previous status), money rows, moot requests, events
    and outbox rows are written in a statement or two each, whatever the batch's size.

    An error (the money of one payment does not add up, a row changed meanwhile, a
    unique key) is raised for the whole batch; the caller rolls it back and goes one
    order at a time (``cancel_in_batch``). Opens no savepoint.
    """
    if len({ask.order.pk for ask in asks}) != len(asks):
        raise ValueError("An order appears twice in a batch of cancellations.")
    outcome = BatchOutcome()
    # The releases and the emails: one INSERT, delivered after commit.
    with transaction.atomic(savepoint=False), outbox.batch():
        planned = []
        for ask in asks:
            try:
                planned.append(_plan(ask))
            except CancellationError as refusal:
                outcome.refused[ask.order.pk] = refusal
        if planned:
            _write(planned)
        outcome.cancelled = [plan.cancellation for plan in planned]
    return outcome


AskFor = Callable[[Order, list[OrderLine]], CancelAsk | None]


def cancel_in_batch(locked: list[tuple[Order, list[OrderLine]]], ask_for: AskFor) -> int:
    """
    For a beat job that locked a batch of orders and their lines (in its transaction):
    ``ask_for`` re-checks the job's rule on each order's locked rows and says what to
    cancel (None leaves the order out), and the asks are cancelled together; returns
    how many orders were. A refusal leaves its order out (logged). An error of the
    batch rolls the batch back and cancels its orders one at a time, each re-read and
    re-checked under the lock the transaction still holds, so one bad order never
    blocks a hundred.
    """
    asks = [ask for order, lines in locked if (ask := ask_for(order, lines)) is not None]
    if not asks:
        return 0
    try:
        with transaction.atomic():
            outcome = cancel_locked_batch(asks)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.exception("A batch of %s cancellations failed; one order at a time", len(asks))
        return _one_at_a_time([ask.order.pk for ask in asks], ask_for)
    for order_id, refusal in outcome.refused.items():
        logger.warning("Order %s left out of the batch: %s", order_id, refusal)
    return len(outcome.cancelled)


def _one_at_a_time(order_ids: list[int], ask_for: AskFor) -> int:
    done = 0
    for order_id in order_ids:
        try:
            with transaction.atomic():
                order, lines = lock_order(order_id)  # held by this transaction: fresh rows
                ask = ask_for(order, lines)
                if ask is not None:
                    outcome = cancel_locked_batch([ask])
                    for refusal in outcome.refused.values():
                        raise refusal
                    done += 1
        except SoftTimeLimitExceeded:
            raise
        except CancellationError as refusal:
            logger.warning("Order %s left out: %s", order_id, refusal)
        except Exception:
            logger.exception("Order %s could not be cancelled", order_id)
    return done


def _plan(ask: CancelAsk) -> _Planned:
    """The rules on the locked rows, then the cancellation as it will be written."""
    order, lines, actor = ask.order, ask.lines, ask.actor
    check_actor(order, actor)
    note = check_reason_and_note(reason=ask.reason, note=ask.note, role=actor.role)
    chosen = chosen_units(lines, ask.quantities)
    _check_still_cancellable(order, lines, actor=actor, expected_mode=ask.expected_mode)
    refund = sum((line.unit_price * qty for line, qty in chosen.items()), Decimal(0))
    cancellation = Cancellation(
        order=order,
        initiator=actor.role,
        actor_user=actor.user,
        reason=ask.reason,
        note=note,
        refund_amount=refund,
        counts_against_seller=counts_against_seller(
            reason=ask.reason, initiator=actor.role, has_request=ask.request is not None
        ),
        request=ask.request,
        idempotency_key=ask.idempotency_key,
    )
    previous_status = order.status
    for line, qty in chosen.items():
        line.quantity_cancelled += qty
    _move_order_on(order, lines)
    money = money_outcome(order.payment, refund, step=MoneyStep.UNDER_WAY)
    return _Planned(ask, chosen, cancellation, previous_status, money)


def _write(planned: list[_Planned]) -> None:
    """
    Every row of the batch, a statement or two per kind of row; the emails are rendered
    here too, and written with the money's messages in one INSERT as the batch ends.
    """
    Cancellation.objects.bulk_create([plan.cancellation for plan in planned])
    update_rows(
        OrderLine,
        [(line.pk, line.quantity_cancelled) for plan in planned for line in plan.chosen],
        set_sql="quantity_cancelled = v.column2",
    )
    CancellationLine.objects.bulk_create(
        CancellationLine(cancellation=plan.cancellation, order_line=line, quantity=qty)
        for plan in planned
        for line, qty in plan.chosen.items()
    )
    _write_statuses(planned)
    _release(planned)
    _close_pending_requests_if_moot(planned)
    OrderEvent.objects.bulk_create(
        events.items_cancelled(
            plan.cancellation, plan.ask.actor, chosen=plan.chosen, money=plan.money
        )
        for plan in planned
    )
    people = {
        pk for plan in planned for pk in (plan.ask.order.buyer_id, plan.ask.order.seller.user_id)
    }
    with zones_read_ahead(people):
        for plan in planned:
            notifications.items_cancelled(plan.cancellation, chosen=plan.chosen, money=plan.money)
    # Last: the listings are the rows other transactions share (every sweep batch, every
    # checkout), so their locks are taken when the rest is written and held only to commit.
    change_shelves(_shelf_changes(planned))


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


def _shelf_changes(planned: list[_Planned]) -> dict[int, ShelfChange]:
    """
    Restock the units, or clear the stock the seller said they do not have ("No
    inventory"), in the order the batch has them: listing id → its change.
    """
    changes: dict[int, ShelfChange] = {}
    for plan in planned:
        for line, qty in plan.chosen.items():
            change = changes.get(line.listing_id, ShelfChange())
            if plan.ask.reason == Reason.NO_INVENTORY:
                changes[line.listing_id] = change.then_clear()
            else:
                changes[line.listing_id] = change.then_restock(qty)
    return changes


def _move_order_on(order: Order, lines: list[OrderLine]) -> None:
    """Cancelled when nothing is left, shipped when the rest has shipped (on the instance)."""
    new_status = expected_status(order, lines)
    if new_status == OrderStatus.CANCELLED:
        order.cancel()
    elif new_status == OrderStatus.SHIPPED:
        order.ship_rest()


def _write_statuses(planned: list[_Planned]) -> None:
    """
    The statuses the state machine chose, in one UPDATE whose WHERE holds each order's
    previous status: an order whose status changed meanwhile is not written, and the
    batch is refused (``BatchConflict``). Every order's ``updated_at`` moves (the cached
    fragments are keyed on it).
    """
    now = timezone.now()
    orders = [plan.ask.order for plan in planned]
    written = update_rows(
        Order,
        [(plan.ask.order.pk, plan.ask.order.status, plan.previous_status) for plan in planned],
        set_sql="status = v.column2, updated_at = %s",
        set_params=[now],
        where_sql="t.status = v.column3",
    )
    if written != len(orders):
        raise BatchConflict(f"{len(orders) - written} of the batch's orders changed meanwhile")
    for order in orders:
        order.updated_at = now


def _release(planned: list[_Planned]) -> None:
    releases = [
        payments.Release(
            plan.ask.order.payment_id,
            plan.cancellation.refund_amount,
            release_key(plan.cancellation),
        )
        for plan in planned
    ]
    try:
        payments.schedule_releases(releases)
    except payments.PaymentError as error:
        # The money does not add up: cancel nothing rather than keep money we owe.
        logger.error(
            "Cannot release %s for order %s: %s",
            ", ".join(str(release.amount) for release in releases),
            ", ".join(plan.ask.order.number for plan in planned),
            error.detail,
        )
        raise CancellationError(
            "We could not return the payment for these items, so nothing was cancelled. "
            "Please try again later or contact us."
        ) from None


def _close_pending_requests_if_moot(planned: list[_Planned]) -> None:
    """A pending request whose items are all gone (cancelled or shipped) has nothing to ask."""
    by_order = {plan.ask.order.pk: plan for plan in planned}
    answered = [plan.ask.request for plan in planned if plan.ask.request is not None]
    for pending in lock_pending_requests(list(by_order), exclude=answered):
        lines = by_order[pending.order_id].ask.lines
        open_by_line = {line.pk: line.quantity_open for line in lines}
        if not any(open_by_line.get(rl.order_line_id) for rl in pending.lines.all()):
            pending.close(note="The items were cancelled.")
            pending.save()
            events.request_closed(pending, items_cancelled=True)
