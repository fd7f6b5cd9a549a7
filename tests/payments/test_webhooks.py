"""
Stripe's webhook (payments/webhooks.py and its view): deliveries signed the way Stripe
signs them, events shaped as Stripe's API reference documents them (stripe_events/, each
test named for what it stands in for), settled on books the Stripe gateway wrote against
localstripe. localstripe sends no ``payment_intent.canceled`` and never fails a refund, so
those outcomes are delivered here as Stripe documents them; the last test has localstripe
deliver its own signed events to a live server.
"""

import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from orders.events import render
from orders.models import OrderEvent
from payments import services, webhooks
from payments.gateway import get_gateway
from payments.models import Payment, PaymentTransaction, StripeCharge, StripeEvent, StripeIntent
from payments.stripe_gateway import client, portal_key
from tests import localstripe as keys
from tests.factories import OrderFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db

EVENTS = Path(__file__).parent / "stripe_events"
E = OrderEvent.Type
Kind, TxStatus = PaymentTransaction.Kind, PaymentTransaction.Status


# --- Deliveries as Stripe makes them ---------------------------------------------------------
def documented(name: str, **fields) -> dict:
    """
    The event ``name`` as Stripe's reference documents it (stripe_events/<name>.json),
    with an id of its own and ``fields`` set on its object.
    """
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event["id"] = f"evt_{uuid.uuid4().hex[:24]}"
    event["data"]["object"].update(fields)
    return event


def signature(payload: bytes, *, secret: str = keys.WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header as Stripe makes it: HMAC-SHA256 of "<t>.<body>"."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def body(event: dict | str | bytes) -> bytes:
    if isinstance(event, dict):
        return json.dumps(event).encode()
    return event if isinstance(event, bytes) else event.encode()


def deliver(event, *, header: str | None = None, **signed):
    """POST ``event`` to the webhook as Stripe does: signed, with no CSRF token or session."""
    payload = body(event)
    stripe = Client(enforce_csrf_checks=True)
    return stripe.post(
        reverse("payments:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload, **signed) if header is None else header,
    )


@pytest.fixture
def webhook_on(settings):
    """The Stripe gateway is on (no Stripe is called: the webhook only reads the books)."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_WEBHOOK_SECRET = keys.WEBHOOK_SECRET


# --- Books written by the Stripe gateway, against localstripe --------------------------------
def authorized(amount: str = "100.00") -> Payment:
    """An order's payment authorized through the Stripe gateway (a hold at localstripe)."""
    payment = Payment.objects.create(
        amount=Decimal(amount), payment_method="pm_card_visa", card_last4="4242"
    )
    services.authorize_payment(payment_id=payment.pk, idempotency_key=f"authorize:{payment.pk}")
    OrderFactory(payment=payment, total=payment.amount)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    return payment


def captured(payment: Payment, amount: str, key: str) -> PaymentTransaction:
    """A shipment's capture, queued and executed (as the outbox would after commit)."""
    row = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal(amount), idempotency_key=key
    )
    return services.execute_transaction(transaction_id=row.pk)


def released(payment: Payment, amount: str, key: str) -> list[PaymentTransaction]:
    """A cancellation's release (void, then refund), queued and executed."""
    rows = services.schedule_release(
        payment_id=payment.pk, amount=Decimal(amount), idempotency_key=key
    )
    return [services.execute_transaction(transaction_id=row.pk) for row in rows]


def timeline(payment: Payment) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order__payment=payment).exclude(type=E.PLACED))


def refund_failed(row: PaymentTransaction, intent: str, name: str = "refund.failed") -> dict:
    """Stripe's word that the portal's refund ``row`` (of ``intent``) failed after all."""
    return documented(
        name,
        id=row.gateway_reference,
        amount=int(row.amount * 100),
        payment_intent=intent,
        metadata={"portal_key": row.idempotency_key},
    )


# --- The endpoint ----------------------------------------------------------------------------
def test_a_get_is_refused_and_records_nothing(webhook_on, client):
    response = client.get(reverse("payments:stripe_webhook"))

    assert response.status_code == 405
    assert not StripeEvent.objects.exists()


