"""
Stripe's webhook: each event verified, recorded once by its id, and the outcomes Stripe
reports after the fact settled on the portal's books.

Stripe signs every delivery (``Stripe-Signature``, checked by the official library
against ``STRIPE_WEBHOOK_SECRET``, five minutes' tolerance); anything else is refused and
nothing is recorded. An event is recorded (``StripeEvent``, unique ``event_id``) in the
transaction that settles it, so a redelivery, or two deliveries at once, settle it once:
the second waits on the unique index until the first commits, then finds it.

What is settled, each under the payment's lock as in ``payments.services``:

- ``payment_intent.canceled`` for the intent the ledger still holds money on (the
  authorization expired, or it was cancelled at Stripe): the ledger stops counting on
  it, so the next capture charges the saved card anew; ``signals.payment_hold_released``
  tells the order's timeline when the portal still counted on that hold.
- ``payment_intent.payment_failed`` for a later shipment's charge recorded as succeeded
  or pending: the capture failed after all, its amount goes back to what is open, and
  ``signals.payment_action_failed`` is sent as for a capture the gateway refused.
- ``refund.failed`` (or ``refund.updated`` / ``charge.refund.updated`` with status
  "failed") for a refund recorded as succeeded or pending: the refund failed after all,
  the refunded totals go back down, and ``payment_action_failed`` is sent.

Any other event, and one about an object the portal does not know, is recorded and
changes nothing. Each settlement writes what it did in the event's ``outcome``.
"""

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Payment, PaymentTransaction, StripeCharge, StripeEvent, StripeIntent
from .selectors import money_position, pending_claims
from .signals import payment_action_failed, payment_hold_released

logger = logging.getLogger(__name__)

Kind, TxStatus = PaymentTransaction.Kind, PaymentTransaction.Status
Settler = Callable[[dict[str, Any]], str]
CENT = Decimal("0.01")

# Stripe's cancellation_reason when it cancels an authorization nobody captured in time.
EXPIRED = "automatic"
# The metadata the Stripe gateway writes the portal's idempotency key under, on the
# intents and refunds it creates (``payments.stripe_gateway``).
PORTAL_KEY = "portal_key"


class InvalidEvent(Exception):
    """Not an event Stripe signed for this endpoint, or not an event: nothing is recorded."""


def receive_event(*, payload: bytes, signature: str) -> StripeEvent:
    """
    Verify a delivery, record its event once and settle what it reports, in one
    transaction. Raises InvalidEvent for a bad signature or body. A replay returns the
    first delivery's record and changes nothing.
    """
    event = verified_event(payload=payload, signature=signature)
    with transaction.atomic():
        record, first = _claim(event["id"], event["type"])
        if first:
            settle = SETTLERS.get(event["type"])
            outcome = (
                settle(event["data"]["object"]) if settle else "Not an event the portal acts on."
            )
            record.outcome = outcome[: _width("outcome")]
            record.save(update_fields=["outcome"])
    return record


def verified_event(*, payload: bytes, signature: str) -> dict[str, Any]:
    """The event in ``payload`` once its signature checks out; InvalidEvent otherwise."""
    try:
        # ValueError: not UTF-8 or not JSON; AttributeError: JSON that is not an object.
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, AttributeError, stripe.SignatureVerificationError) as error:
        raise InvalidEvent(str(error)) from error
    event = json.loads(payload)
    data = event.get("data")
    if not (
        _fits(event.get("id"), "event_id")
        and _fits(event.get("type"), "type")
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    ):
        raise InvalidEvent("A signed body that is not an event: no id, type or data.object.")
    return event


def _width(field: str) -> int:
    """How many characters a text column of StripeEvent holds."""
    column = StripeEvent._meta.get_field(field)
    return int(getattr(column, "max_length", 0) or 0)


def _fits(value: object, field: str) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _width(field)


def _claim(event_id: str, event_type: str) -> tuple[StripeEvent, bool]:
    """The event's record and whether this delivery made it (False: a replay)."""
    try:
        # A concurrent delivery of the same event waits here on the unique index until
        # the first one commits, then finds its record.
        with transaction.atomic():
            return StripeEvent.objects.create(event_id=event_id, type=event_type), True
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event_id), False


