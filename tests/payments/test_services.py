"""The payment services: the only writers of payments, in both capture modes."""

import contextlib
from decimal import Decimal

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notifications import outbox
from notifications.models import OutboxMessage
from payments import selectors, services, signals
from payments.gateway import (
    CardDeclined,
    GatewayTimeout,
    get_gateway,
    inject_timeouts,
)
from payments.models import Payment, PaymentTransaction, SandboxCharge, StripeCharge
from tests.threads import run_together

from .factories import DECLINED, INSUFFICIENT_FUNDS, VISA, PendingPaymentFactory

# Every test runs against both gateways (the Stripe one against localstripe), but for
# those about the sandbox's own cards and rows, which say so.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]
SANDBOX_ONLY = pytest.mark.parametrize("gateway", ["sandbox"], indirect=True)

Kind = PaymentTransaction.Kind
TxStatus = PaymentTransaction.Status


def authorized_payment(amount: str = "100.00") -> Payment:
    payment = PendingPaymentFactory(amount=Decimal(amount))
    return services.authorize_payment(payment_id=payment.pk, idempotency_key=f"auth:{payment.pk}")


def charge_of(payment: Payment) -> SandboxCharge | StripeCharge:
    """The gateway's own record of the payment's charge: the sandbox's, or the Stripe ledger."""
    model = StripeCharge if settings.PAYMENT_GATEWAY == "stripe" else SandboxCharge
    return model.objects.get(reference=payment.charge_reference)


def gateway_charges():
    """The gateway's own charge records (sandbox charges, or the Stripe ledger)."""
    return (StripeCharge if settings.PAYMENT_GATEWAY == "stripe" else SandboxCharge).objects


def rows(payment: Payment) -> list[tuple[str, Decimal, str]]:
    return [(row.kind, row.amount, row.status) for row in payment.transactions.all()]


@pytest.fixture
def checkout_capture(settings):
    settings.PAYMENT_CAPTURE = "checkout"


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run the block, commit, and deliver the outbox messages it wrote."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- create_payment ---------------------------------------------------------------------------


@SANDBOX_ONLY
def test_create_payment_keeps_the_token_and_last4_only():
    """Given a card number, the payment stores its token and last four, and asks no gateway."""
    payment = services.create_payment(amount=Decimal("25.00"), card_number="4000 0000 0000 9995")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert payment.payment_method == "pm_card_chargeDeclinedInsufficientFunds"
    assert payment.card_last4 == "9995"
    assert not gateway_charges().exists()


def test_create_payment_refuses_an_invalid_card():
    """An invalid number raises PaymentError for the form and writes nothing."""
    with pytest.raises(services.PaymentError, match="valid card number"):
        services.create_payment(amount=Decimal("25.00"), card_number="4242 4242 4242 4241")

    assert not Payment.objects.exists()


# --- authorize_payment ----------------------------------------------------------------------


def test_authorize_records_the_authorization():
    """Given a pending payment, when authorized, the hold and a succeeded row are recorded."""
    payment = authorized_payment("100.00")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == payment.amount_open == Decimal("100.00")
    assert charge_of(payment).amount_authorized == Decimal("100.00")
    row = payment.transactions.get()
    assert (row.kind, row.status, row.gateway_reference) == (
        Kind.AUTHORIZE,
        TxStatus.SUCCEEDED,
        payment.charge_reference,
    )
    assert row.processed_at is not None


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (DECLINED, "Your card was declined."),
        # Sandbox only: localstripe has no such card (test_stripe_payloads has Stripe's).
        pytest.param(INSUFFICIENT_FUNDS, "insufficient funds", id="insufficient-funds"),
    ],
)
def test_declined_authorization_fails_the_payment(card, message):
    """Given a declining card, the payment fails and its failed row says why."""
    payment = PendingPaymentFactory(card_number=card)

    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")

    payment.refresh_from_db()
    assert (payment.status, payment.amount_authorized, payment.charge_reference) == (
        Payment.Status.FAILED,
        0,
        "",
    )
    row = payment.transactions.get()
    assert row.status == TxStatus.FAILED
    assert message in row.error


