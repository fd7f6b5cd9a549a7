"""The sandbox gateway behaves like Stripe: test cards, idempotency keys, partial voids, faults."""

from decimal import Decimal

import pytest

from payments.errors import PaymentError
from payments.gateway import (
    CardDeclined,
    GatewayError,
    GatewayResult,
    GatewayTimeout,
    IdempotencyConflict,
    SandboxGateway,
    card_last4,
    get_gateway,
    inject_timeouts,
    tokenize_card,
)
from payments.models import SandboxCharge, SandboxIdempotencyKey
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    return SandboxGateway()


def authorize(gateway, amount="100.00", method="pm_card_visa", key="authorize:1"):
    return gateway.authorize(amount=Decimal(amount), payment_method=method, idempotency_key=key)


# --- Cards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "token"),
    [
        ("4242424242424242", "pm_card_visa"),
        ("4000000000000002", "pm_card_chargeDeclined"),
        ("4000000000009995", "pm_card_chargeDeclinedInsufficientFunds"),
        ("5555555555554444", "pm_card_visa"),
        ("4242 4242 4242 4242", "pm_card_visa"),
        ("4000-0000-0000-0002", "pm_card_chargeDeclined"),
    ],
)
def test_tokenize_maps_test_cards_to_stripe_tokens(number, token):
    """Given a Luhn-valid number (spaces and dashes allowed), it becomes its sandbox token."""
    assert tokenize_card(number) == token


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424241",  # checksum off by one
        "42424242424",  # 11 digits
        "42424242424242424242",  # 20 digits
        "4242 4242 abcd 4242",
        "",
    ],
)
def test_tokenize_refuses_invalid_numbers(number):
    """Given a number that is too short, too long, not digits or fails Luhn, it is refused."""
    with pytest.raises(PaymentError, match=r"^Enter a valid card number\.$"):
        tokenize_card(number)


@pytest.mark.parametrize(
    "number",
    [
        "٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤٢",  # Stripe's Visa in Arabic-Indic digits (Luhn-valid to int())
        "4242 4242 4242 ٤٢٤٢",
        "４２４２４２４２４２４２４２４２",  # full-width
    ],
)
def test_tokenize_refuses_digits_other_than_0_to_9(number):
    """The last four are stored and shown as typed, so only 0 to 9 make a card number."""
    with pytest.raises(PaymentError, match=r"^Enter the card number using the digits 0 to 9\.$"):
        tokenize_card(number)


def test_card_last4_ignores_separators():
    """The last four digits are shown to the buyer, separators aside."""
    assert card_last4("4000 0000 0000 9995") == "9995"


# --- Authorize --------------------------------------------------------------------------------


def test_authorize_holds_the_amount_on_a_new_charge(gateway):
    """Given the Visa test token, when authorizing, then a charge holds the amount."""
    result = authorize(gateway)

    assert result.reference.startswith("ch_")
    assert (result.amount, result.status) == (Decimal("100.00"), "authorized")
    charge = SandboxCharge.objects.get(reference=result.reference)
    assert charge.amount_authorized == Decimal("100.00")
    assert charge.amount_open == Decimal("100.00")


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("pm_card_chargeDeclined", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_authorize_declines_test_cards(gateway, method, code):
    """Given a declining test token, when authorizing, then CardDeclined and no charge."""
    with pytest.raises(CardDeclined) as declined:
        authorize(gateway, method=method)

    assert declined.value.code == code
    assert declined.value.message
    assert not SandboxCharge.objects.exists()


def test_replayed_declined_key_raises_the_same_decline(gateway):
    """Given a declined key, when it is sent again, then the same decline is replayed."""
    with pytest.raises(CardDeclined):
        authorize(gateway, method="pm_card_chargeDeclinedInsufficientFunds")

    with pytest.raises(CardDeclined) as replayed:
        authorize(gateway, method="pm_card_chargeDeclinedInsufficientFunds")

    assert replayed.value.code == "insufficient_funds"
    assert SandboxIdempotencyKey.objects.count() == 1


def test_same_key_replays_without_a_second_charge(gateway):
    """Given an authorized key, when it is sent again, then the first result comes back."""
    first = authorize(gateway)

    second = authorize(gateway)

    assert second == first
    assert SandboxCharge.objects.count() == 1


def test_same_key_with_another_amount_is_a_conflict(gateway):
    """Given a used key, when it is reused with another amount, then IdempotencyConflict."""
    authorize(gateway, amount="100.00")

    with pytest.raises(IdempotencyConflict):
        authorize(gateway, amount="90.00")

    assert SandboxCharge.objects.count() == 1


def test_same_key_for_another_operation_is_a_conflict(gateway):
    """A key names one operation: using an authorize key to capture is refused."""
    charge = authorize(gateway, key="k").reference

    with pytest.raises(IdempotencyConflict):
        gateway.capture(charge=charge, amount=Decimal("100.00"), idempotency_key="k")


def test_timeout_then_retry_with_same_key_charges_once(gateway):
    """Given an injected timeout, when the call is retried with its key, it happens once."""
    with inject_timeouts(1):
        with pytest.raises(GatewayTimeout):
            authorize(gateway)
        assert not SandboxCharge.objects.exists()

        result = authorize(gateway)

    assert authorize(gateway) == result
    assert SandboxCharge.objects.get().amount_authorized == Decimal("100.00")


def test_injected_timeouts_end_with_the_block(gateway):
    """Timeouts left over when the block ends do not leak into later calls."""
    with inject_timeouts(5), pytest.raises(GatewayTimeout):
        authorize(gateway)

    assert authorize(gateway).status == "authorized"


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "NaN"])
def test_invalid_amounts_are_refused(gateway, amount):
    """Amounts must be positive whole cents; a refused call leaves no key behind."""
    with pytest.raises(GatewayError, match="Invalid amount"):
        authorize(gateway, amount=amount)

    assert not SandboxIdempotencyKey.objects.exists()