def test_the_webhook_is_not_there_while_the_stripe_gateway_is_off(settings):
    """Given the sandbox gateway, a correctly signed event is a 404 and nothing is recorded."""
    settings.PAYMENT_GATEWAY = "sandbox"
    settings.STRIPE_WEBHOOK_SECRET = keys.WEBHOOK_SECRET

    response = deliver(documented("setup_intent.created"))

    assert response.status_code == 404
    assert not StripeEvent.objects.exists()


def test_the_event_objects_own_example_is_recorded_once_and_nothing_else_happens(webhook_on):
    """
    Given Stripe's documented example event (a type the portal does not act on), signed
    and delivered without a CSRF token, then it is answered 200 and recorded with its type
    and what the portal did: nothing.
    """
    event = documented("setup_intent.created")

    response = deliver(event)

    assert response.status_code == 200
    record = StripeEvent.objects.get()
    assert (record.event_id, record.type) == (event["id"], "setup_intent.created")
    assert record.outcome == "Not an event the portal acts on."


@pytest.mark.parametrize(
    "case",
    ["no signature", "another body", "another secret", "too old", "another scheme", "garbage"],
)
def test_a_delivery_stripe_did_not_sign_is_refused_and_nothing_is_recorded(webhook_on, case):
    """
    Bad signatures are a 400 with nothing recorded: none, one over another body, one made
    with another endpoint's secret, one older than the library's five minutes of tolerance
    (a replay of a captured delivery), a scheme other than v1, a header that is no header.
    """
    event = documented("setup_intent.created")
    payload = body(event)
    header = {
        "no signature": "",
        "another body": signature(body({**event, "type": "payment_intent.canceled"})),
        "another secret": signature(payload, secret="whsec_someone_else"),
        "too old": signature(payload, at=int(time.time()) - 301),
        "another scheme": signature(payload).replace("v1=", "v0="),
        "garbage": "t=yesterday,v1",
    }[case]

    response = deliver(event, header=header)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signature_inside_the_tolerance_is_accepted(webhook_on):
    """Stripe retries with a fresh timestamp; one 4 minutes 50 old is still inside 5 minutes."""
    response = deliver(documented("setup_intent.created"), at=int(time.time()) - 290)

    assert response.status_code == 200
    assert StripeEvent.objects.count() == 1


def test_without_a_webhook_secret_no_delivery_is_accepted(webhook_on, settings):
    """An endpoint with no secret set accepts nothing, not even a body "signed" with none."""
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(documented("setup_intent.created"), secret="")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe not UTF-8",
        b"[1, 2]",
        b"null",
        b"{}",
        b'{"id": "evt_1", "type": "refund.failed"}',
        b'{"id": "", "type": "refund.failed", "data": {"object": {}}}',
        b'{"id": "evt_1", "type": 7, "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "refund.failed", "data": {"object": []}}',
    ],
)
def test_a_signed_body_that_is_no_event_is_refused_and_nothing_is_recorded(webhook_on, payload):
    response = deliver(payload)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


# --- An authorization released outside the portal --------------------------------------------
@pytest.mark.parametrize(
    ("reason", "buyer_words", "seller_words"),
    [
        ("automatic", "hold on your card expired and was released", "expired at the bank"),
        (
            "requested_by_customer",
            "hold on your card was released by our payment processor",
            "was cancelled at Stripe",
        ),
    ],
)
def test_payment_intent_canceled_as_stripe_documents_it_releases_the_hold_in_the_ledger(
    stripe_gateway, reason, buyer_words, seller_words
):
    """
    Given an authorized $100 payment whose intent Stripe cancelled (the authorization
    expired, or someone cancelled it in Stripe's dashboard), when Stripe says so, then
    the ledger no longer counts on the intent, the payment's books are unchanged (the
    portal may still capture), and the order's timeline says the hold was released.
    """
    payment = authorized("100.00")
    client().v1.payment_intents.cancel(payment.charge_reference)

    response = deliver(
        documented(
            "payment_intent.canceled",
            id=payment.charge_reference,
            amount=10000,
            capture_method="manual",
            cancellation_reason=reason,
            metadata={"portal_key": f"authorize:{payment.pk}"},
        )
    )

    assert response.status_code == 200
    ledger = StripeCharge.objects.get(reference=payment.charge_reference)
    assert ledger.live_intent == ""
    assert ledger.intents.get().status == StripeIntent.Status.CANCELED
    payment.refresh_from_db()
    assert (payment.status, payment.amount_open) == (Payment.Status.AUTHORIZED, Decimal("100"))
    [event] = timeline(payment)
    assert event.type == E.PAYMENT_HOLD_RELEASED
    assert event.summary.startswith(f"The $100.00 {buyer_words}.")
    assert seller_words in render(event, "seller")
    assert "released outside the portal" in StripeEvent.objects.get().outcome


