"""
The payment gateway interface and a Stripe-like sandbox behind it.

Every money call carries an idempotency key named after the business operation.
As with Stripe, a repeated key replays the first answer (a decline included), a
key reused with other parameters is refused, and a call the gateway refused as
invalid (nothing happened) is not remembered, so it may be tried again.
"""

import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .errors import InvalidCard
from .models import SandboxCharge, SandboxIdempotencyKey, StripeCall


class GatewayError(Exception):
    """The gateway refused the call; the same call will be refused again."""


class CardDeclined(GatewayError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayTimeout(GatewayError):
    """No answer in time: the call may or may not have happened; retry with the same key."""


class IdempotencyConflict(GatewayError):
    """The key was already used for a call with other parameters."""


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    amount: Decimal
    status: str
    # Set when status is "requires_action": the card's bank wants the buyer to confirm
    # (3-D Secure); the browser confirms with this secret, then the same call is repeated.
    client_secret: str = ""


class PaymentGateway(Protocol):
    def authorize(
        self, *, amount: Decimal, payment_method: str, idempotency_key: str
    ) -> GatewayResult: ...

    def capture(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult: ...

    def void(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult: ...

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult: ...

    def retrieve(self, *, idempotency_key: str) -> GatewayResult | None: ...


GATEWAYS = {
    "sandbox": "payments.gateway.SandboxGateway",
    "stripe": "payments.stripe_gateway.StripeGateway",
}


def get_gateway() -> PaymentGateway:
    """
    The gateway settings.PAYMENT_GATEWAY names ("sandbox", "stripe" or a dotted path),
    read now, so tests can swap it.
    """
    name = settings.PAYMENT_GATEWAY
    return import_string(GATEWAYS.get(name, name))()


def uses_stripe() -> bool:
    """Whether checkout collects cards with Stripe Elements (the Stripe gateway is on)."""
    return settings.PAYMENT_GATEWAY == "stripe"


# --- Cards --------------------------------------------------------------------------

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
INSUFFICIENT_FUNDS = "pm_card_chargeDeclinedInsufficientFunds"
# Stripe's card that attaches to a customer but whose charges are declined: the one
# declining test card localstripe knows too, so a test can decline on either gateway.
CHARGE_FAILS = "pm_card_chargeCustomerFail"

# Stripe's test card numbers; any other valid number behaves like the Visa that succeeds.
TEST_CARDS = {
    "4242424242424242": VISA,
    "4000000000000002": DECLINED,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000000000000341": CHARGE_FAILS,
}
DECLINES = {
    DECLINED: ("card_declined", "Your card was declined."),
    CHARGE_FAILS: ("card_declined", "Your card was declined."),
    INSUFFICIENT_FUNDS: ("insufficient_funds", "Your card has insufficient funds."),
}

# A decline as the buyer reads it: what their bank said, and what they can do. Keyed by
# the message a failed authorization records; any other text (a refusal of the call
# itself, a risk rule) is not written for the buyer and reads as the general sentence.
BUYER_DECLINE_REASONS = {
    DECLINES[DECLINED][1]: "Your bank did not say why: try another card, or ask your bank.",
    DECLINES[INSUFFICIENT_FUNDS][1]: (
        "Your bank says the card does not have enough funds for this order."
    ),
    # Stripe's own messages for its other decline codes (the Stripe gateway records them).
    "Your card has expired.": "The card has expired: use another card.",
    "Your card's security code is incorrect.": (
        "The card's security code (CVC) is not right: check it, or use another card."
    ),
    "Your card was declined. This transaction requires authentication.": (
        "Your bank asked you to confirm this payment and it was not confirmed: "
        "try again, or use another card."
    ),
    "An error occurred while processing your card. Try again in a little bit.": (
        "Your bank could not process the card just now: try again in a few minutes."
    ),
}
UNEXPLAINED_DECLINE = "Your bank did not accept the payment: try another card."


def decline_reason_for_buyer(error: str) -> str:
    """Why a card was declined, in the buyer's words, from the gateway's recorded answer."""
    return BUYER_DECLINE_REASONS.get(error, UNEXPLAINED_DECLINE)


def _digits(number: str) -> str:
    return re.sub(r"[\s-]", "", number)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def tokenize_card(number: str) -> str:
    """Turn a card number into the sandbox token that stands for it; InvalidCard if invalid."""
    digits = _digits(number)
    # [0-9], not \d: \d matches every script's digits, and the last four would be
    # stored and shown as the buyer typed them (Arabic-Indic, say).
    if not digits.isascii():
        raise InvalidCard("Enter the card number using the digits 0 to 9.")
    if not (re.fullmatch(r"[0-9]{12,19}", digits) and _luhn_valid(digits)):
        raise InvalidCard("Enter a valid card number.")
    return TEST_CARDS.get(digits, VISA)


def card_last4(number: str) -> str:
    return _digits(number)[-4:]


# --- Fault injection ------------------------------------------------------------------

_timeouts_left = 0


@contextmanager
def inject_timeouts(count: int) -> Iterator[None]:
    """
    Make the gateway's next ``count`` calls time out before doing anything (the sandbox's
    and the Stripe gateway's: tests and drills inject the faults a network would).
    """
    global _timeouts_left
    _timeouts_left = count
    try:
        yield
    finally:
        _timeouts_left = 0


def maybe_time_out() -> None:
    global _timeouts_left
    if _timeouts_left > 0:
        _timeouts_left -= 1
        raise GatewayTimeout("The payment gateway did not answer in time.")


# --- Idempotency keys ----------------------------------------------------------------


def claim_key[Record: SandboxIdempotencyKey | StripeCall](
    model: type[Record], key: str, operation: str, fingerprint: str
) -> Record:
    """
    The gateway's record of ``key``, locked: new, or the first call's (to replay). Call
    inside a transaction. IdempotencyConflict when the key was used with other parameters.
    """
    try:
        # A concurrent call with the same key waits here on the unique index
        # until the first one commits, then replays its answer.
        with transaction.atomic():
            made = model.objects.create(key=key, operation=operation, fingerprint=fingerprint)
            return cast(Record, made)
    except IntegrityError:
        record = cast(Record, model.objects.select_for_update().get(key=key))
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(f"Idempotency key {key!r} was used with other parameters.")
    return record


# --- The sandbox ------------------------------------------------------------------------


def _money(amount: Decimal) -> Decimal:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise GatewayError(f"Invalid amount {amount!r}: a positive amount in cents is required.")
    return value.quantize(Decimal("0.01"))


class SandboxGateway:
    """
    Stripe's behaviour, kept in the database: an authorization holds an amount on a
    charge, captures and (partial) voids consume the hold, refunds give back what
    was captured.
    """

    def authorize(
        self, *, amount: Decimal, payment_method: str, idempotency_key: str
    ) -> GatewayResult:
        amount = _money(amount)

        def perform() -> GatewayResult:
            if payment_method in DECLINES:
                raise CardDeclined(*DECLINES[payment_method])
            if payment_method != VISA:
                raise GatewayError(f"No such payment method: {payment_method!r}.")
            charge = SandboxCharge.objects.create(
                reference=f"ch_{secrets.token_hex(12)}",
                payment_method=payment_method,
                amount_authorized=amount,
            )
            return GatewayResult(charge.reference, amount, "authorized")

        params = {"amount": amount, "payment_method": payment_method}
        return self._call("authorize", idempotency_key, params, perform)

    def capture(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("capture", charge, amount, idempotency_key)

    def void(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("void", charge, amount, idempotency_key)

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        return self._move("refund", charge, amount, idempotency_key)

    def retrieve(self, *, idempotency_key: str) -> GatewayResult | None:
        """
        What the call made with this key did, moving no money: its result, None when
        the gateway never performed it (so a retry with the key is safe), CardDeclined
        for a remembered decline. Like any call it may time out.
        """
        maybe_time_out()
        record = SandboxIdempotencyKey.objects.filter(key=idempotency_key).first()
        if record is None or not record.response:
            return None
        response = record.response
        if "decline_code" in response:
            raise CardDeclined(response["decline_code"], response["message"])
        return GatewayResult(response["reference"], Decimal(response["amount"]), response["status"])

    # Each move draws on one balance of the charge and adds to one total:
    # operation → (balance it draws on, total it adds to, status it answers).
    MOVES = {
        "capture": ("amount_open", "amount_captured", "captured"),
        "void": ("amount_open", "amount_voided", "voided"),
        "refund": ("amount_refundable", "amount_refunded", "refunded"),
    }

    def _move(self, operation: str, charge: str, amount: Decimal, key: str) -> GatewayResult:
        amount = _money(amount)
        balance, total, status = self.MOVES[operation]

        def perform() -> GatewayResult:
            row = self._lock_charge(charge)
            available = getattr(row, balance)
            if amount > available:
                raise GatewayError(f"Cannot {operation} {amount}: only {available} is available.")
            setattr(row, total, getattr(row, total) + amount)
            row.save(update_fields=[total])
            # A refund is an object of its own at Stripe; the others act on the charge.
            reference = f"re_{secrets.token_hex(12)}" if operation == "refund" else row.reference
            return GatewayResult(reference, amount, status)

        return self._call(operation, key, {"charge": charge, "amount": amount}, perform)

    @staticmethod
    def _lock_charge(reference: str) -> SandboxCharge:
        charge = SandboxCharge.objects.select_for_update().filter(reference=reference).first()
        if charge is None:
            raise GatewayError(f"No such charge: {reference!r}.")
        return charge

    def _call(
        self, operation: str, key: str, params: dict, perform: Callable[[], GatewayResult]
    ) -> GatewayResult:
        maybe_time_out()
        fingerprint = json.dumps({"operation": operation, **params}, sort_keys=True, default=str)
        with transaction.atomic():
            record = claim_key(SandboxIdempotencyKey, key, operation, fingerprint)
            if not record.response:
                try:
                    result = perform()
                    record.response = {
                        "reference": result.reference,
                        "amount": str(result.amount),
                        "status": result.status,
                    }
                except CardDeclined as declined:
                    # A decline is an answer: remembered and replayed like a success.
                    record.response = {"decline_code": declined.code, "message": declined.message}
                # Any other GatewayError leaves this block and rolls the key back with it.
                record.save(update_fields=["response"])
        if "decline_code" in record.response:
            raise CardDeclined(record.response["decline_code"], record.response["message"])
        response = record.response
        return GatewayResult(response["reference"], Decimal(response["amount"]), response["status"])
