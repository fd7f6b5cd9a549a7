"""
The only writers of Resolution Center cases.

Each service runs in its own transaction: lock the order row (then its lines, as
everywhere), then the case; re-check the rule on the locked rows; transition; write
the order's audit row (``events``); queue the emails (``notifications``) and any
refund, both through the outbox, which runs them after commit. A refund is queued by
``payments.services.schedule_release`` with the key ``dispute:<id>`` — the one money
path, and a second resolution of the same case can never pay twice.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import Reason as CancellationReason
from cancellations.services import CancellationError, cancel_items
from core import formatting
from core import text as core_text
from orders.actors import Actor
from orders.models import ActorRole, Order
from orders.services import lock_order
from payments import services as payments

from . import events, notifications, rules
from .models import BODY_MAX_LENGTH, Dispute, DisputeMessage
from .selectors import MoneySeen, MoneySummary, money_summary, offer_refund, opening_facts

logger = logging.getLogger(__name__)

RESOLVE_PERMISSION = "disputes.resolve_dispute"
CENT = Decimal("0.01")


class DisputeError(Exception):
    """A rule said no; nothing changed. The message is for the person who asked."""


class StaleConfirmation(DisputeError):
    """
    What the person confirmed (an offer, a refundable amount) changed since their page
    showed it; nothing changed. The page shows the new figures to confirm again.
    """


# --- Checks shared by the services ---------------------------------------------------------
def clean_text(text: str, *, what: str, required: bool = True) -> str:
    return core_text.clean_text(
        text, what=what, max_length=BODY_MAX_LENGTH, error=DisputeError, required=required
    )


def check_amount(amount: Decimal | str | int | None, *, money: MoneySummary) -> Decimal:
    """A refund amount: more than zero, whole cents, at most what may still be refunded."""
    unreadable = DisputeError("Enter the amount in dollars and cents, like 12.50.")
    if amount is None:
        raise unreadable
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise unreadable from None
    if not amount.is_finite() or amount <= 0:
        raise DisputeError("The amount must be more than $0.00.")
    if amount != amount.quantize(CENT):
        raise DisputeError("The amount can have at most two decimals (whole cents).")
    if amount > money.refundable:
        raise DisputeError(f"The amount is more than can be refunded: {refundable_words(money)}")
    return amount.quantize(CENT)


def refundable_words(money: MoneySummary) -> str:
    """What a case may refund, and why the money for unshipped items is not part of it."""
    words = f"{formatting.money(money.refundable)} was charged and not yet refunded."
    if money.unshipped:
        words = (
            f"{formatting.money(money.refundable)} was charged for what shipped and not yet "
            f"refunded; the {formatting.money(money.unshipped)} for items not yet shipped is "
            "refunded when they are cancelled."
        )
    return words


def _lock(dispute_id: int) -> tuple[Order, Dispute]:
    """Lock the order (and its lines), then the case: the order first, everywhere."""
    order_id = Dispute.objects.values_list("order_id", flat=True).get(pk=dispute_id)
    order, _lines = lock_order(order_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    dispute.order = order  # the locked row, with its parties and payment
    return order, dispute


def _role_in(dispute: Dispute, actor: Actor) -> ActorRole:
    """The actor's part in this case; DisputeError for anyone without one."""
    user_id = actor.user_id
    if actor.role == ActorRole.BUYER and user_id == dispute.buyer_id:
        return ActorRole.BUYER
    if actor.role == ActorRole.SELLER and user_id == dispute.order.seller.user_id:
        return ActorRole.SELLER
    if actor.role == ActorRole.STAFF and actor.user is not None and actor.user.is_staff:
        return ActorRole.STAFF
    raise DisputeError("Only the buyer, the seller and marketplace staff take part in a case.")


def _require(dispute: Dispute, actor: Actor, *roles: str) -> None:
    if _role_in(dispute, actor) not in roles:
        raise DisputeError("You cannot do this in this case.")
    if actor.role == ActorRole.STAFF and not (
        actor.user and actor.user.has_perm(RESOLVE_PERMISSION)
    ):
        raise DisputeError("Resolving cases needs the “Can resolve disputes” permission.")