def test_revised_card_authorizes_a_failed_payment():
    """Given a declined payment, when the buyer gives a new card with a new key, it authorizes."""
    payment = PendingPaymentFactory(card_number=DECLINED)
    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:order:1:1")

    services.authorize_payment(
        payment_id=payment.pk, idempotency_key="auth:order:1:2", card_number=VISA
    )

    payment.refresh_from_db()
    assert (payment.status, payment.card_last4) == (Payment.Status.AUTHORIZED, "4242")
    assert [row.status for row in payment.transactions.all()] == [
        TxStatus.FAILED,
        TxStatus.SUCCEEDED,
    ]


def test_authorize_timeout_records_nothing_and_the_retry_succeeds_once():
    """Given a timeout, nothing is recorded; a retry with the same key authorizes once."""
    payment = PendingPaymentFactory()

    with inject_timeouts(1), pytest.raises(GatewayTimeout):
        services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert not payment.transactions.exists()

    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")
    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.transactions.count() == 1
    assert gateway_charges().count() == 1


def test_revised_card_survives_a_timeout():
    """A revise that times out keeps the new card, so the retry needs only the key."""
    payment = PendingPaymentFactory(card_number=DECLINED)

    with inject_timeouts(1), pytest.raises(GatewayTimeout):
        services.authorize_payment(payment_id=payment.pk, idempotency_key="a:2", card_number=VISA)
    services.authorize_payment(payment_id=payment.pk, idempotency_key="a:2")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED


def test_authorized_payment_is_not_authorized_again():
    """Given an authorized payment, another attempt with a new key asks the gateway nothing."""
    payment = authorized_payment()

    services.authorize_payment(payment_id=payment.pk, idempotency_key="another")

    assert payment.transactions.count() == 1
    assert gateway_charges().count() == 1


def test_checkout_mode_captures_everything_at_checkout(checkout_capture):
    """Given PAYMENT_CAPTURE=checkout, a successful authorization is captured in full."""
    payment = authorized_payment("80.00")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert (payment.amount_captured, payment.amount_open) == (Decimal("80.00"), 0)
    assert rows(payment) == [
        (Kind.AUTHORIZE, Decimal("80.00"), TxStatus.SUCCEEDED),
        (Kind.CAPTURE, Decimal("80.00"), TxStatus.SUCCEEDED),
    ]
    assert charge_of(payment).amount_captured == Decimal("80.00")


def test_checkout_capture_timeout_is_retried_by_the_next_call(checkout_capture, monkeypatch):
    """Given the capture times out after the authorization, a retry captures it once."""
    payment = PendingPaymentFactory()
    gateway_class = type(get_gateway())
    real_capture = gateway_class.capture
    calls = []

    def capture_times_out_first(self, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise GatewayTimeout("The payment gateway did not answer in time.")
        return real_capture(self, **kwargs)

    monkeypatch.setattr(gateway_class, "capture", capture_times_out_first)
    with pytest.raises(GatewayTimeout):
        services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")
    services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert [row.kind for row in payment.transactions.all()] == [Kind.AUTHORIZE, Kind.CAPTURE]
    assert calls[0] == calls[1]


# --- schedule_capture -----------------------------------------------------------------------


def test_schedule_capture_runs_after_commit(deliver):
    """Given 100 authorized, when 60 ship, then 60 is captured through the outbox."""
    payment = authorized_payment()

    with deliver():
        row = services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
        )
        assert row.status == TxStatus.PENDING

    row.refresh_from_db()
    payment.refresh_from_db()
    assert row.status == TxStatus.SUCCEEDED
    assert payment.status == Payment.Status.PARTIALLY_CAPTURED
    assert (payment.amount_captured, payment.amount_open) == (Decimal("60.00"), Decimal("40.00"))
    assert charge_of(payment).amount_captured == Decimal("60.00")
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.DELIVERED


def test_schedule_capture_with_the_same_key_returns_the_same_row():
    """The same shipment confirmed twice schedules one capture."""
    payment = authorized_payment()

    first = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )
    second = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )

    assert first == second
    assert payment.transactions.filter(kind=Kind.CAPTURE).count() == 1
    assert OutboxMessage.objects.count() == 1