def test_after_the_hold_was_released_a_shipment_charges_the_saved_card_anew(stripe_gateway):
    """
    Given a hold Stripe cancelled and the webhook recorded, when the seller ships $40,
    then the capture charges the saved card with a new intent and succeeds.
    """
    payment = authorized("100.00")
    client().v1.payment_intents.cancel(payment.charge_reference)
    deliver(
        documented(
            "payment_intent.canceled", id=payment.charge_reference, cancellation_reason="automatic"
        )
    )

    row = captured(payment, "40.00", "capture:shipment:1")

    assert row.status == TxStatus.SUCCEEDED
    assert row.gateway_reference != payment.charge_reference
    assert client().v1.payment_intents.retrieve(row.gateway_reference).status == "succeeded"
    payment.refresh_from_db()
    assert payment.amount_captured == Decimal("40.00")


def test_the_portals_own_cancel_reported_back_changes_nothing(stripe_gateway):
    """
    Given the buyer cancelled the whole order (the gateway voided and cancelled the
    intent itself), when Stripe reports the cancel, then nothing more is written.
    """
    payment = authorized("100.00")
    released(payment, "100.00", "cancellation:1")

    deliver(documented("payment_intent.canceled", id=payment.charge_reference))

    assert timeline(payment) == []
    assert "no longer held money" in StripeEvent.objects.get().outcome


def test_a_hold_released_while_the_portal_was_releasing_it_writes_no_timeline(stripe_gateway):
    """
    Given a cancellation's void of the whole hold still queued, when Stripe reports the
    intent cancelled, then the ledger lets go of it, the order's timeline stays quiet
    (the portal was giving the money back anyway), and the queued void still succeeds.
    """
    payment = authorized("100.00")
    [void] = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("100.00"), idempotency_key="cancellation:1"
    )
    client().v1.payment_intents.cancel(payment.charge_reference)

    deliver(documented("payment_intent.canceled", id=payment.charge_reference))

    assert StripeCharge.objects.get(reference=payment.charge_reference).live_intent == ""
    assert timeline(payment) == []
    assert services.execute_transaction(transaction_id=void.pk).status == TxStatus.SUCCEEDED


# --- A later shipment's charge that failed ---------------------------------------------------
def test_payment_intent_payment_failed_as_stripe_documents_it_fails_a_later_shipments_charge(
    stripe_gateway,
):
    """
    Given $100 authorized, $40 captured from the hold and a later $60 shipment charged to
    the saved card, when Stripe says that charge failed, then the capture is failed with
    Stripe's reason, the $60 is open again in the payment and the ledger, and the order
    shows the failed charge as it does a capture the gateway refused, once however often
    Stripe tells it.
    """
    payment = authorized("100.00")
    captured(payment, "40.00", "capture:shipment:1")
    later = captured(payment, "60.00", "capture:shipment:2")

    for _told in ("once", "and again, as another event"):
        deliver(
            documented(
                "payment_intent.payment_failed",
                id=later.gateway_reference,
                amount=6000,
                metadata={"portal_key": later.idempotency_key},
            )
        )

    later.refresh_from_db()
    assert (later.status, later.error) == (TxStatus.FAILED, "Your card has insufficient funds.")
    payment.refresh_from_db()
    assert (payment.amount_captured, payment.amount_open, payment.status) == (
        Decimal("40.00"),
        Decimal("60.00"),
        Payment.Status.PARTIALLY_CAPTURED,
    )
    ledger = StripeCharge.objects.get(reference=payment.charge_reference)
    assert ledger.amount_captured == Decimal("40.00")
    assert ledger.intents.get(intent=later.gateway_reference).status == StripeIntent.Status.CANCELED
    [event] = timeline(payment)
    assert event.type == E.PAYMENT_ACTION_FAILED
    assert event.summary.startswith("Charging $60.00 for shipped items failed.")
    assert event.payload["transaction"] == later.pk