# --- Capture, void, refund ----------------------------------------------------------------


def test_capture_more_than_authorized_fails(gateway):
    """Given 100 authorized, when capturing 100.01, then GatewayError and nothing captured."""
    charge = authorize(gateway).reference

    with pytest.raises(GatewayError, match="Cannot capture"):
        gateway.capture(charge=charge, amount=Decimal("100.01"), idempotency_key="capture:1")

    assert SandboxCharge.objects.get().amount_captured == 0
    # Nothing happened, so nothing is remembered: the key is free for a valid call.
    assert gateway.capture(charge=charge, amount=Decimal("100.00"), idempotency_key="capture:1")


def test_partial_void_reduces_the_open_authorization(gateway):
    """Given 100 authorized, when voiding 30, then 70 is open and capturing 71 fails."""
    charge = authorize(gateway).reference

    result = gateway.void(charge=charge, amount=Decimal("30.00"), idempotency_key="void:1")

    assert result == GatewayResult(charge, Decimal("30.00"), "voided")
    row = SandboxCharge.objects.get()
    assert (row.amount_voided, row.amount_open) == (Decimal("30.00"), Decimal("70.00"))
    with pytest.raises(GatewayError):
        gateway.capture(charge=charge, amount=Decimal("71.00"), idempotency_key="capture:1")
    gateway.capture(charge=charge, amount=Decimal("70.00"), idempotency_key="capture:2")
    assert SandboxCharge.objects.get().amount_open == 0


def test_refund_is_bounded_by_what_was_captured(gateway):
    """Given 40 of 100 captured, refunds may return 40 in total and not a cent more."""
    charge = authorize(gateway).reference
    gateway.capture(charge=charge, amount=Decimal("40.00"), idempotency_key="capture:1")

    refund = gateway.refund(charge=charge, amount=Decimal("25.00"), idempotency_key="refund:1")
    with pytest.raises(GatewayError, match="Cannot refund"):
        gateway.refund(charge=charge, amount=Decimal("15.01"), idempotency_key="refund:2")
    gateway.refund(charge=charge, amount=Decimal("15.00"), idempotency_key="refund:3")

    assert refund.reference.startswith("re_")
    row = SandboxCharge.objects.get()
    assert (row.amount_captured, row.amount_refunded) == (Decimal("40.00"), Decimal("40.00"))


def test_unknown_charge_is_refused(gateway):
    """A capture on a charge the gateway never made fails."""
    with pytest.raises(GatewayError, match="No such charge"):
        gateway.capture(charge="ch_nope", amount=Decimal("1.00"), idempotency_key="capture:1")


# --- Choice of gateway ----------------------------------------------------------------------


class FakeGateway(SandboxGateway):
    pass


def test_get_gateway_reads_the_setting_at_call_time(settings):
    """The setting names the gateway class, read on each call so tests may swap it."""
    assert type(get_gateway()) is SandboxGateway

    settings.PAYMENT_GATEWAY = "tests.payments.test_gateway.FakeGateway"

    assert type(get_gateway()) is FakeGateway


# --- Concurrency (row locks need PostgreSQL) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_one_key_charge_once():
    """Given two processes send the same key at once, one charge is made and both see it."""
    first, second = run_together(
        lambda: authorize(SandboxGateway()), lambda: authorize(SandboxGateway())
    )

    assert isinstance(first, GatewayResult)
    assert first == second
    assert SandboxCharge.objects.count() == 1
