"""
The Stripe gateway: the portal's authorize, capture, void and refund as PaymentIntents.

Stripe captures a PaymentIntent once and cannot release part of a hold; the portal
captures what each shipment carries and voids what each cancellation frees. The
gateway's ledger (``StripeCharge`` and its ``StripeIntent`` rows) bridges the two:

- authorize: an intent for the order's total, confirmed, with manual capture. When the
  bank asks for 3-D Secure the answer is "requires_action" with the intent's client
  secret; the browser confirms, and the same call (same key) then records the hold.
- capture: the first captures the live intent for what shipped, and Stripe releases the
  rest of its hold; a later one charges the saved card with a new intent (off session).
- void: recorded in the ledger; the live intent is cancelled once nothing is left of
  it to capture (the whole order cancelled), which releases the hold at the bank.
- refund: Refund objects against the intents that were charged, newest first.

Each call holds the charge's ledger row locked while it asks Stripe, so two moves on
one charge never race for its live intent (the lock is the gateway's own row, never a
business row). Stripe's idempotency key is the portal's: a call repeated after a
timeout is replayed by Stripe, not repeated. The answer is recorded (``StripeCall``) in
the ledger's transaction, so a repeated key replays it here too, declines included.
"""

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import stripe
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from .errors import PaymentError
from .gateway import (
    CardDeclined,
    GatewayError,
    GatewayResult,
    GatewayTimeout,
    IdempotencyConflict,
    claim_key,
    maybe_time_out,
)
from .models import PaymentTransaction, StripeCall, StripeCharge, StripeCustomer, StripeIntent

logger = logging.getLogger(__name__)

CURRENCY = "usd"
CENTS = Decimal(100)
Status = StripeIntent.Status

# A decline with no message of Stripe's own (3-D Secure abandoned, say).
AUTHENTICATION_FAILED = (
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)


def client() -> stripe.StripeClient:
    """Stripe's client for the settings in force (read now, so tests can point it elsewhere)."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        # Stripe's client retries connection errors with the same idempotency key.
        max_network_retries=2,
        http_client=http_client(),
    )


def http_client() -> stripe.HTTPClient:
    """How the client reaches Stripe (a test may answer in Stripe's place)."""
    return stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)


def _cents(amount: Decimal) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise GatewayError(f"Invalid amount {amount!r}: a positive amount in cents is required.")
    return int(value * CENTS)


def _params(params: dict[str, Any]) -> Any:
    """
    Parameters as sent. Stripe's typed parameters omit ``payment_method_types``, which
    its API still takes (and which the gateway uses rather than automatic payment methods).
    """
    return params


def _decimal(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS).quantize(Decimal("0.01"))


@contextmanager
def stripe_errors() -> Iterator[None]:
    """
    Stripe's errors as the gateway's: a card's refusal is a decline (Stripe's message,
    which ``decline_reason_for_buyer`` words for the buyer), a connection error or a
    rate limit a timeout (the call is retried with the same key), an idempotency error
    a key conflict, anything else a refusal. The detail goes to the log.
    """
    try:
        yield
    except stripe.CardError as error:
        json_body: Any = error.json_body or {}
        body: dict[str, Any] = json_body.get("error", {})
        code = body.get("decline_code") or error.code or "card_declined"
        logger.info("Stripe declined (%s, request %s): %s", code, error.request_id, body)
        raise CardDeclined(code, body.get("message") or "Your card was declined.") from error
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        logger.warning("Stripe did not answer (request %s): %s", error.request_id, error)
        raise GatewayTimeout("The payment gateway did not answer in time.") from error
    except stripe.IdempotencyError as error:
        raise IdempotencyConflict(str(error)) from error
    except stripe.StripeError as error:
        logger.error("Stripe refused the call (request %s): %s", error.request_id, error)
        raise GatewayError(error.user_message or str(error)) from error