def test_schedule_capture_cannot_claim_more_than_is_open():
    """Pending captures count: two shipments cannot capture more than was authorized."""
    payment = authorized_payment()
    services.schedule_capture(payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="c1")

    with pytest.raises(services.PaymentError, match="does not cover"):
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("40.01"), idempotency_key="c2"
        )

    assert payment.transactions.filter(kind=Kind.CAPTURE).count() == 1


def test_schedule_capture_in_checkout_mode_does_nothing(checkout_capture):
    """Everything was captured at checkout, so shipping captures nothing more."""
    payment = authorized_payment()

    assert (
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("10.00"), idempotency_key="c"
        )
        is None
    )
    assert payment.transactions.count() == 2


# --- schedule_release -----------------------------------------------------------------------


def test_release_in_shipment_mode_voids(deliver):
    """Given 100 only authorized, when 30 of items are cancelled, then 30 is voided."""
    payment = authorized_payment()

    with deliver():
        created = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )

    assert [(row.kind, row.idempotency_key) for row in created] == [
        (Kind.VOID, "void:cancellation:1")
    ]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_voided) == (Payment.Status.AUTHORIZED, Decimal("30.00"))
    assert charge_of(payment).amount_open == Decimal("70.00")


def test_release_of_everything_authorized_voids_the_payment(deliver):
    """Cancelling the whole order releases the whole hold."""
    payment = authorized_payment()

    with deliver():
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("100.00"), idempotency_key="cancellation:1"
        )

    payment.refresh_from_db()
    assert (payment.status, payment.amount_open) == (Payment.Status.VOIDED, 0)


def test_release_in_checkout_mode_refunds(checkout_capture, deliver):
    """Given 100 captured at checkout, when 30 of items are cancelled, then 30 is refunded."""
    payment = authorized_payment()

    with deliver():
        created = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )

    assert [(row.kind, row.idempotency_key) for row in created] == [
        (Kind.REFUND, "refund:cancellation:1")
    ]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert (payment.amount_refunded, payment.amount_refundable) == (
        Decimal("30.00"),
        Decimal("70.00"),
    )
    assert charge_of(payment).amount_refunded == Decimal("30.00")
    created[0].refresh_from_db()
    assert created[0].gateway_reference.startswith("re_")


def test_release_twice_with_the_same_key_creates_nothing_new(deliver):
    """The same cancellation released twice moves the money once."""
    payment = authorized_payment()
    with deliver():
        first = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )

    with deliver():
        again = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )

    assert [row.pk for row in again] == [row.pk for row in first]
    assert payment.transactions.count() == 2
    assert OutboxMessage.objects.count() == 1
    payment.refresh_from_db()
    assert payment.amount_voided == Decimal("30.00")


def test_release_statuses_are_read_by_the_key_the_release_was_asked_under(
    deliver, django_assert_num_queries
):
    """Each release's void/refund rows come back under its own key, in one query."""
    payment = authorized_payment()
    with deliver():
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("20.00"), idempotency_key="cancellation:2"
    )

    with django_assert_num_queries(1):
        statuses = services.release_statuses(
            idempotency_keys=["cancellation:1", "cancellation:2", "cancellation:3"]
        )

    assert statuses == {
        "cancellation:1": {TxStatus.SUCCEEDED},
        "cancellation:2": {TxStatus.PENDING},
        "cancellation:3": set(),
    }


def test_release_with_a_reused_key_and_another_amount_is_refused():
    """A key replays its first request only; another amount under it is a bug, not a release."""
    payment = authorized_payment()
    services.schedule_release(payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="k")

    with pytest.raises(services.PaymentError, match="already made"):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("31.00"), idempotency_key="k"
        )


def test_release_on_a_split_payment_voids_the_open_part_first(deliver):
    """Given 60 captured and 40 open, when 70 is released, then 40 is voided and 30 refunded."""
    payment = authorized_payment()
    with deliver():
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
        )

    with deliver():
        created = services.schedule_release(
            payment_id=payment.pk, amount=Decimal("70.00"), idempotency_key="dispute:1"
        )

    assert [(row.kind, row.amount) for row in created] == [
        (Kind.VOID, Decimal("40.00")),
        (Kind.REFUND, Decimal("30.00")),
    ]
    payment.refresh_from_db()
    assert (payment.amount_captured, payment.amount_voided, payment.amount_refunded) == (
        Decimal("60.00"),
        Decimal("40.00"),
        Decimal("30.00"),
    )
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    charge = charge_of(payment)
    assert (charge.amount_open, charge.amount_refunded) == (0, Decimal("30.00"))


