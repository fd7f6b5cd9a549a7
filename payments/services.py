"""
The only writers of payments and their transactions.

No gateway call runs while a business row is locked: authorization calls the
gateway first and records the answer after; captures, voids and refunds are
written as pending rows in the caller's transaction and executed after commit
through the outbox (``execute_transaction``), with retries on timeouts.

Every refusal is a ``PaymentError`` whose message a buyer may read; a capture, void
or refund the gateway refused is recorded as a failed transaction and announced
with ``signals.payment_action_failed`` so the order's timeline says so.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications import outbox

from .cards import Card, given_card
from .errors import PaymentError
from .gateway import (
    CardDeclined,
    GatewayError,
    GatewayResult,
    GatewayTimeout,
    IdempotencyConflict,
    get_gateway,
)
from .models import ZERO, Payment, PaymentTransaction
from .selectors import hold_left, money_position, pending_claims_of
from .signals import payment_action_failed

__all__ = [
    "AuthenticationRequired",
    "PaymentError",
    "Release",
    "authentication_secret",
    "authorize_payment",
    "create_payment",
    "execute_transaction",
    "release_unclaimed",
    "schedule_capture",
    "schedule_release",
    "schedule_releases",
]

logger = logging.getLogger(__name__)

TRANSACTION_MESSAGE = "payments.transaction"

Kind = PaymentTransaction.Kind

# The gateway's answer when the card's bank wants the buyer to confirm (3-D Secure).
REQUIRES_ACTION = "requires_action"


class AuthenticationRequired(Exception):
    """
    The card's bank wants the buyer to confirm the payment (3-D Secure) before it answers.
    Nothing was recorded: the buyer's browser confirms with ``client_secret``, then the
    same authorization, with the same key, is asked again.
    """

    def __init__(self, client_secret: str):
        super().__init__("The card's bank asks the buyer to confirm the payment.")
        self.client_secret = client_secret


def create_payment(
    *, amount: Decimal, card_number: str | None = None, card: Card | None = None
) -> Payment:
    """
    Create the pending payment of a checkout, inside the caller's transaction.

    The card is a ``Card`` (the gateway's payment method and last four digits) or, for
    the sandbox, a card number, of which only its token and last four digits are kept.
    Raises PaymentError (for the form) when the card number is not valid.
    """
    card = given_card(card=card, card_number=card_number)
    if amount <= 0:
        raise PaymentError(
            "There is nothing to pay for.", detail=f"payment of {amount} refused: not positive"
        )
    with transaction.atomic():
        return Payment.objects.create(
            amount=amount, payment_method=card.payment_method, card_last4=card.last4
        )


def authorize_payment(
    *,
    payment_id: int,
    idempotency_key: str,
    card_number: str | None = None,
    card: Card | None = None,
) -> Payment:
    """
    Authorize the payment's amount on its card, outside any transaction.

    ``card`` (or ``card_number``) replaces the card first ("Revise payment"; PaymentError
    if the number is not valid); it is kept before the gateway is asked, so a retry after
    a timeout needs only the key. Declines are recorded as a failed transaction and
    status "failed". A timeout records nothing and raises GatewayTimeout: retry with the
    same key. A bank that wants the buyer to confirm records nothing and raises
    AuthenticationRequired: ask again with the same key once they did.
    In PAYMENT_CAPTURE="checkout" mode the whole amount is then captured too.
    """
    if card is not None or card_number is not None:
        new_card = given_card(card=card, card_number=card_number)
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if not payment.is_authorized:
                payment.payment_method, payment.card_last4 = new_card.payment_method, new_card.last4
                payment.save(update_fields=["payment_method", "card_last4", "updated_at"])
    payment = Payment.objects.get(pk=payment_id)
    if not payment.is_authorized:
        payment = _authorize(payment, idempotency_key)
    if settings.PAYMENT_CAPTURE == "checkout" and payment.status == Payment.Status.AUTHORIZED:
        payment = _capture_at_checkout(payment, f"capture:{idempotency_key}")
    return payment


def _authorize(payment: Payment, key: str) -> Payment:
    if PaymentTransaction.objects.filter(idempotency_key=key).exists():
        return payment  # this attempt was answered already (a decline): a new one needs a new key
    gateway = get_gateway()
    result, error = _call(
        lambda: gateway.authorize(
            amount=payment.amount, payment_method=payment.payment_method, idempotency_key=key
        )
    )
    if result is not None and result.status == REQUIRES_ACTION:
        # Not an answer yet: no hold, nothing to record until the buyer confirmed.
        raise AuthenticationRequired(result.client_secret)
    duplicate = False
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if PaymentTransaction.objects.filter(idempotency_key=key).exists():
            return payment  # a concurrent call with the same key recorded it
        if not payment.is_authorized:
            attempt = PaymentTransaction(
                payment=payment, kind=Kind.AUTHORIZE, amount=payment.amount, idempotency_key=key
            )
            _settle(payment, attempt, result, error)
        else:
            # Another attempt, with another key, authorized first while we asked.
            duplicate = result is not None
    if duplicate and result is not None:
        # Release our second hold on the card rather than keep it; if this fails the
        # hold simply expires at the bank, and the payment's rows stay true.
        try:
            gateway.void(
                charge=result.reference, amount=result.amount, idempotency_key=f"void:{key}"
            )
        except GatewayError:
            logger.warning("Duplicate authorization %s of payment %s not voided", key, payment.pk)
    return payment


def _capture_at_checkout(payment: Payment, key: str) -> Payment:
    if PaymentTransaction.objects.filter(idempotency_key=key).exists():
        return payment
    gateway = get_gateway()
    with transaction.atomic():
        payment = _lock(payment.pk)
        # A cancellation queued while the card was being asked already claims its part
        # of the hold: capture the rest, so its void has something left to release.
        amount = hold_left(payment, payment.pending)
    if amount <= 0:
        return payment
    result, error = _call(
        lambda: gateway.capture(charge=payment.charge_reference, amount=amount, idempotency_key=key)
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            capture = PaymentTransaction(
                payment=payment, kind=Kind.CAPTURE, amount=amount, idempotency_key=key
            )
            _settle(payment, capture, result, error)
    return payment


def _call(request: Callable[[], GatewayResult]) -> tuple[GatewayResult | None, str]:
    """
    Ask the gateway; return (result, "") or (None, why it refused). Timeouts and key
    conflicts are raised: neither is an answer about the card.
    """
    try:
        return request(), ""
    except (GatewayTimeout, IdempotencyConflict):
        raise
    except GatewayError as refusal:
        return None, str(refusal)


def _settle(
    payment: Payment, row: PaymentTransaction, result: GatewayResult | None, error: str
) -> None:
    """Write the gateway's answer to a transaction and, on success, to the payment's totals."""
    row.processed_at = timezone.now()
    if result is None:
        row.status, row.error = PaymentTransaction.Status.FAILED, error
        if row.kind == Kind.AUTHORIZE:
            payment.status = Payment.Status.FAILED
            payment.save(update_fields=["status", "updated_at"])
    else:
        row.status, row.gateway_reference = PaymentTransaction.Status.SUCCEEDED, result.reference
        payment.apply(kind=row.kind, amount=row.amount, reference=result.reference)
        payment.save()
    row.save()
    if result is None and row.kind != Kind.AUTHORIZE:
        # Money the buyer was promised did not move: staff must put it right, and the
        # order's timeline must stop saying it did.
        logger.error(
            "Gateway refused %s of %s on payment %s (transaction %s): %s",
            row.kind,
            row.amount,
            payment.pk,
            row.pk,
            error,
        )
        payment_action_failed.send(sender=PaymentTransaction, payment_transaction=row)


def schedule_capture(
    *, payment_id: int, amount: Decimal, idempotency_key: str
) -> PaymentTransaction | None:
    """
    Queue a capture of ``amount`` (what was just shipped), inside the caller's transaction.

    Returns None in PAYMENT_CAPTURE="checkout" mode: everything was captured at checkout.
    The same key again returns the transaction it created. Raises PaymentError when the
    amount is more than is authorized and not yet claimed by pending captures or voids.
    """
    if settings.PAYMENT_CAPTURE == "checkout":
        return None
    with _own_transaction_if_none():
        payment = _lock(payment_id, replay_keys=[idempotency_key])
        if payment.replayed:
            existing = list(PaymentTransaction.objects.filter(idempotency_key=idempotency_key))
            return _same_request(existing, payment, amount)[0]
        available = hold_left(payment, payment.pending)
        if not 0 < amount <= available:
            raise PaymentError(
                "The buyer's payment does not cover these items.",
                detail=f"capture {amount} of payment {payment.pk}: "
                f"{available} is authorized and unclaimed",
            )
        return _schedule(payment, Kind.CAPTURE, amount, idempotency_key)


def schedule_release(
    *, payment_id: int, amount: Decimal, idempotency_key: str
) -> list[PaymentTransaction]:
    """
    Queue the release of ``amount`` for cancelled items, inside the caller's transaction.

    What is still only authorized is voided first; the rest is refunded from what was
    captured. Pending transactions count as done, so two releases never claim the same
    money. A payment that was never authorized has nothing to release. The same key
    again returns the rows it created. Raises PaymentError when ``amount`` is more than
    can be voided and refunded: a refund never exceeds what was captured.
    """
    (rows,) = schedule_releases([Release(payment_id, amount, idempotency_key)])
    return rows


@dataclass(frozen=True)
class Release:
    """One release for ``schedule_releases``: ``amount`` of a payment, under its key."""

    payment_id: int
    amount: Decimal
    idempotency_key: str


def schedule_releases(releases: Sequence[Release]) -> list[list[PaymentTransaction]]:
    """
    ``schedule_release`` for several at once (a batch of cancellations), with the same
    rules: the payments are locked in id order in one statement, what their pending
    transactions claim is read after the locks are granted in one more, each release
    is checked in turn (a later one sees what an earlier one claimed on the same
    payment), and the new rows are written in one INSERT. Returns each release's rows,
    in the order given. Raises PaymentError for the first that does not add up, before
    anything is written.
    """
    keys = [_release_keys(release.idempotency_key) for release in releases]
    with _own_transaction_if_none():
        locked, used = _lock_all(
            {release.payment_id for release in releases},
            replay_keys=[key for pair in keys for key in pair.values()],
        )
        planned = [
            _plan_release(locked[release.payment_id], release.amount, pair, used=used)
            for release, pair in zip(releases, keys, strict=True)
        ]
        _schedule_all([row for rows in planned for row in rows if row.pk is None])
        return planned


def release_unclaimed(
    *, payment_id: int, keep: Decimal, idempotency_key: str
) -> list[PaymentTransaction]:
    """
    Queue the release of what the payment still holds beyond ``keep``, inside the
    caller's transaction (the hold of a late authorization, less what the order owes).

    What is held is what was authorized and neither released nor claimed by a pending
    void or refund, read under the payment's lock: a cancellation that queued its own
    release while the card was being asked is never released a second time.
    """
    keys = _release_keys(idempotency_key)
    with _own_transaction_if_none():
        payment = _lock(payment_id, replay_keys=keys.values())
        if not payment.is_authorized:
            return []
        held = (
            payment.amount_authorized
            - payment.amount_voided
            - payment.amount_refunded
            - payment.pending[Kind.VOID]
            - payment.pending[Kind.REFUND]
        )
        excess = held - keep
        if excess <= 0:
            return []
        return _release(payment, excess, keys)


def release_rows(*, idempotency_keys: list[str]) -> dict[str, list[PaymentTransaction]]:
    """
    The void and refund rows each release key queued (``schedule_release``), by that key:
    one query; an empty list for a release that moved nothing.
    """
    release_of = {
        row_key: key for key in idempotency_keys for row_key in _release_keys(key).values()
    }
    rows: dict[str, list[PaymentTransaction]] = {key: [] for key in idempotency_keys}
    for row in PaymentTransaction.objects.filter(idempotency_key__in=release_of):
        rows[release_of[row.idempotency_key]].append(row)
    return rows


def release_statuses(*, idempotency_keys: list[str]) -> dict[str, set[str]]:
    """The statuses of each release's rows (``release_rows``), by its key: one query."""
    return {
        key: {row.status for row in rows}
        for key, rows in release_rows(idempotency_keys=idempotency_keys).items()
    }


def _own_transaction_if_none() -> AbstractContextManager[object]:
    """
    The caller's transaction, else one of our own (the payment's lock must last until
    the rows are written). No savepoint: every refusal is raised before anything is
    written, so there is nothing to roll back and the caller's transaction stays usable.
    """
    return nullcontext() if transaction.get_connection().in_atomic_block else transaction.atomic()


def _release_keys(idempotency_key: str) -> dict[str, str]:
    return {Kind.VOID: f"void:{idempotency_key}", Kind.REFUND: f"refund:{idempotency_key}"}


def _release(payment: Payment, amount: Decimal, keys: dict[str, str]) -> list[PaymentTransaction]:
    """Void what is still held, refund the rest; ``payment`` comes from ``_lock``."""
    used = set(keys.values()) if payment.replayed else set()
    rows = _plan_release(payment, amount, keys, used=used)
    _schedule_all([row for row in rows if row.pk is None])
    return rows


def _plan_release(
    payment: Payment, amount: Decimal, keys: dict[str, str], *, used: set[str]
) -> list[PaymentTransaction]:
    """
    The rows that release ``amount`` of a locked payment (``_lock``): the ones its keys
    wrote already (a replay), else new ones, not saved yet, whose claims are added to
    ``payment.pending`` so that a later release of the same batch sees them. ``used``:
    the keys already used (a replay of one of ``keys`` returns what it wrote).
    """
    if used & set(keys.values()):
        existing = list(PaymentTransaction.objects.filter(idempotency_key__in=keys.values()))
        return _same_request(existing, payment, amount)
    if amount < 0:
        raise PaymentError(
            "There is nothing to return.", detail=f"release of {amount} refused: negative"
        )
    if not payment.is_authorized or not amount:
        return []
    money = money_position(payment, payment.pending)
    voidable, refundable = money.unclaimed_hold, money.refundable
    parts = {Kind.VOID: min(amount, voidable), Kind.REFUND: amount - min(amount, voidable)}
    if parts[Kind.REFUND] > refundable:
        raise PaymentError(
            "We could not return this payment.",
            detail=f"release {amount} of payment {payment.pk}: {voidable} is authorized "
            f"and {refundable} refundable",
        )
    rows = []
    for kind, part in parts.items():
        if part > 0:
            payment.pending[kind] += part
            rows.append(
                PaymentTransaction(
                    payment=payment, kind=kind, amount=part, idempotency_key=keys[kind]
                )
            )
    return rows


def _lock(payment_id: int, *, replay_keys: Iterable[str] = ()) -> Payment:
    """
    The payment, locked, with what its pending transactions already claim
    (``payment.pending``, per kind) and whether one of ``replay_keys`` was used already
    (``payment.replayed``), read after the lock is granted in one more query.
    (Not as subqueries of the locking SELECT: those read the snapshot taken before it
    waited for the lock, and would miss the claim of the transaction it waited for.)
    """
    locked, _used = _lock_all([payment_id], replay_keys=replay_keys)
    return locked[payment_id]


def _lock_all(
    payment_ids: Iterable[int], *, replay_keys: Iterable[str] = ()
) -> tuple[dict[int, Payment], set[str]]:
    """
    ``_lock`` of several payments, locked in id order in one statement, and the set of
    ``replay_keys`` used already.
    """
    payment_ids = set(payment_ids)
    payments = {
        payment.pk: payment
        for payment in Payment.objects.select_for_update().filter(pk__in=payment_ids).order_by("pk")
    }
    missing = payment_ids - set(payments)
    if missing:
        raise Payment.DoesNotExist(f"Payments {sorted(missing)} do not exist.")
    claims, used = pending_claims_of(payments, replay_keys=replay_keys)
    for payment in payments.values():
        payment.pending, payment.replayed = claims[payment.pk], bool(used)
    return payments, used


def _same_request(
    existing: list[PaymentTransaction], payment: Payment, amount: Decimal
) -> list[PaymentTransaction]:
    # Like the gateway: a key replays its first request, and only that request.
    if (
        any(row.payment_id != payment.pk for row in existing)
        or sum((row.amount for row in existing), ZERO) != amount
    ):
        raise PaymentError(
            "This request was already made with other amounts.",
            detail=f"idempotency key of payment {payment.pk} reused with another amount",
        )
    return sorted(existing, key=lambda row: row.pk)


def _schedule(
    payment: Payment, kind: str, amount: Decimal, idempotency_key: str
) -> PaymentTransaction:
    row = PaymentTransaction(
        payment=payment, kind=kind, amount=amount, idempotency_key=idempotency_key
    )
    _schedule_all([row])
    return row


def _schedule_all(rows: list[PaymentTransaction]) -> None:
    """Write the pending rows in one INSERT, each with its outbox message (one more)."""
    if not rows:
        return
    PaymentTransaction.objects.bulk_create(rows)
    with outbox.batch():
        for row in rows:
            outbox.enqueue(TRANSACTION_MESSAGE, {"transaction_id": row.pk})


@outbox.handler(TRANSACTION_MESSAGE)
def _deliver_transaction(payload: dict[str, int]) -> None:
    execute_transaction(transaction_id=payload["transaction_id"])


def execute_transaction(*, transaction_id: int) -> PaymentTransaction:
    """
    Perform a pending capture, void or refund at the gateway and record the answer.

    Raises outbox.RetryLater on a timeout (the row stays pending; the retry uses the
    same key). Running it again for a settled transaction does nothing.
    """
    row = PaymentTransaction.objects.select_related("payment").get(pk=transaction_id)
    if row.status != PaymentTransaction.Status.PENDING:
        return row
    gateway = get_gateway()
    method: dict[str, Callable[..., GatewayResult]] = {
        Kind.CAPTURE: gateway.capture,
        Kind.VOID: gateway.void,
        Kind.REFUND: gateway.refund,
    }
    try:
        result = method[row.kind](
            charge=row.payment.charge_reference,
            amount=row.amount,
            idempotency_key=row.idempotency_key,
        )
        error = ""
    except GatewayTimeout as timeout:
        raise outbox.RetryLater(str(timeout)) from timeout
    except GatewayError as refusal:
        result, error = None, str(refusal)
    return _record_answer(row, result, error)


def _record_answer(
    row: PaymentTransaction, result: GatewayResult | None, error: str
) -> PaymentTransaction:
    """Settle a pending row from the gateway's answer, under the payment's lock, once."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=row.payment_id)
        row = PaymentTransaction.objects.select_for_update().get(pk=row.pk)
        if row.status == PaymentTransaction.Status.PENDING:
            _settle(payment, row, result, error)
    return row


# --- Reconciliation (the beat job) -------------------------------------------------------
def stale_transactions(*, older_than: datetime) -> QuerySet[PaymentTransaction]:
    """Captures, voids and refunds still pending since before ``older_than``."""
    return PaymentTransaction.objects.filter(
        status=PaymentTransaction.Status.PENDING, created_at__lt=older_than
    ).exclude(kind=Kind.AUTHORIZE)


def reconcile_transaction(*, transaction_id: int) -> PaymentTransaction:
    """
    Settle a capture, void or refund left pending (its call timed out and its retries
    stalled or were parked). The gateway is asked what the key did BEFORE anything is
    retried: a call it performed is recorded from its answer and no money moves; one
    it never performed is executed now, with the same key (so a retry that raced this
    one is replayed by the gateway, not repeated). Raises GatewayTimeout when the
    gateway does not answer the lookup either; the next run asks again.
    """
    row = PaymentTransaction.objects.get(pk=transaction_id)
    if row.status != PaymentTransaction.Status.PENDING or row.kind == Kind.AUTHORIZE:
        return row
    result = get_gateway().retrieve(idempotency_key=row.idempotency_key)
    if result is None:
        try:
            return execute_transaction(transaction_id=transaction_id)
        except outbox.RetryLater as timeout:
            raise GatewayTimeout(str(timeout)) from timeout
    logger.info("Transaction %s found done at the gateway; recording it", row.pk)
    return _record_answer(row, result, "")


def recover_authorization(*, payment_id: int, idempotency_key: str) -> Payment:
    """
    Ask the gateway whether an authorization whose answer never arrived happened, and
    record it if so. Never authorizes anew: a key the gateway does not know leaves the
    payment as it is.
    """
    try:
        found = get_gateway().retrieve(idempotency_key=idempotency_key) is not None
    except CardDeclined:
        found = True  # a remembered decline: replaying the key records it
    if not found:
        return Payment.objects.get(pk=payment_id)
    # The key is known, so the gateway replays its first answer: no second hold.
    try:
        return authorize_payment(payment_id=payment_id, idempotency_key=idempotency_key)
    except AuthenticationRequired:
        return Payment.objects.get(pk=payment_id)  # the buyer never confirmed: still pending


def authentication_secret(*, idempotency_key: str) -> str:
    """
    The secret the buyer's browser confirms an authorization with (3-D Secure), while the
    gateway's answer to ``idempotency_key`` is that the bank wants the buyer to confirm;
    "" otherwise (answered, never asked, or the gateway not answering). Moves no money:
    the gateway looks the key up.
    """
    try:
        result = get_gateway().retrieve(idempotency_key=idempotency_key)
    except GatewayError:
        return ""
    if result is None or result.status != REQUIRES_ACTION:
        return ""
    return result.client_secret