def _require_active(dispute: Dispute) -> None:
    if not dispute.is_active:
        raise DisputeError(f"This case is closed: {dispute.get_status_display().lower()}.")


# --- Buyer and seller ---------------------------------------------------------------------------
def open_dispute(*, order_id: int, reason: str, description: str, actor: Actor) -> Dispute:
    """
    The buyer opens a case on their own order, if ``rules.why_not`` allows that reason
    now (asked on the locked order and lines): one open case per order. A case about a
    refused return, or about a return's refund that did not arrive, names that return
    (``rules.about_return``).
    """
    description = clean_text(description, what="description")
    if reason not in Dispute.Reason.values:
        raise DisputeError("Choose a reason from the list.")
    with transaction.atomic():
        order, lines = lock_order(order_id)
        if actor.role != ActorRole.BUYER or order.buyer_id != actor.user_id:
            raise DisputeError("Only the buyer of this order can open a case.")
        facts = opening_facts(order, lines)
        if refusal := rules.why_not(reason, facts):
            raise DisputeError(refusal)
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    order=order,
                    buyer=order.buyer,
                    seller=order.seller,
                    reason=reason,
                    return_request_id=rules.about_return(reason, facts),
                    description=description,
                    respond_by=timezone.now()
                    + timedelta(hours=settings.DISPUTE_SELLER_RESPONSE_HOURS),
                )
        except IntegrityError:  # the lock makes this a belt-and-braces check
            raise DisputeError("This order already has an open case.") from None
        DisputeMessage.objects.create(
            dispute=dispute, author=actor.user, role=ActorRole.BUYER, body=description
        )
        events.opened(dispute, actor)
        notifications.opened(dispute)
        return dispute


def post_message(
    *, dispute_id: int, body: str, actor: Actor, internal: bool = False
) -> DisputeMessage:
    """
    A party or staff writes in the case; the others are emailed. The seller's first
    answer marks the case "seller responded". Internal notes are staff's only and are
    neither shown to the parties nor emailed.
    """
    body = clean_text(body, what="message")
    with transaction.atomic():
        _order, dispute = _lock(dispute_id)
        role = _role_in(dispute, actor)
        if internal and role != ActorRole.STAFF:
            raise DisputeError("Only marketplace staff write internal notes.")
        if role == ActorRole.STAFF:
            _require(dispute, actor, ActorRole.STAFF)
        if not internal:
            _require_active(dispute)
        message = DisputeMessage.objects.create(
            dispute=dispute, author=actor.user, role=role, body=body, internal=internal
        )
        if internal:
            return message
        if role == ActorRole.SELLER:
            _record_seller_answer(dispute, actor)
        notifications.message_posted(dispute, role=role, body=body)
        return message


def _record_seller_answer(dispute: Dispute, actor: Actor) -> None:
    """The seller answered: a new case moves on; staff's question is answered."""
    if dispute.status == Dispute.Status.OPEN:
        dispute.seller_respond()
        dispute.save()
        events.seller_responded(dispute, actor)
    elif dispute.information_requested_at is not None:
        dispute.information_requested_at = None
        dispute.save(update_fields=["information_requested_at", "updated_at"])


def make_offer(
    *,
    dispute_id: int,
    kind: str,
    actor: Actor,
    amount: Decimal | str | int | None = None,
    message: str = "",
) -> Dispute:
    """
    The seller offers a full refund (everything still refundable) or a partial one of
    ``amount``; a new offer replaces the last. Offering is the seller's answer too.
    """
    message = clean_text(message, what="message", required=False)
    if kind not in Dispute.OfferKind.values:
        raise DisputeError("Choose a full or a partial refund.")
    with transaction.atomic():
        order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.SELLER)
        _require_active(dispute)
        money = money_summary(order)
        if kind == Dispute.OfferKind.FULL:
            if money.refundable <= 0:
                raise DisputeError(f"Nothing can be refunded: {refundable_words(money)}")
            amount = money.refundable
        else:
            amount = check_amount(amount, money=money)
        if message:
            DisputeMessage.objects.create(
                dispute=dispute, author=actor.user, role=ActorRole.SELLER, body=message
            )
        dispute.make_offer(kind=kind, amount=amount)
        dispute.save()
        events.offer_made(dispute, actor)
        notifications.offer_made(dispute, message=message)
        return dispute