def portal_key(found: stripe.StripeObject) -> str:
    """The portal's idempotency key a Stripe object carries in its metadata ("" for none)."""
    return str(found.to_dict().get("metadata", {}).get("portal_key", ""))


def _result(response: dict[str, Any]) -> GatewayResult:
    if "decline_code" in response:
        raise CardDeclined(response["decline_code"], response["message"])
    return GatewayResult(
        response["reference"],
        Decimal(response["amount"]),
        response["status"],
        response.get("client_secret", ""),
    )


def _response(result: GatewayResult, **extra: Any) -> dict[str, Any]:
    return {
        "reference": result.reference,
        "amount": str(result.amount),
        "status": result.status,
        **({"client_secret": result.client_secret} if result.client_secret else {}),
        **extra,
    }


class StripeGateway:
    """The PaymentGateway protocol over Stripe's PaymentIntents (see the module's text)."""

    def __init__(self) -> None:
        self.stripe = client()

    # --- Authorize ----------------------------------------------------------------------

    def authorize(
        self, *, amount: Decimal, payment_method: str, idempotency_key: str
    ) -> GatewayResult:
        cents = _cents(amount)
        params = {"amount": str(amount), "payment_method": payment_method}
        with self._call("authorize", idempotency_key, params) as call:
            if call.response.get("status") == "requires_action":
                result = self._after_action(call.response["reference"], idempotency_key)
            elif call.response:
                return _result(call.response)
            else:
                result = self._create_hold(cents, payment_method, idempotency_key)
            call.response = _response(result)
        return _result(call.response)

    def _create_hold(self, cents: int, payment_method: str, key: str) -> GatewayResult:
        with stripe_errors():
            owner = self.stripe.v1.payment_methods.retrieve(payment_method).customer
            intent = self.stripe.v1.payment_intents.create(
                # payment_method_types, not automatic payment methods: a card, confirmed
                # here without a return URL (and the one form localstripe accepts).
                params=_params(
                    {
                        "amount": cents,
                        "currency": CURRENCY,
                        "payment_method": payment_method,
                        "payment_method_types": ["card"],
                        "capture_method": "manual",
                        "confirm": True,
                        "metadata": {"portal_key": key},
                        **({"customer": owner} if owner else {}),
                    }
                ),
                options={"idempotency_key": key},
            )
        return self._hold_result(intent, key)

    def _after_action(self, reference: str, key: str) -> GatewayResult:
        """The intent the bank asked the buyer to confirm, looked up after the browser did."""
        with stripe_errors():
            intent = self.stripe.v1.payment_intents.retrieve(reference)
        return self._hold_result(intent, key)

    def _hold_result(self, intent: stripe.PaymentIntent, key: str) -> GatewayResult:
        amount = _decimal(intent.amount)
        if intent.status == "requires_capture":
            self._open_ledger(intent, amount)
            return GatewayResult(intent.id, amount, "authorized")
        if intent.status == "requires_action":
            return GatewayResult(intent.id, amount, "requires_action", intent.client_secret or "")
        logger.info("Intent %s for %s ended %s", intent.id, key, intent.status)
        raise CardDeclined(*AUTHENTICATION_FAILED)

    @staticmethod
    def _open_ledger(intent: stripe.PaymentIntent, amount: Decimal) -> None:
        method = intent.payment_method
        charge = StripeCharge.objects.create(
            reference=intent.id,
            customer=intent.customer if isinstance(intent.customer, str) else "",
            payment_method=method if isinstance(method, str) else getattr(method, "id", ""),
            live_intent=intent.id,
            amount_authorized=amount,
        )
        StripeIntent.objects.create(
            charge=charge, intent=intent.id, amount=amount, status=Status.HOLDING
        )

    # --- Capture, void, refund ------------------------------------------------------------

    def capture(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("capture", charge, amount, idempotency_key, self._capture)

    def void(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("void", charge, amount, idempotency_key, self._void)

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("refund", charge, amount, idempotency_key, self._refund)

    BALANCES = {"capture": "amount_open", "void": "amount_open", "refund": "amount_refundable"}

    def _move(
        self,
        operation: str,
        charge: str,
        amount: Decimal,
        key: str,
        perform: Callable[[StripeCharge, Decimal, str], dict[str, Any]],
    ) -> GatewayResult:
        _cents(amount)
        with self._call(operation, key, {"charge": charge, "amount": str(amount)}) as call:
            if not call.response:
                ledger = StripeCharge.objects.select_for_update().filter(reference=charge).first()
                if ledger is None:
                    raise GatewayError(f"No such charge: {charge!r}.")
                available = getattr(ledger, self.BALANCES[operation])
                if amount > available:
                    raise GatewayError(
                        f"Cannot {operation} {amount}: only {available} is available."
                    )
                call.response = perform(ledger, amount, key)
        return _result(call.response)

    def _capture(self, ledger: StripeCharge, amount: Decimal, key: str) -> dict[str, Any]:
        intent = self._capture_hold(ledger, amount, key) if ledger.live_intent else None
        if intent is None:
            intent = self._charge_saved_card(ledger, amount, key)
        ledger.amount_captured += amount
        ledger.save(update_fields=["amount_captured", "live_intent"])
        return _response(GatewayResult(intent.intent, amount, "captured"))

    def _capture_hold(self, ledger: StripeCharge, amount: Decimal, key: str) -> StripeIntent | None:
        """
        Capture ``amount`` of the live intent; None when its hold is gone (it expired, or
        was cancelled at Stripe, before the webhook said so): the card is charged instead.
        """
        intent = ledger.intents.get(intent=ledger.live_intent)
        ledger.live_intent = ""
        try:
            with stripe_errors():
                self.stripe.v1.payment_intents.capture(
                    intent.intent,
                    params={"amount_to_capture": _cents(amount)},
                    options={"idempotency_key": key},
                )
        except GatewayTimeout:
            raise
        except GatewayError:
            if self._status(intent.intent) != "canceled":
                raise
            intent.status = Status.CANCELED
            intent.save(update_fields=["status"])
            return None
        intent.amount_captured, intent.status = amount, Status.CAPTURED
        intent.save(update_fields=["amount_captured", "status"])
        return intent

    def _status(self, intent: str) -> str:
        with stripe_errors():
            return str(self.stripe.v1.payment_intents.retrieve(intent).status)

    def _charge_saved_card(self, ledger: StripeCharge, amount: Decimal, key: str) -> StripeIntent:
        """A later shipment: the first capture took the hold, so the saved card is charged."""
        with stripe_errors():
            paid = self.stripe.v1.payment_intents.create(
                params=_params(
                    {
                        "amount": _cents(amount),
                        "currency": CURRENCY,
                        "payment_method": ledger.payment_method,
                        "payment_method_types": ["card"],
                        "confirm": True,
                        "off_session": True,
                        "metadata": {"portal_key": key},
                        **({"customer": ledger.customer} if ledger.customer else {}),
                    }
                ),
                options={"idempotency_key": key},
            )
        if paid.status != "succeeded":
            logger.info("Charge %s for %s ended %s", paid.id, key, paid.status)
            raise CardDeclined(*AUTHENTICATION_FAILED)
        return StripeIntent.objects.create(
            charge=ledger,
            intent=paid.id,
            amount=amount,
            amount_captured=amount,
            status=Status.CAPTURED,
        )

    def _void(self, ledger: StripeCharge, amount: Decimal, key: str) -> dict[str, Any]:
        ledger.amount_voided += amount
        if ledger.live_intent and not ledger.amount_open:
            # Nothing is left to capture: release the whole hold at the bank.
            intent = ledger.intents.get(intent=ledger.live_intent)
            self._cancel(intent.intent, key)
            intent.status = Status.CANCELED
            intent.save(update_fields=["status"])
            ledger.live_intent = ""
        ledger.save(update_fields=["amount_voided", "live_intent"])
        return _response(GatewayResult(ledger.reference, amount, "voided"))

    def _cancel(self, intent: str, key: str) -> None:
        try:
            with stripe_errors():
                self.stripe.v1.payment_intents.cancel(intent, options={"idempotency_key": key})
        except GatewayTimeout:
            raise
        except GatewayError:
            # Already cancelled (the authorization expired, or someone cancelled it at
            # Stripe): the hold is released, which is what the void asked for.
            if self._status(intent) != "canceled":
                raise

    def _refund(self, ledger: StripeCharge, amount: Decimal, key: str) -> dict[str, Any]:
        left, refunds = amount, []
        for intent in ledger.intents.filter(amount_captured__gt=0).order_by("-pk"):
            part = min(left, intent.amount_refundable)
            if part <= 0:
                continue
            with stripe_errors():
                refund = self.stripe.v1.refunds.create(
                    params={
                        "payment_intent": intent.intent,
                        "amount": _cents(part),
                        "metadata": {"portal_key": key},
                    },
                    options={"idempotency_key": f"{key}:{intent.intent}"},
                )
            if refund.status in ("failed", "canceled"):
                raise GatewayError(f"Stripe refused the refund {refund.id}: {refund.status}.")
            intent.amount_refunded += part
            intent.save(update_fields=["amount_refunded"])
            refunds.append(refund.id)
            left -= part
            if not left:
                break
        ledger.amount_refunded += amount
        ledger.save(update_fields=["amount_refunded"])
        return _response(GatewayResult(refunds[0], amount, "refunded"), refunds=refunds)

    # --- Retrieve ---------------------------------------------------------------------------

    def retrieve(self, *, idempotency_key: str) -> GatewayResult | None:
        """
        What the call made with this key did, moving no money: the recorded answer, or
        None when nothing was recorded and Stripe shows nothing done under the key (a
        retry with the key is then safe).

        A move Stripe performed whose answer was lost (the process died while the
        ledger's transaction was open) is repeated with its key: Stripe replays its first
        answer, and the ledger records it. An authorization found at Stripe is answered
        as found; the caller's repeat of ``authorize`` with the key records it the same way.
        """
        maybe_time_out()
        call = StripeCall.objects.filter(key=idempotency_key).first()
        if call is not None and call.response:
            return _result(call.response)
        row = (
            PaymentTransaction.objects.select_related("payment")
            .filter(idempotency_key=idempotency_key)
            .exclude(kind=PaymentTransaction.Kind.AUTHORIZE)
            .first()
        )
        if row is None:
            return self._found_authorization(idempotency_key)
        charge = row.payment.charge_reference
        if not self._done_at_stripe(row.kind, charge, idempotency_key):
            return None
        repeat = {"capture": self.capture, "void": self.void, "refund": self.refund}[row.kind]
        return repeat(charge=charge, amount=row.amount, idempotency_key=idempotency_key)

    def _found_authorization(self, key: str) -> GatewayResult | None:
        # Where Stripe's search is not available (localstripe has none), not found:
        # recovery never authorizes anew, so an unseen hold simply expires.
        found = self._intents_made_with(key)
        if not found:
            return None
        intent = found[0]
        return GatewayResult(intent.id, _decimal(intent.amount), "authorized")

    def _intents_made_with(self, key: str) -> list[stripe.PaymentIntent]:
        """
        The intents Stripe's search finds with the key in their metadata; none, with a
        warning, where search is not available (it may also lag a few seconds behind).
        """
        try:
            with stripe_errors():
                found = self.stripe.v1.payment_intents.search(
                    params={"query": f"metadata['portal_key']:'{key}'"}
                )
        except GatewayTimeout:
            raise
        except GatewayError:
            logger.warning("Could not search Stripe for the intents of %s", key)
            return []
        return list(found.data)

    def _done_at_stripe(self, kind: str, charge: str, key: str) -> bool:
        ledger = StripeCharge.objects.filter(reference=charge).first()
        if ledger is None:
            return False
        if kind == "refund":
            with stripe_errors():
                return any(
                    portal_key(refund) == key
                    for intent in ledger.intents.filter(amount_captured__gt=0)
                    for refund in self.stripe.v1.refunds.list(
                        params={"payment_intent": intent.intent}
                    ).auto_paging_iter()
                )
        if ledger.live_intent:
            with stripe_errors():
                status = self.stripe.v1.payment_intents.retrieve(ledger.live_intent).status
            return status == ("canceled" if kind == "void" else "succeeded")
        # A later shipment's charge is a new intent, found by search. Not found, the
        # capture is executed with its key, which Stripe replays rather than repeats if
        # it did happen (its keys last 24 hours; reconciliation runs after minutes). A
        # void without a live intent moved nothing at Stripe.
        return kind == "capture" and bool(self._intents_made_with(key))

    # --- The record of each key ------------------------------------------------------------

    @contextmanager
    def _call(self, operation: str, key: str, params: dict[str, str]) -> Iterator[StripeCall]:
        """
        The key's record, locked, in a transaction that lasts the call: the body fills
        ``response`` (a decline is recorded and replayed like a success); any other
        refusal leaves with the transaction, so the key may be tried again.
        """
        maybe_time_out()
        fingerprint = json.dumps({"operation": operation, **params}, sort_keys=True)
        with transaction.atomic():
            call = claim_key(StripeCall, key, operation, fingerprint)
            try:
                yield call
            except CardDeclined as declined:
                call.response = {"decline_code": declined.code, "message": declined.message}
            call.save(update_fields=["response"])


# --- Checkout: cards collected by Stripe Elements ------------------------------------------


@dataclass(frozen=True)
class CardSetup:
    """What the checkout page's script needs to collect a card with Stripe.js."""

    client_secret: str
    publishable_key: str
    js_url: str


def customer_for(user: AbstractBaseUser) -> str:
    """The buyer's Stripe customer, made on first use (one per buyer, under the user's lock)."""
    existing = StripeCustomer.objects.filter(user_id=user.pk).first()
    if existing is not None:
        return existing.customer
    with stripe_errors():
        made = client().v1.customers.create(
            params={"metadata": {"portal_user": str(user.pk)}},
            options={"idempotency_key": f"customer:{user.pk}"},
        )
    try:
        with transaction.atomic():
            return StripeCustomer.objects.create(user_id=user.pk, customer=made.id).customer
    except IntegrityError:
        # Made at the same time by another request: keep theirs.
        return StripeCustomer.objects.get(user_id=user.pk).customer


def card_setup(user: AbstractBaseUser) -> CardSetup:
    """A SetupIntent for the buyer's next card, to be confirmed in the browser."""
    customer = customer_for(user)
    with stripe_errors():
        setup = client().v1.setup_intents.create(
            params=_params(
                {"customer": customer, "usage": "off_session", "payment_method_types": ["card"]}
            )
        )
    return CardSetup(
        client_secret=setup.client_secret or "",
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        js_url=settings.STRIPE_JS_URL,
    )


def card_last4(payment_method: str, *, user: AbstractBaseUser) -> str:
    """
    The last four digits of a card the buyer saved through Elements. PaymentError when
    Stripe does not know it or it belongs to someone else.
    """
    refused = PaymentError("We could not read this card: enter it again.")
    if not payment_method.startswith("pm_") or len(payment_method) > 64:
        raise refused
    try:
        with stripe_errors():
            method = client().v1.payment_methods.retrieve(payment_method)
    except (GatewayError, CardDeclined) as error:
        raise refused from error
    mine = StripeCustomer.objects.filter(user_id=user.pk).values_list("customer", flat=True)
    if method.customer is None or method.customer not in list(mine) or method.card is None:
        raise refused
    return str(method.card.last4)