# --- Reading Stripe's objects ------------------------------------------------------------
def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def _cents(obj: dict[str, Any], key: str = "amount") -> Decimal | None:
    """A Stripe amount (integer cents) in dollars; None when it is missing or not one."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return (Decimal(value) / 100).quantize(CENT)


def _metadata(obj: dict[str, Any], key: str) -> str:
    metadata = obj.get("metadata")
    return _text(metadata, key) if isinstance(metadata, dict) else ""


def _payment_error(intent: dict[str, Any]) -> str:
    error = intent.get("last_payment_error")
    message = _text(error, "message") if isinstance(error, dict) else ""
    return message or "Stripe reported that the payment failed."


# --- An authorization released outside the portal ----------------------------------------
def _intent_canceled(intent: dict[str, Any]) -> str:
    intent_id = _text(intent, "id")
    known = StripeIntent.objects.filter(intent=intent_id).select_related("charge").first()
    if known is None:
        return f"No intent {intent_id} in the ledger: nothing to settle."
    payment = _lock_payment(known.charge.reference)
    charge = StripeCharge.objects.select_for_update().get(pk=known.charge_id)
    row = StripeIntent.objects.select_for_update().get(pk=known.pk)
    if charge.live_intent != row.intent:
        return f"Intent {intent_id} no longer held money in the ledger: nothing to settle."
    row.status = StripeIntent.Status.CANCELED
    row.save(update_fields=["status"])
    charge.live_intent = ""
    charge.save(update_fields=["live_intent"])
    if payment is None:
        return f"Intent {intent_id} released; no payment is charged through it."
    claims, _replayed = pending_claims(payment)
    held = money_position(payment, claims).on_hold
    if held <= 0:
        return f"Intent {intent_id} released; payment #{payment.pk} was releasing it anyway."
    expired = _text(intent, "cancellation_reason") == EXPIRED
    logger.warning(
        "Hold %s of payment %s released outside the portal (%s)",
        intent_id,
        payment.pk,
        _text(intent, "cancellation_reason") or "no reason given",
    )
    payment_hold_released.send(sender=Payment, payment=payment, amount=held, expired=expired)
    return (
        f"Hold {intent_id} of {held} on payment #{payment.pk} released outside the portal; "
        "the next capture charges the saved card anew."
    )


def _lock_payment(charge_reference: str) -> Payment | None:
    return Payment.objects.select_for_update().filter(charge_reference=charge_reference).first()


# --- A shipment's charge that failed after all ---------------------------------------------
def _intent_failed(intent: dict[str, Any]) -> str:
    intent_id = _text(intent, "id")
    found = _capture_row(intent)
    if found is None:
        return f"No shipment's charge of the portal is {intent_id}: nothing to settle."
    payment = Payment.objects.select_for_update().get(pk=found.payment_id)
    row = PaymentTransaction.objects.select_for_update().get(pk=found.pk)
    if row.status == TxStatus.FAILED:
        return f"Capture #{row.pk} was already recorded as failed."
    refunded_beyond = payment.amount_refunded > payment.amount_captured - row.amount
    if row.status == TxStatus.SUCCEEDED and refunded_beyond:
        logger.error(
            "Stripe says capture %s (%s) of payment %s failed, but %s of it was refunded",
            row.pk,
            intent_id,
            payment.pk,
            payment.amount_refunded,
        )
        return f"Capture #{row.pk} failed at Stripe after being refunded: left for staff."
    _take_back_ledger_capture(intent_id)
    _fail(payment, row, reason=_payment_error(intent), reference=intent_id)
    return f"Capture #{row.pk} of payment #{payment.pk} failed at Stripe: recorded as failed."


def _capture_row(intent: dict[str, Any]) -> PaymentTransaction | None:
    """
    The capture that charged the saved card through this intent (a capture whose answer
    never came is found by its key alone). An authorization's intent is none: checkout
    settles its own declines.
    """
    if StripeCharge.objects.filter(reference=_text(intent, "id")).exists():
        return None
    return _portal_row(intent, Kind.CAPTURE)


def _portal_row(obj: dict[str, Any], kind: str) -> PaymentTransaction | None:
    """
    The portal's transaction of ``kind`` a Stripe intent or refund was made for: by the
    portal's key in its metadata (the gateway writes it on each; the key is unique, so
    the lookup is an index's), else by its id.
    """
    key, object_id = _metadata(obj, PORTAL_KEY), _text(obj, "id")
    rows = PaymentTransaction.objects.filter(kind=kind)
    if key:
        return rows.filter(idempotency_key=key).first()
    return rows.filter(gateway_reference=object_id).order_by("pk").first() if object_id else None


def _take_back_ledger_capture(intent_id: str) -> None:
    """The ledger stops counting what this intent captured (nothing when it never did)."""
    found = StripeIntent.objects.filter(intent=intent_id).first()
    if found is None:
        return  # the capture's answer never came: the ledger never counted it
    # The charge before its intent, as the gateway locks them.
    charge = StripeCharge.objects.select_for_update().get(pk=found.charge_id)
    row = StripeIntent.objects.select_for_update().get(pk=found.pk)
    if row.status != StripeIntent.Status.CAPTURED or row.amount_refunded:
        return
    if charge.amount_captured - row.amount_captured < charge.amount_refunded:
        return
    charge.amount_captured -= row.amount_captured
    charge.save(update_fields=["amount_captured"])
    row.amount_captured = Decimal("0.00")
    row.status = StripeIntent.Status.CANCELED
    row.save(update_fields=["amount_captured", "status"])


# --- A refund that failed after all ---------------------------------------------------------
def _refund_failed(refund: dict[str, Any]) -> str:
    refund_id, status = _text(refund, "id"), _text(refund, "status")
    if status != "failed":
        return f"Refund {refund_id} is {status or 'of no status'}: nothing to settle."
    amount = _cents(refund)
    found = _portal_row(refund, Kind.REFUND)
    if found is None or amount is None:
        return f"No refund of the portal is {refund_id}: nothing to settle."
    payment = Payment.objects.select_for_update().get(pk=found.payment_id)
    row = PaymentTransaction.objects.select_for_update().get(pk=found.pk)
    if _failed_already(row, refund_id):
        return f"Refund {refund_id} was already recorded as failed."
    if amount < row.amount:
        # The gateway split the portal's refund over several intents; this part failed.
        if row.status != TxStatus.SUCCEEDED:
            # Its answer never came: reconciliation asks Stripe for the whole of it.
            logger.error("Part %s of pending refund %s failed at Stripe", refund_id, row.pk)
            return f"Part {refund_id} of pending refund #{row.pk} failed: left for staff."
        row = _split(row, amount, refund_id)
    reason = f"Stripe could not return the refund ({_text(refund, 'failure_reason') or 'unknown'})."
    _take_back_ledger_refund(_text(refund, "payment_intent"), row)
    _fail(payment, row, reason=reason, reference=refund_id)
    return f"Refund #{row.pk} of payment #{payment.pk} failed at Stripe: recorded as failed."


def _failed_already(row: PaymentTransaction, refund_id: str) -> bool:
    """Whether the refund ``refund_id`` of ``row`` was recorded failed: all of it, or its part."""
    part = f"{row.idempotency_key}:{refund_id}"
    return (
        row.status == TxStatus.FAILED
        or PaymentTransaction.objects.filter(idempotency_key=part).exists()
    )


def _split(row: PaymentTransaction, amount: Decimal, refund_id: str) -> PaymentTransaction:
    """
    Carve the failed part out of ``row`` as a row of its own, keyed by ``row``'s key and
    the refund (``_failed_already`` finds it), ``row`` keeping the rest.
    """
    row.amount -= amount
    row.save(update_fields=["amount"])
    return PaymentTransaction.objects.create(
        payment_id=row.payment_id,
        kind=row.kind,
        amount=amount,
        idempotency_key=f"{row.idempotency_key}:{refund_id}",
        status=row.status,
        gateway_reference=refund_id,
        processed_at=row.processed_at,
    )


def _take_back_ledger_refund(intent_id: str, row: PaymentTransaction) -> None:
    """The ledger stops counting this refund on the intent it was made against."""
    if row.status != TxStatus.SUCCEEDED:
        return  # a refund whose answer never came: the ledger has not counted it either
    found = StripeIntent.objects.filter(intent=intent_id).first()
    if found is None:
        return
    charge = StripeCharge.objects.select_for_update().get(pk=found.charge_id)
    intent = StripeIntent.objects.select_for_update().get(pk=found.pk)
    if intent.amount_refunded < row.amount or charge.amount_refunded < row.amount:
        return
    intent.amount_refunded -= row.amount
    intent.save(update_fields=["amount_refunded"])
    charge.amount_refunded -= row.amount
    charge.save(update_fields=["amount_refunded"])


# --- Writing the failure ---------------------------------------------------------------------
def _fail(payment: Payment, row: PaymentTransaction, *, reason: str, reference: str) -> None:
    """
    Record a capture or refund Stripe reports failed: the payment's totals lose it if
    they counted it, and the order hears of it as of any refused money move.
    """
    if row.status == TxStatus.SUCCEEDED:
        payment.take_back(kind=row.kind, amount=row.amount)
        payment.save()
    row.status, row.error, row.gateway_reference = TxStatus.FAILED, reason, reference
    row.processed_at = timezone.now()
    row.save(update_fields=["status", "error", "gateway_reference", "processed_at"])
    logger.error(
        "Stripe reports %s %s of %s on payment %s failed: %s",
        row.kind,
        reference,
        row.amount,
        payment.pk,
        reason,
    )
    payment_action_failed.send(sender=PaymentTransaction, payment_transaction=row)


SETTLERS: dict[str, Settler] = {
    "payment_intent.canceled": _intent_canceled,
    "payment_intent.payment_failed": _intent_failed,
    "refund.failed": _refund_failed,
    "refund.updated": _refund_failed,
    "charge.refund.updated": _refund_failed,
}