def test_a_later_charge_whose_answer_never_came_is_failed_by_the_key_it_carries(stripe_gateway):
    """
    Given a later shipment's capture still pending (its call timed out), when Stripe
    reports a failed intent carrying its key, then the capture is failed, the payment's
    totals never counted it, and the outbox's retry finds nothing left to do.
    """
    payment = authorized("100.00")
    captured(payment, "40.00", "capture:shipment:1")
    pending = services.schedule_capture(
        payment_id=payment.pk, amount=Decimal("60.00"), idempotency_key="capture:shipment:2"
    )

    deliver(
        documented(
            "payment_intent.payment_failed",
            amount=6000,
            metadata={"portal_key": pending.idempotency_key},
        )
    )

    pending.refresh_from_db()
    assert pending.status == TxStatus.FAILED
    payment.refresh_from_db()
    assert payment.amount_captured == Decimal("40.00")
    assert services.execute_transaction(transaction_id=pending.pk).status == TxStatus.FAILED
    assert StripeIntent.objects.filter(charge__reference=payment.charge_reference).count() == 1
    assert [event.type for event in timeline(payment)] == [E.PAYMENT_ACTION_FAILED]


def test_a_failed_charge_that_was_refunded_since_is_left_for_staff(stripe_gateway):
    """
    Given a later $60 charge and a $100 refund since (the books cannot lose the $60
    without refunding more than was captured), when Stripe says the charge failed, then
    nothing is changed: the event says it is left for staff.
    """
    payment = authorized("100.00")
    captured(payment, "40.00", "capture:shipment:1")
    later = captured(payment, "60.00", "capture:shipment:2")
    released(payment, "100.00", "cancellation:1")

    deliver(
        documented(
            "payment_intent.payment_failed",
            id=later.gateway_reference,
            metadata={"portal_key": later.idempotency_key},
        )
    )

    later.refresh_from_db()
    assert later.status == TxStatus.SUCCEEDED
    payment.refresh_from_db()
    assert (payment.amount_captured, payment.amount_refunded) == (Decimal("100"), Decimal("100"))
    assert "left for staff" in StripeEvent.objects.get().outcome
    assert timeline(payment) == []


def test_a_failed_authorization_is_left_to_checkout(stripe_gateway):
    """An authorization's intent failing is checkout's to handle: nothing is settled here."""
    payment = authorized("100.00")
    captured(payment, "100.00", "capture:shipment:1")

    for metadata in ({"portal_key": f"authorize:{payment.pk}"}, {}):  # found by key, or by id
        deliver(
            documented(
                "payment_intent.payment_failed", id=payment.charge_reference, metadata=metadata
            )
        )

    assert payment.transactions.filter(status=TxStatus.FAILED).count() == 0
    assert timeline(payment) == []


# --- A refund that failed after all ----------------------------------------------------------
def captured_and_refunded(refund: str = "30.00") -> tuple[Payment, PaymentTransaction]:
    """$100 authorized and captured, then ``refund`` of it refunded by a cancellation."""
    payment = authorized("100.00")
    captured(payment, "100.00", "capture:shipment:1")
    [row] = released(payment, refund, "cancellation:1")
    assert (row.kind, row.status) == (Kind.REFUND, TxStatus.SUCCEEDED)
    return payment, row