def accept_offer(
    *, dispute_id: int, actor: Actor, offer_seen: int, refund_seen: Decimal
) -> Dispute:
    """
    The buyer accepts the seller's offer they saw (``offer_seen``, its version, refunding
    ``refund_seen``): resolved by agreement, that refund is queued. If the seller replaced
    the offer or the refund it gives moved meanwhile, nothing changes.
    """
    with transaction.atomic():
        order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.BUYER)
        _require_active(dispute)
        if not dispute.has_offer:
            raise DisputeError("The seller has not made an offer to accept.")
        if dispute.offer_version != offer_seen:
            raise StaleConfirmation("The seller changed the offer: review it before you accept.")
        money = money_summary(order)
        refund = offer_refund(dispute, money)
        if refund is None:
            raise DisputeError(
                "This offer is more than can still be refunded; ask the seller for a new one."
            )
        if refund != refund_seen:
            raise StaleConfirmation(
                f"What this offer refunds changed to {formatting.money(refund)} since you opened "
                "the page: review it before you accept."
            )
        dispute.accept_offer(refund=refund)
        dispute.save()
        _refund(dispute, refund, money)
        events.resolved(dispute, actor)
        notifications.offer_accepted(dispute, refund=refund)
        return dispute


def withdraw(*, dispute_id: int, actor: Actor) -> Dispute:
    """The buyer closes the case; nothing is refunded."""
    with transaction.atomic():
        _order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.BUYER)
        _require_active(dispute)
        dispute.withdraw()
        dispute.save()
        events.resolved(dispute, actor)
        notifications.withdrawn(dispute)
        return dispute


def escalate(*, dispute_id: int, actor: Actor) -> Dispute:
    """
    The buyer or the seller asks marketplace staff to decide; the buyer only once the
    seller has answered or their window to respond has closed (``rules.why_not_escalate``).
    """
    with transaction.atomic():
        _order, dispute = _lock(dispute_id)
        role = _role_in(dispute, actor)
        if role not in (ActorRole.BUYER, ActorRole.SELLER):
            raise DisputeError("Only the buyer or the seller can escalate a case.")
        if refusal := rules.why_not_escalate(dispute, role):
            raise DisputeError(refusal)
        dispute.escalate(by=role)
        dispute.save()
        events.escalated(dispute, actor)
        notifications.escalated(dispute, by=role)
        return dispute