def test_release_never_claims_what_a_pending_capture_holds():
    """Given 60 of 100 being captured, only 40 can be voided and nothing refunded yet."""
    payment = authorized_payment()
    services.schedule_capture(payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="c1")

    with pytest.raises(services.PaymentError, match="could not return"):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("40.01"), idempotency_key="r1"
        )
    created = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("40.00"), idempotency_key="r2"
    )

    assert [(row.kind, row.amount) for row in created] == [(Kind.VOID, Decimal("40.00"))]


def test_release_never_refunds_more_than_captured(checkout_capture):
    """Given 100 captured and 80 being refunded, a release of 20.01 more is refused."""
    payment = authorized_payment()
    services.schedule_release(payment_id=payment.pk, amount=Decimal("80.00"), idempotency_key="r1")

    with pytest.raises(services.PaymentError, match="could not return"):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("20.01"), idempotency_key="r2"
        )

    assert payment.transactions.filter(kind=Kind.REFUND).count() == 1


def test_a_batch_of_releases_locks_reads_and_writes_once_whatever_its_size(
    django_assert_num_queries,
):
    """
    Given three payments, releasing from each in one batch costs the statements of one
    release: the payments' lock, their claims, the rows and their outbox messages.
    """
    payments = [authorized_payment() for _ in range(3)]
    releases = [
        services.Release(payment.pk, Decimal("10.00"), f"cancellation:{n}")
        for n, payment in enumerate(payments)
    ]

    with django_assert_num_queries(4):
        created = services.schedule_releases(releases)

    assert [[(row.kind, row.amount) for row in rows] for rows in created] == [
        [(Kind.VOID, Decimal("10.00"))]
    ] * 3
    assert OutboxMessage.objects.filter(kind=services.TRANSACTION_MESSAGE).count() == 3


def test_a_later_release_of_a_batch_sees_what_an_earlier_one_claimed():
    """
    Given 100 authorized, two releases of 60 on the same payment in one batch: the second
    finds only 40 unclaimed, so the batch is refused whole and nothing is written.
    """
    payment = authorized_payment()

    with pytest.raises(services.PaymentError, match="could not return"):
        services.schedule_releases(
            [
                services.Release(payment.pk, Decimal("60.00"), "r1"),
                services.Release(payment.pk, Decimal("60.00"), "r2"),
            ]
        )

    assert not payment.transactions.exclude(kind=Kind.AUTHORIZE).exists()
    created = services.schedule_releases(
        [
            services.Release(payment.pk, Decimal("60.00"), "r1"),
            services.Release(payment.pk, Decimal("40.00"), "r2"),
        ]
    )
    assert [[row.amount for row in rows] for rows in created] == [
        [Decimal("60.00")],
        [Decimal("40.00")],
    ]


@pytest.mark.parametrize("card", [VISA, DECLINED])
def test_release_of_a_never_authorized_payment_creates_nothing(card):
    """A pending or declined payment holds no money, so a cancellation releases nothing."""
    payment = PendingPaymentFactory(card_number=card)
    if card == DECLINED:
        services.authorize_payment(payment_id=payment.pk, idempotency_key="auth:1")

    created = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("100.00"), idempotency_key="cancellation:1"
    )

    assert created == []
    assert not payment.transactions.exclude(kind=Kind.AUTHORIZE).exists()
    assert not OutboxMessage.objects.exists()


# --- execute_transaction --------------------------------------------------------------------


def test_execute_twice_moves_the_money_once():
    """Given a pending capture, executing it twice captures once."""
    payment = authorized_payment()
    row = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )

    services.execute_transaction(transaction_id=row.pk)
    services.execute_transaction(transaction_id=row.pk)

    payment.refresh_from_db()
    assert payment.amount_captured == Decimal("60.00")
    assert charge_of(payment).amount_captured == Decimal("60.00")