def test_refund_failed_as_stripe_documents_it_takes_the_refund_back_off_the_books(stripe_gateway):
    """
    Given a $30 refund Stripe accepted, when Stripe says it failed (the card was closed),
    then the refund is failed with the reason, the refunded totals of the payment, the
    ledger and its intent go back down, and the order says the refund did not go through.
    """
    payment, row = captured_and_refunded("30.00")

    response = deliver(refund_failed(row, payment.charge_reference))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == TxStatus.FAILED
    assert "expired_or_canceled_card" in row.error
    payment.refresh_from_db()
    assert (payment.amount_refunded, payment.status) == (Decimal("0"), Payment.Status.CAPTURED)
    ledger = StripeCharge.objects.get(reference=payment.charge_reference)
    assert ledger.amount_refunded == ledger.intents.get().amount_refunded == Decimal("0")
    [event] = timeline(payment)
    assert event.type == E.PAYMENT_ACTION_FAILED
    assert event.summary == (
        "Your refund of $30.00 failed. Our team has been alerted and will put it right."
    )


def test_a_replayed_event_and_the_same_failure_told_again_settle_once(stripe_gateway):
    """
    Given a refund failure recorded, when Stripe delivers the same event again and then
    tells the same failure as charge.refund.updated, then each answer is 200, each event
    is recorded once, and the refund was taken back once.
    """
    payment, row = captured_and_refunded("30.00")
    event = refund_failed(row, payment.charge_reference)

    answers = [
        deliver(event).status_code,
        deliver(event).status_code,
        deliver(refund_failed(row, payment.charge_reference, "charge.refund.updated")).status_code,
    ]

    assert answers == [200, 200, 200]
    assert StripeEvent.objects.count() == 2
    assert "failed at Stripe" in StripeEvent.objects.get(event_id=event["id"]).outcome
    assert "already" in StripeEvent.objects.get(type="charge.refund.updated").outcome
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("0")
    assert len(timeline(payment)) == 1


def test_a_refund_split_over_two_intents_fails_only_the_part_that_failed(stripe_gateway):
    """
    Given $40 captured from the hold and $60 charged later, and a $70 refund the gateway
    made as $60 against the later intent and $10 against the first, when Stripe says the
    $10 failed (and again, as the refund's update), then only $10 is taken back, once:
    a failed row of its own, the rest refunded.
    """
    payment = authorized("100.00")
    captured(payment, "40.00", "capture:shipment:1")
    captured(payment, "60.00", "capture:shipment:2")
    [row] = released(payment, "70.00", "cancellation:1")
    [part] = [
        refund
        for refund in client()
        .v1.refunds.list(params={"payment_intent": payment.charge_reference})
        .data
        if portal_key(refund) == row.idempotency_key
    ]

    for name in ("refund.failed", "charge.refund.updated"):  # the second tells it again
        deliver(
            documented(
                name,
                id=part.id,
                amount=part.amount,
                payment_intent=payment.charge_reference,
                metadata={"portal_key": row.idempotency_key},
            )
        )

    refunds = payment.transactions.filter(kind=Kind.REFUND).order_by("pk")
    assert [(r.amount, r.status) for r in refunds] == [
        (Decimal("60.00"), TxStatus.SUCCEEDED),
        (Decimal("10.00"), TxStatus.FAILED),
    ]
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("60.00")
    first = StripeIntent.objects.get(intent=payment.charge_reference)
    assert (first.amount_refunded, first.charge.amount_refunded) == (Decimal("0"), Decimal("60"))
    [event] = timeline(payment)
    assert event.summary.startswith("Your refund of $10.00 failed.")


def test_part_of_a_refund_whose_answer_never_came_is_left_for_staff(stripe_gateway):
    """
    Given a $70 refund still pending (its call timed out), when Stripe says a $10 part of
    it failed, then the refund stays pending, whole, for reconciliation to ask Stripe
    about, and the event says it is left for staff.
    """
    payment = authorized("100.00")
    captured(payment, "100.00", "capture:shipment:1")
    [pending] = services.schedule_release(
        payment_id=payment.pk, amount=Decimal("70.00"), idempotency_key="cancellation:1"
    )

    deliver(
        documented(
            "refund.failed",
            amount=1000,
            payment_intent=payment.charge_reference,
            metadata={"portal_key": pending.idempotency_key},
        )
    )

    pending.refresh_from_db()
    assert (pending.status, pending.amount) == (TxStatus.PENDING, Decimal("70.00"))
    assert "left for staff" in StripeEvent.objects.get().outcome