def escalate_unresponsive(*, dispute_id: int, now: datetime | None = None) -> bool:
    """
    The beat job's act on one case: an open case past its deadline goes to staff,
    marked "seller unresponsive". Returns whether it did; a case whose order another
    transaction holds is skipped (the next run sees it), so two runs never wait on each
    other or escalate twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        order_id = Dispute.objects.values_list("order_id", flat=True).get(pk=dispute_id)
        order = (
            Order.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("buyer", "seller__user")
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            return False
        dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
        dispute.order = order
        if dispute.status != Dispute.Status.OPEN or dispute.respond_by >= now:
            return False
        dispute.escalate_unresponsive()
        dispute.save()
        events.escalated(dispute, Actor.system())
        notifications.escalated_unresponsive(dispute)
        return True


# --- Staff (Django admin) ---------------------------------------------------------------------
def resolve_for_buyer(
    *,
    dispute_id: int,
    note: str,
    actor: Actor,
    money_seen: MoneySeen,
    amount: Decimal | str | int | None = None,
) -> Dispute:
    """
    Staff decide for the buyer: ``amount`` refunded, or everything when None (a full
    refund also cancels what has not shipped, releasing its hold). Counts as an order
    defect in the seller's account health. ``money_seen`` is the order's money as the
    confirmation page showed it: if what is refundable moved since, nothing changes.
    """
    note = clean_text(note, what="decision note")
    with transaction.atomic():
        order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.STAFF)
        _require_active(dispute)
        money = money_summary(order)
        check_money_seen(money, money_seen)
        released = Decimal(0)
        if amount is None:
            released = _cancel_unshipped(order, actor, note)
            money = money_summary(order)  # the cancellation moved it
        refund = money.refundable if amount is None else check_amount(amount, money=money)
        dispute.resolve_for_buyer(refund=refund + released, note=note, user=actor.user)
        dispute.save()
        _refund(dispute, refund, money)
        events.resolved(dispute, actor)
        notifications.resolved_for_buyer(dispute, note=note)
        return dispute


def check_money_seen(money: MoneySummary, seen: MoneySeen) -> None:
    """The figures a refund decision rests on are still the ones the page showed."""
    if money.seen != seen:
        raise StaleConfirmation(
            "The order's money changed since you opened this page (a refund or a "
            f"cancellation): still refundable is now {formatting.money(money.refundable)}. "
            "Review it and decide again."
        )


def _cancel_unshipped(order: Order, actor: Actor, note: str) -> Decimal:
    """A full refund covers what never shipped too: cancel it (its hold is released)."""
    open_units = {line.pk: line.quantity_open for line in order.lines.all() if line.quantity_open}
    if not open_units or not order.is_cancellable_state:
        return Decimal(0)
    try:
        cancellation = cancel_items(
            order_id=order.pk,
            quantities=open_units,
            reason=CancellationReason.DISPUTE_RESOLUTION,
            note=note[:500],
            actor=actor,
        )
    except CancellationError as error:
        raise DisputeError(str(error)) from None
    return cancellation.refund_amount


def resolve_for_seller(*, dispute_id: int, note: str, actor: Actor) -> Dispute:
    """Staff decide for the seller: nothing is refunded."""
    note = clean_text(note, what="decision note")
    with transaction.atomic():
        _order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.STAFF)
        _require_active(dispute)
        dispute.resolve_for_seller(note=note, user=actor.user)
        dispute.save()
        events.resolved(dispute, actor)
        notifications.resolved_for_seller(dispute, note=note)
        return dispute


def ask_seller_for_information(*, dispute_id: int, note: str, actor: Actor) -> Dispute:
    """
    Staff take the case (under review) and ask the seller a question, due in
    DISPUTE_SELLER_RESPONSE_HOURS; the question is a message both parties see.
    """
    note = clean_text(note, what="question")
    with transaction.atomic():
        _order, dispute = _lock(dispute_id)
        _require(dispute, actor, ActorRole.STAFF)
        _require_active(dispute)
        DisputeMessage.objects.create(
            dispute=dispute, author=actor.user, role=ActorRole.STAFF, body=note
        )
        dispute.request_information(
            respond_by=timezone.now() + timedelta(hours=settings.DISPUTE_SELLER_RESPONSE_HOURS)
        )
        dispute.save()
        events.information_requested(dispute, actor)
        notifications.information_requested(dispute, question=note)
        return dispute


# --- Money ---------------------------------------------------------------------------------------
def _refund(dispute: Dispute, amount: Decimal, money: MoneySummary) -> None:
    """
    Queue the refund through payments (the outbox runs it after commit). Only charged
    money is refunded here: while part of the order is still only on hold, a refund
    would release that hold instead, so it is refused (staff's full refund cancels the
    unshipped part first).
    """
    if amount <= 0:
        return
    if money.on_hold > 0:
        raise DisputeError(
            "Part of this order has not shipped and is still on hold: a refund can only "
            "return charged money. Cancel the unshipped items first, or decide with a full "
            "refund."
        )
    try:
        payments.schedule_release(
            payment_id=dispute.order.payment_id,
            amount=amount,
            idempotency_key=f"dispute:{dispute.pk}",
        )
    except payments.PaymentError as error:
        logger.error("Cannot refund %s for case %s: %s", amount, dispute.pk, error.detail)
        raise DisputeError(
            "We could not refund this payment, so the case was not resolved. Please try again."
        ) from None