def test_timeout_in_execute_leaves_the_message_pending_then_a_later_delivery_succeeds(deliver):
    """Given a gateway timeout, the outbox keeps the message for a retry that then succeeds."""
    payment = authorized_payment()

    with inject_timeouts(1), deliver():
        row = services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
        )

    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    row.refresh_from_db()
    assert row.status == TxStatus.PENDING
    assert charge_of(payment).amount_captured == 0

    assert outbox.deliver(message.pk) is True

    message.refresh_from_db()
    row.refresh_from_db()
    payment.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.DELIVERED, 2)
    assert row.status == TxStatus.SUCCEEDED
    assert payment.amount_captured == Decimal("60.00")


def test_gateway_refusal_in_execute_fails_the_row():
    """Given the gateway refuses a capture, the row fails with its reason; totals stay."""
    payment = authorized_payment()
    row = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )
    # The hold was released at the gateway behind the portal's back (e.g. it expired).
    get_gateway().void(
        charge=payment.charge_reference, amount=Decimal("100.00"), idempotency_key="bank"
    )

    services.execute_transaction(transaction_id=row.pk)

    row.refresh_from_db()
    payment.refresh_from_db()
    assert row.status == TxStatus.FAILED
    assert "Cannot capture" in row.error
    assert (payment.amount_captured, payment.status) == (0, Payment.Status.AUTHORIZED)


def test_a_refused_capture_void_or_refund_is_announced_once(monkeypatch):
    """
    Given the gateway refuses a capture, when the transaction runs, then the signal names
    the failed row (so apps above write it on their timeline); a declined authorization
    is not announced this way.
    """
    heard = []
    monkeypatch.setattr(
        signals.payment_action_failed,
        "send",
        lambda sender, **kwargs: heard.append(kwargs["payment_transaction"].pk),
    )
    declined = PendingPaymentFactory(card_number=DECLINED)
    services.authorize_payment(payment_id=declined.pk, idempotency_key="auth:declined")
    payment = authorized_payment()
    row = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:9"
    )
    get_gateway().void(
        charge=payment.charge_reference, amount=Decimal("100.00"), idempotency_key="bank:9"
    )

    services.execute_transaction(transaction_id=row.pk)

    assert heard == [row.pk]


# --- Money: what a late authorization releases -------------------------------------------------
def test_release_unclaimed_leaves_what_pending_and_done_releases_already_claim(deliver):
    """
    Given a $100 hold of which $30 is voided and $20 is claimed by a pending void, when
    the rest beyond the $40 still owed is released, then only $10 more is voided.
    """
    payment = authorized_payment()
    with deliver():
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
        )
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("20.00"), idempotency_key="cancellation:2"
    )

    [row] = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:auth"
    )

    assert (row.kind, row.amount) == (Kind.VOID, Decimal("10.00"))


def test_release_unclaimed_releases_nothing_when_everything_is_claimed():
    """
    Given a hold fully claimed by a cancellation's pending void, when a late authorization
    asks to release everything beyond nothing owed, then nothing more is queued (and
    nothing raises).
    """
    payment = authorized_payment("25.00")
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("25.00"), idempotency_key="cancellation:1"
    )

    rows_ = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("0.00"), idempotency_key="release-excess:auth"
    )

    assert rows_ == []
    assert PaymentTransaction.objects.filter(kind=Kind.VOID).count() == 1


def test_release_unclaimed_counts_refunds_in_checkout_mode(checkout_capture, deliver):
    """
    Given a payment captured at checkout with $15 refunded, when the rest beyond $85 owed
    is released, then nothing is refunded twice.
    """
    payment = authorized_payment()
    with deliver():
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("15.00"), idempotency_key="cancellation:1"
        )

    assert (
        services.release_unclaimed(
            payment_id=payment.pk, keep=Decimal("85.00"), idempotency_key="release-excess:auth"
        )
        == []
    )


# --- Money: errors a person may read --------------------------------------------------------
def test_refusals_are_payment_errors_with_the_numbers_kept_for_the_log():
    """
    Given a release larger than the payment, when it is refused, then the error is a
    PaymentError (not a ValueError) whose message shows no balances, and its detail does.
    """
    payment = authorized_payment("10.00")

    with pytest.raises(services.PaymentError) as refused:
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("25.00"), idempotency_key="cancellation:1"
        )

    assert not isinstance(refused.value, ValueError)
    assert not any(char.isdigit() for char in str(refused.value))
    assert "25.00" in refused.value.detail