def test_a_refund_update_that_is_no_failure_changes_nothing(stripe_gateway):
    payment, row = captured_and_refunded("30.00")
    update = refund_failed(row, payment.charge_reference, "charge.refund.updated")
    update["data"]["object"].update(status="succeeded", failure_reason=None)

    deliver(update)

    row.refresh_from_db()
    assert row.status == TxStatus.SUCCEEDED
    assert timeline(payment) == []


@pytest.mark.parametrize(
    "name", ["payment_intent.canceled", "payment_intent.payment_failed", "refund.failed"]
)
def test_events_about_objects_the_portal_does_not_know_are_recorded_and_change_nothing(
    stripe_gateway, name
):
    """Stripe's own examples name intents and refunds the portal never made."""
    payment, _refund = captured_and_refunded("30.00")

    response = deliver(documented(name))

    assert response.status_code == 200
    assert "nothing to settle" in StripeEvent.objects.get().outcome
    assert list(payment.transactions.values_list("status", flat=True)) == [TxStatus.SUCCEEDED] * 3
    assert timeline(payment) == []


# --- Deliveries at the same moment -----------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("told_as", ["the same event twice", "refund.failed and its update"])
def test_two_deliveries_at_once_settle_a_failure_once(stripe_gateway, told_as):
    """
    Given a refund Stripe accepted, when two deliveries of its failure arrive at the same
    moment (one event delivered twice, or the failure and its update), then it is taken
    back once and the order shows one failure.
    """
    payment, row = captured_and_refunded("30.00")
    first = refund_failed(row, payment.charge_reference)
    second = (
        first
        if told_as == "the same event twice"
        else refund_failed(row, payment.charge_reference, "charge.refund.updated")
    )

    outcomes = run_together(
        *(
            lambda event=event: webhooks.receive_event(
                payload=body(event), signature=signature(body(event))
            )
            for event in (first, second)
        )
    )

    assert all(isinstance(outcome, StripeEvent) for outcome in outcomes), outcomes
    # Whichever delivery locked the payment first settled it; the other found it done.
    settled = [record.outcome for record in StripeEvent.objects.all()]
    assert sum("failed at Stripe" in outcome for outcome in settled) == 1
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("0")
    assert payment.transactions.filter(status=TxStatus.FAILED).count() == 1
    assert len(timeline(payment)) == 1


# --- localstripe delivering its own events ---------------------------------------------------
@pytest.fixture
def localstripe_delivers(stripe_gateway, live_server):
    """localstripe POSTs its events to this test's live server; afterwards, nowhere."""
    stripe_gateway.register_webhook(live_server.url + reverse("payments:stripe_webhook"))
    yield
    # localstripe cannot forget a webhook: point it where nothing listens (discard port).
    stripe_gateway.register_webhook("http://127.0.0.1:9/")


def recorded(event_type: str, *, within: float = 15.0) -> StripeEvent:
    """The event of ``event_type`` once localstripe delivered it (it waits a second first)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = StripeEvent.objects.filter(type=event_type).first()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"localstripe delivered no {event_type} in {within} s")


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_its_signed_events_and_each_is_recorded(localstripe_delivers):
    """
    Given localstripe delivering to the portal, when a hold is captured and a card is
    declined, then both events arrive signed with localstripe's timestamp (the event's
    creation, a second before delivery: inside the library's tolerance), are recorded,
    and change nothing the portal did not already know.
    """
    gateway = get_gateway()
    hold = gateway.authorize(
        amount=Decimal("25.00"), payment_method="pm_card_visa", idempotency_key="authorize:live"
    )
    gateway.capture(charge=hold.reference, amount=Decimal("25.00"), idempotency_key="capture:live")
    with pytest.raises(Exception, match="declined"):
        gateway.authorize(
            amount=Decimal("5.00"),
            payment_method="pm_card_chargeCustomerFail",
            idempotency_key="authorize:live-declined",
        )

    succeeded = recorded("payment_intent.succeeded")
    failed = recorded("payment_intent.payment_failed")

    assert succeeded.event_id.startswith("evt_")
    assert succeeded.outcome == "Not an event the portal acts on."
    assert "nothing to settle" in failed.outcome