# --- The invariant --------------------------------------------------------------------------

CENTS = st.integers(min_value=1, max_value=12_000).map(lambda cents: Decimal(cents) / 100)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("capture"), CENTS),
        st.tuples(st.just("release"), CENTS),
        st.tuples(st.just("deliver"), st.booleans()),
    ),
    max_size=12,
)


@pytest.mark.parametrize("mode", ["shipment", "checkout"])
@hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_refunds_never_exceed_captures(settings, django_capture_on_commit_callbacks, mode, steps):
    """
    Whatever the order of captures, releases and (out-of-order) deliveries, the refunds
    never exceed the captures, and the portal's totals match the gateway's.
    """
    settings.PAYMENT_CAPTURE = mode
    payment = authorized_payment()
    key = f"{payment.pk}"
    # Delivery is driven by the steps, not by commits, so the order can be shuffled.
    with django_capture_on_commit_callbacks(execute=False):
        for number, (action, value) in enumerate(steps):
            # More than there is to capture or release is refused, and writes nothing.
            with contextlib.suppress(services.PaymentError):
                if action == "capture":
                    services.schedule_capture(
                        payment_id=payment.pk, amount=value, idempotency_key=f"c:{key}:{number}"
                    )
                elif action == "release":
                    services.schedule_release(
                        payment_id=payment.pk, amount=value, idempotency_key=f"r:{key}:{number}"
                    )
            if action == "deliver":
                pending = payment.transactions.filter(status=TxStatus.PENDING).order_by("pk")
                for row in reversed(pending) if value else pending:
                    services.execute_transaction(transaction_id=row.pk)

            payment.refresh_from_db()
            charge = charge_of(payment)
            assert payment.amount_refunded <= payment.amount_captured
            assert (
                payment.amount_captured,
                payment.amount_voided,
                payment.amount_refunded,
            ) == (charge.amount_captured, charge.amount_voided, charge.amount_refunded)
            # Pending rows claim their money when scheduled, so the gateway never has to
            # refuse one, whatever order they are delivered in.
            assert not payment.transactions.filter(status=TxStatus.FAILED).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_cannot_release_the_same_money():
    """Given 100 held, when two cancellations release 60 each at once, one is refused."""
    payment = authorized_payment()

    outcomes = run_together(
        *(
            lambda key=key: services.schedule_release(
                payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key=key
            )
            for key in ("cancellation:1", "cancellation:2")
        )
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["PaymentError", "list"]
    assert payment.transactions.filter(kind=Kind.VOID).count() == 1


# --- Money behaviours each pinned by a test that a mutated line turns red -----------------------
def test_hold_left_subtracts_what_a_pending_void_claims():
    """
    Given $100 authorized of which a cancellation's void of $30 is still pending, then
    $70 is left to capture: a shipment of $70.01 is refused, one of $70 is queued.
    """
    payment = authorized_payment()
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="cancellation:1"
    )
    claims, _ = selectors.pending_claims(payment)

    assert selectors.hold_left(payment, claims) == Decimal("70.00")
    with pytest.raises(services.PaymentError, match="does not cover"):
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("70.01"), idempotency_key="capture:ship:1"
        )
    services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("70.00"), idempotency_key="capture:ship:2"
    )
    assert rows(payment) == [
        (Kind.AUTHORIZE, Decimal("100.00"), TxStatus.SUCCEEDED),
        (Kind.VOID, Decimal("30.00"), TxStatus.PENDING),
        (Kind.CAPTURE, Decimal("70.00"), TxStatus.PENDING),
    ]


def test_pending_claims_add_up_two_pending_transactions_of_one_kind():
    """
    Given two cancellations' voids of $30 and $20 still pending, then together they claim
    $50, and a third release of $50.01 is refused (only $50 is left to void or refund).
    """
    payment = authorized_payment()
    for number, amount in enumerate(["30.00", "20.00"]):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal(amount), idempotency_key=f"cancellation:{number}"
        )

    claims, replayed = selectors.pending_claims(payment)

    assert claims == {Kind.CAPTURE: 0, Kind.VOID: Decimal("50.00"), Kind.REFUND: 0}
    assert replayed is False
    with pytest.raises(services.PaymentError, match=r"^We could not return this payment\.$"):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("50.01"), idempotency_key="cancellation:3"
        )


def test_pending_claims_say_whether_a_replay_key_was_used():
    """A key used by any one of the payment's rows, settled or not, is a replay."""
    payment = authorized_payment()
    for number in (1, 2):
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("10.00"), idempotency_key=f"cancellation:{number}"
        )

    _, used = selectors.pending_claims(payment, replay_keys=["void:cancellation:1"])
    _, unused = selectors.pending_claims(payment, replay_keys=["void:cancellation:3"])

    assert (used, unused) == (True, False)


@pytest.mark.parametrize("excess", ["0.01", "0.50", "1.00"])
def test_release_unclaimed_releases_a_small_excess(excess):
    """
    Given a $100 hold of which the order owes $100 less a few cents or one dollar, when
    the excess is released, then exactly that excess is voided, however small.
    """
    payment = authorized_payment()

    created = services.release_unclaimed(
        payment_id=payment.pk,
        keep=Decimal("100.00") - Decimal(excess),
        idempotency_key="release-excess:auth",
    )

    assert [(row.kind, row.amount) for row in created] == [(Kind.VOID, Decimal(excess))]


def test_release_unclaimed_leaves_what_a_pending_refund_claims(checkout_capture):
    """
    Given a payment captured at checkout with a cancellation's $15 refund still pending,
    when everything beyond the $80 owed is released, then only $5 more is refunded.
    """
    payment = authorized_payment()
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("15.00"), idempotency_key="cancellation:1"
    )

    created = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("80.00"), idempotency_key="release-excess:auth"
    )

    assert [(row.kind, row.amount) for row in created] == [(Kind.REFUND, Decimal("5.00"))]


def test_release_unclaimed_twice_releases_once(deliver):
    """
    Given the excess beyond $40 owed was released (and voided), when the same release
    runs again (a retried job), then nothing new is queued and $60 is voided once.
    """
    payment = authorized_payment()
    with deliver():
        first = services.release_unclaimed(
            payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:auth"
        )

    with deliver():
        again = services.release_unclaimed(
            payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:auth"
        )

    assert [(row.kind, row.amount) for row in first] == [(Kind.VOID, Decimal("60.00"))]
    assert again == []
    payment.refresh_from_db()
    assert payment.amount_voided == Decimal("60.00")
    assert payment.transactions.filter(kind=Kind.VOID).count() == 1


def test_release_unclaimed_again_after_a_refused_void_replays_it():
    """
    Given the gateway refused the void of the excess (staff put that right), when the same
    release runs again, then its key replays the refused row: no second void is queued.
    """
    payment = authorized_payment()
    [void] = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:auth"
    )
    # The hold was released at the gateway behind the portal's back (e.g. it expired).
    get_gateway().void(
        charge=payment.charge_reference, amount=Decimal("100.00"), idempotency_key="bank"
    )
    services.execute_transaction(transaction_id=void.pk)

    again = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:auth"
    )

    assert [(row.pk, row.status) for row in again] == [(void.pk, TxStatus.FAILED)]
    assert payment.transactions.filter(kind=Kind.VOID).count() == 1
    # Another release (another key) is another request: it is queued.
    [other] = services.release_unclaimed(
        payment_id=payment.pk, keep=Decimal("40.00"), idempotency_key="release-excess:retry"
    )
    assert (other.idempotency_key, other.amount) == ("void:release-excess:retry", Decimal("60.00"))


def test_a_reused_key_is_refused_in_words_a_buyer_may_read_and_logged_with_the_payment():
    payment = authorized_payment()
    services.schedule_release(payment_id=payment.pk, amount=Decimal("30.00"), idempotency_key="k")

    with pytest.raises(services.PaymentError) as refused:
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("31.00"), idempotency_key="k"
        )

    assert str(refused.value) == "This request was already made with other amounts."
    assert refused.value.detail == (
        f"idempotency key of payment {payment.pk} reused with another amount"
    )


def test_a_replayed_split_release_returns_its_void_and_refund_in_order():
    """Given 60 captured and 40 open, a release of 70 replayed returns its void then refund."""
    payment = authorized_payment()
    capture = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:ship:1"
    )
    services.execute_transaction(transaction_id=capture.pk)
    first = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("70.00"), idempotency_key="cancellation:1"
    )

    again = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("70.00"), idempotency_key="cancellation:1"
    )

    assert [(row.kind, row.amount) for row in again] == [
        (Kind.VOID, Decimal("40.00")),
        (Kind.REFUND, Decimal("30.00")),
    ]
    assert again == first


def test_recover_authorization_records_a_decline_the_gateway_remembers():
    """
    Given the gateway declined an authorization whose answer never reached the portal,
    when it is recovered, then the decline is recorded: the payment failed.
    """
    payment = PendingPaymentFactory(card_number=DECLINED)
    with pytest.raises(CardDeclined):
        get_gateway().authorize(
            amount=payment.amount, payment_method=payment.payment_method, idempotency_key="auth:1"
        )

    recovered = services.recover_authorization(payment_id=payment.pk, idempotency_key="auth:1")

    assert recovered.status == Payment.Status.FAILED
    assert rows(recovered) == [(Kind.AUTHORIZE, Decimal("100.00"), TxStatus.FAILED)]


def test_recover_authorization_never_authorizes_a_key_the_gateway_does_not_know():
    payment = PendingPaymentFactory()

    recovered = services.recover_authorization(payment_id=payment.pk, idempotency_key="auth:1")

    assert recovered.status == Payment.Status.PENDING
    assert not gateway_charges().exists()


def test_schedule_capture_takes_a_few_cents_but_never_nothing():
    """A $0.50 shipment is captured; a $0.00 one is refused, in words and with the numbers."""
    payment = authorized_payment()

    row = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("0.50"), idempotency_key="capture:ship:1"
    )
    with pytest.raises(services.PaymentError) as refused:
        services.schedule_capture(
            payment_id=payment.pk, amount=Decimal("0.00"), idempotency_key="capture:ship:2"
        )

    assert (row.kind, row.amount) == (Kind.CAPTURE, Decimal("0.50"))
    assert str(refused.value) == "The buyer's payment does not cover these items."
    assert refused.value.detail == (
        f"capture 0.00 of payment {payment.pk}: 99.50 is authorized and unclaimed"
    )


def test_checkout_capture_of_a_small_payment(checkout_capture):
    """A $0.50 order is captured whole at checkout."""
    payment = authorized_payment("0.50")

    assert (payment.status, payment.amount_captured) == (Payment.Status.CAPTURED, Decimal("0.50"))
    capture = payment.transactions.get(kind=Kind.CAPTURE)
    assert capture.idempotency_key == f"capture:auth:{payment.pk}"


def test_checkout_capture_leaves_a_hold_a_pending_void_claims_whole(settings):
    """
    Given the whole hold claimed by a cancellation's void queued while the card was being
    asked, the capture at checkout captures nothing (no capture of $0 is asked for).
    """
    payment = authorized_payment()
    services.schedule_release(
        payment_id=payment.pk, amount=Decimal("100.00"), idempotency_key="cancellation:1"
    )
    settings.PAYMENT_CAPTURE = "checkout"

    services.authorize_payment(payment_id=payment.pk, idempotency_key=f"auth:{payment.pk}")

    assert not payment.transactions.filter(kind=Kind.CAPTURE).exists()
    assert charge_of(payment).amount_captured == 0


def test_a_payment_of_nothing_is_refused_in_words_with_the_amount_kept_for_the_log():
    with pytest.raises(services.PaymentError) as refused:
        services.create_payment(amount=Decimal("0.00"), card_number=VISA)

    assert str(refused.value) == "There is nothing to pay for."
    assert refused.value.detail == "payment of 0.00 refused: not positive"
    assert not Payment.objects.exists()


def test_a_release_of_nothing_queues_nothing_and_a_negative_one_is_refused():
    payment = authorized_payment()

    nothing = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("0.00"), idempotency_key="cancellation:1"
    )
    with pytest.raises(services.PaymentError) as refused:
        services.schedule_release(
            payment_id=payment.pk, amount=Decimal("-1.00"), idempotency_key="cancellation:2"
        )

    assert nothing == []
    assert str(refused.value) == "There is nothing to return."
    assert refused.value.detail == "release of -1.00 refused: negative"
    assert payment.transactions.count() == 1
