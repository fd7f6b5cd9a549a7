"""disputes.services: every transition, every refusal, and refunds never above what was charged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.services import cancel_items, decline_request, request_cancellation
from core.money import MAX_PRICE, MAX_QUANTITY_PER_LINE
from disputes import services
from disputes.models import Dispute, DisputeEvent, DisputeMessage
from disputes.services import DisputeError
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import confirm_shipment, place_orders
from payments.models import Payment, PaymentTransaction
from payments.services import schedule_release
from tests.disputes import as_shown
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, UserFactory

from .conftest import past_due

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]

Status = Dispute.Status


def event_types(order):
    return list(order.events.filter(type__startswith="dispute_").values_list("type", flat=True))


def refund_elsewhere(run_outbox, dispute, amount):
    """A refund of the case's order that is not the case's (a goodwill gesture, say)."""
    run_outbox(
        schedule_release,
        payment_id=dispute.order.payment_id,
        amount=amount,
        idempotency_key="goodwill",
    )


def refunds(order):
    return PaymentTransaction.objects.filter(
        payment_id=order.payment_id, kind=PaymentTransaction.Kind.REFUND
    )


# --- Opening a case ---------------------------------------------------------------------------
def test_the_buyer_opens_a_case_both_parties_are_told_and_the_timeline_says_so(
    open_case, delivered_order, buyer, seller, mailoutbox
):
    """Given a delivered order, its buyer opens a case: open, with the seller's deadline."""
    before = timezone.now()
    mailoutbox.clear()

    dispute = open_case()

    dispute.refresh_from_db()
    assert dispute.status == Status.OPEN
    assert dispute.buyer == buyer and dispute.seller == seller
    hours = (dispute.respond_by - before).total_seconds() / 3600
    assert 47.9 < hours <= 48.1
    assert dispute.messages.get().body == "The notebook has 80 pages, not 160."
    assert event_types(delivered_order) == [DisputeEvent.OPENED]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([buyer.email, seller.user.email])


def test_only_the_orders_buyer_opens_a_case(delivered_order, seller):
    """Given someone else's order, opening a case on it is refused and nothing is written."""
    for actor in (Actor.buyer(UserFactory()), Actor.seller(seller.user)):
        with pytest.raises(DisputeError, match="Only the buyer"):
            services.open_dispute(
                order_id=delivered_order.pk,
                reason=Dispute.Reason.NOT_AS_DESCRIBED,
                description="x",
                actor=actor,
            )
    assert not Dispute.objects.exists()


def test_one_open_case_per_order(open_case, delivered_order, buyer):
    """
    Given an open case, a second on the order is refused; once withdrawn (not decided,
    not agreed: nothing final), the same reason may be opened again.
    """
    first = open_case()
    with pytest.raises(DisputeError, match="already has an open case"):
        open_case()
    services.withdraw(dispute_id=first.pk, actor=Actor.buyer(buyer))

    second = open_case()

    assert Dispute.objects.filter(order=delivered_order).count() == 2
    assert second.status == Status.OPEN


def test_the_database_refuses_a_second_open_case_too(open_case, delivered_order):
    """The partial unique constraint holds even for a write that skips the service."""
    first = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.create(
            order=delivered_order,
            buyer=first.buyer,
            seller=first.seller,
            reason=first.reason,
            description="again",
            respond_by=first.respond_by,
        )


def test_item_not_received_only_after_the_arrive_by_date(place, ship, buyer, open_case):
    """Given a shipped order still due, "item not received" waits; after the date it opens."""
    order = ship(place())
    with pytest.raises(DisputeError, match="may still arrive"):
        open_case(order, reason=Dispute.Reason.ITEM_NOT_RECEIVED)

    past_due(order)
    dispute = open_case(order, reason=Dispute.Reason.ITEM_NOT_RECEIVED)

    assert dispute.reason == Dispute.Reason.ITEM_NOT_RECEIVED


def test_cancellation_declined_only_after_a_decline(place, buyer, seller, open_case):
    """Given no declined request, that reason is refused; once the seller declines, it opens."""
    order = place()
    with pytest.raises(DisputeError, match="not declined"):
        open_case(order, reason=Dispute.Reason.CANCELLATION_DECLINED)
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
    asked = request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    decline_request(request_id=asked.pk, note="Packed already", actor=Actor.seller(seller.user))
    assert CancellationRequest.objects.get().status == "declined"

    dispute = open_case(order, reason=Dispute.Reason.CANCELLATION_DECLINED)

    assert dispute.status == Status.OPEN


def written():
    """Everything opening a case writes: cases, messages, timeline events, queued emails."""
    return (
        Dispute.objects.count(),
        DisputeMessage.objects.count(),
        OrderEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_nothing_opens_on_an_order_placed_seconds_ago(place, buyer, open_case):
    """The repro: "not as described" on a fresh order is refused, writing nothing."""
    order = place()
    before = written()

    for reason, error in [
        (Dispute.Reason.NOT_AS_DESCRIBED, "Nothing from this order has shipped yet"),
        (Dispute.Reason.ITEM_NOT_RECEIVED, "Nothing from this order has shipped yet"),
        (Dispute.Reason.REFUND_NOT_RECEIVED, "No money has been returned"),
        (Dispute.Reason.CANCELLATION_DECLINED, "not declined a cancellation request"),
    ]:
        with pytest.raises(DisputeError, match=error):
            open_case(order, reason=reason)

    assert written() == before


def test_item_not_received_needs_a_shipped_item_even_when_late(place, open_case):
    """Nothing shipped and past the arrive-by date: a late order is cancelled, not disputed."""
    order = place()
    past_due(order)
    with pytest.raises(DisputeError, match="Nothing from this order has shipped yet"):
        open_case(order, reason=Dispute.Reason.ITEM_NOT_RECEIVED)
    assert not Dispute.objects.exists()


def test_not_as_described_opens_once_an_item_shipped(place, ship, open_case):
    """A shipped unit may be in the buyer's hands before the arrive-by date."""
    order = ship(place())

    dispute = open_case(order, reason=Dispute.Reason.NOT_AS_DESCRIBED)

    assert dispute.status == Status.OPEN


def test_refund_not_received_only_once_the_refund_is_due(settings, place, ship, seller, open_case):
    """
    Given a unit cancelled (its hold released) and the other shipped: refused until
    REFUND_SETTLEMENT_DAYS have passed since the release, then opened.
    """
    settings.REFUND_SETTLEMENT_DAYS = 10
    order = place(quantity=2)
    cancel_items(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.NO_INVENTORY,
        actor=Actor.seller(seller.user),
    )
    order = ship(order)
    released = PaymentTransaction.objects.filter(
        payment_id=order.payment_id, kind=PaymentTransaction.Kind.VOID
    )
    released.update(created_at=timezone.now() - timedelta(days=9, hours=23))
    with pytest.raises(DisputeError, match="can take up to 10 days"):
        open_case(order, reason=Dispute.Reason.REFUND_NOT_RECEIVED)
    assert not Dispute.objects.exists()

    released.update(created_at=timezone.now() - timedelta(days=10, minutes=1))
    dispute = open_case(order, reason=Dispute.Reason.REFUND_NOT_RECEIVED)

    assert dispute.reason == Dispute.Reason.REFUND_NOT_RECEIVED


def _decide(dispute, outcome, *, buyer, seller, staff, run_outbox):
    if outcome == Status.RESOLVED_FOR_BUYER:
        run_outbox(
            as_shown.resolve_for_buyer,
            dispute_id=dispute.pk,
            amount=Decimal("5"),
            note="Scuffed",
            actor=Actor.staff(staff),
        )
    elif outcome == Status.RESOLVED_FOR_SELLER:
        services.resolve_for_seller(dispute_id=dispute.pk, note="Fine", actor=Actor.staff(staff))
    else:
        services.make_offer(
            dispute_id=dispute.pk, kind="partial", amount="5", actor=Actor.seller(seller.user)
        )
        run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (Status.RESOLVED_FOR_BUYER, "staff decided an earlier case"),
        (Status.RESOLVED_FOR_SELLER, "staff decided an earlier case"),
        (Status.RESOLVED_BY_AGREEMENT, "settled an earlier case"),
    ],
)
def test_a_decided_or_agreed_case_is_final_for_its_order_and_reason(
    open_case, buyer, seller, staff, run_outbox, outcome, error
):
    """
    The repro: reopening at once for the same reason is refused and writes nothing;
    another reason still opens.
    """
    dispute = open_case()
    _decide(dispute, outcome, buyer=buyer, seller=seller, staff=staff, run_outbox=run_outbox)
    before = written()

    with pytest.raises(DisputeError, match=error):
        open_case(reason=Dispute.Reason.NOT_AS_DESCRIBED)

    assert written() == before
    other = open_case(reason=Dispute.Reason.ITEM_NOT_RECEIVED)
    assert other.status == Status.OPEN


@pytest.mark.parametrize(
    ("reason", "description", "error"),
    [
        ("made_up", "x", "reason from the list"),
        (Dispute.Reason.NOT_AS_DESCRIBED, "   ", "Write the description"),
        (Dispute.Reason.NOT_AS_DESCRIBED, "x" * 2001, "at most 2000"),
        (Dispute.Reason.NOT_AS_DESCRIBED, "bad\x00byte", "cannot be saved"),
    ],
)
def test_bad_input_opens_nothing(delivered_order, buyer, reason, description, error):
    with pytest.raises(DisputeError, match=error):
        services.open_dispute(
            order_id=delivered_order.pk,
            reason=reason,
            description=description,
            actor=Actor.buyer(buyer),
        )
    assert not Dispute.objects.exists()


def test_an_unpaid_order_has_nothing_to_dispute(buyer, seller):
    """Given an order whose card was declined, no case opens."""
    from tests.factories import OrderFactory, PaymentFactory

    order = OrderFactory(
        buyer=buyer,
        seller=seller,
        status="payment_failed",
        payment=PaymentFactory(status=Payment.Status.FAILED, amount_authorized=0),
    )
    with pytest.raises(DisputeError, match="Nothing was paid"):
        services.open_dispute(
            order_id=order.pk,
            reason=Dispute.Reason.REFUND_NOT_RECEIVED,
            description="x",
            actor=Actor.buyer(buyer),
        )


# --- Messages ---------------------------------------------------------------------------------
def test_the_sellers_first_message_is_their_response(open_case, seller, buyer, mailoutbox):
    """Given an open case, the seller's message moves it to "seller responded"."""
    dispute = open_case()
    mailoutbox.clear()

    services.post_message(dispute_id=dispute.pk, body="Sorry!", actor=Actor.seller(seller.user))

    dispute.refresh_from_db()
    assert dispute.status == Status.SELLER_RESPONDED
    assert DisputeEvent.SELLER_RESPONDED in event_types(dispute.order)


def test_internal_notes_are_staffs_only_and_email_nobody(
    open_case, staff, buyer, run_outbox, mailoutbox
):
    dispute = open_case()
    mailoutbox.clear()

    note = run_outbox(
        services.post_message,
        dispute_id=dispute.pk,
        body="Seller has 3 similar cases",
        actor=Actor.staff(staff),
        internal=True,
    )

    assert note.internal and note.role == "staff"
    assert mailoutbox == []
    with pytest.raises(DisputeError, match="Only marketplace staff"):
        services.post_message(
            dispute_id=dispute.pk, body="x", actor=Actor.buyer(buyer), internal=True
        )


def test_a_stranger_cannot_write_in_a_case(open_case):
    dispute = open_case()
    with pytest.raises(DisputeError):
        services.post_message(dispute_id=dispute.pk, body="hi", actor=Actor.buyer(UserFactory()))
    assert DisputeMessage.objects.count() == 1


def test_no_messages_in_a_closed_case(open_case, buyer):
    dispute = open_case()
    services.withdraw(dispute_id=dispute.pk, actor=Actor.buyer(buyer))
    with pytest.raises(DisputeError, match="closed"):
        services.post_message(dispute_id=dispute.pk, body="hi", actor=Actor.buyer(buyer))


# --- Offers and agreement ------------------------------------------------------------------
def test_a_partial_offer_accepted_refunds_exactly_it(open_case, seller, buyer, run_outbox):
    """Given $25 charged, a $10 offer accepted resolves by agreement and refunds $10 once."""
    dispute = open_case()
    services.make_offer(
        dispute_id=dispute.pk,
        kind="partial",
        amount="10.00",
        message="Keep it, here is $10 back",
        actor=Actor.seller(seller.user),
    )
    dispute.refresh_from_db()
    assert dispute.status == Status.SELLER_RESPONDED
    assert dispute.offer_amount == Decimal("10.00")

    run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED_BY_AGREEMENT
    assert dispute.refund_amount == Decimal("10.00")
    payment = Payment.objects.get(pk=dispute.order.payment_id)
    assert payment.amount_refunded == Decimal("10.00")
    assert refunds(dispute.order).get().idempotency_key == f"refund:dispute:{dispute.pk}"
    assert DisputeEvent.RESOLVED_BY_AGREEMENT in event_types(dispute.order)


def test_a_full_offer_refunds_everything_still_refundable(open_case, seller, buyer, run_outbox):
    dispute = open_case()
    services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.seller(seller.user))

    run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    payment = Payment.objects.get(pk=dispute.order.payment_id)
    assert payment.amount_refunded == payment.amount_captured == Decimal("25.00")


def test_an_offer_past_ten_digits_is_made_and_refunded_whole(buyer, seller, run_outbox):
    """
    Dispute amounts have the money bound of every other column: on the largest order two
    lines can make (2 × 99 at the highest price, 198,000,000.00) a partial offer of
    150,000,000.00 is stored, accepted and refunded (10-digit columns overflowed).
    """
    listings = ListingFactory.create_batch(
        2, seller=seller, price=MAX_PRICE, stock=MAX_QUANTITY_PER_LINE
    )
    (order,) = run_outbox(
        place_orders,
        buyer=buyer,
        items={listing.pk: MAX_QUANTITY_PER_LINE for listing in listings},
        address=ADDRESS,
        card_number=GOOD_CARD,
    )
    run_outbox(
        confirm_shipment,
        order_id=order.pk,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        carrier="UPS",
        tracking_number="1Z999",
        actor=Actor.seller(seller.user),
    )
    dispute = run_outbox(
        services.open_dispute,
        order_id=order.pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="Not what the page showed.",
        actor=Actor.buyer(buyer),
    )
    services.make_offer(
        dispute_id=dispute.pk,
        kind="partial",
        amount="150000000.00",
        actor=Actor.seller(seller.user),
    )

    run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED_BY_AGREEMENT
    assert dispute.offer_amount == dispute.refund_amount == Decimal("150000000.00")
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_captured == Decimal("198000000.00")
    assert payment.amount_refunded == Decimal("150000000.00")


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "more than \\$0.00"),
        ("-5", "more than \\$0.00"),
        ("25.01", "more than can be refunded"),
        ("1.005", "two decimals"),
        ("abc", "dollars and cents"),
        ("NaN", "more than \\$0.00"),
        ("Infinity", "more than \\$0.00"),
        (None, "dollars and cents"),
    ],
)
def test_bad_offer_amounts_are_refused(open_case, seller, amount, error):
    dispute = open_case()
    with pytest.raises(DisputeError, match=error):
        services.make_offer(
            dispute_id=dispute.pk, kind="partial", amount=amount, actor=Actor.seller(seller.user)
        )
    dispute.refresh_from_db()
    assert dispute.status == Status.OPEN and not dispute.has_offer


def test_only_the_seller_offers_and_only_the_buyer_accepts(open_case, seller, buyer, staff):
    dispute = open_case()
    with pytest.raises(DisputeError):
        services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.buyer(buyer))
    services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.seller(seller.user))
    for actor in (Actor.seller(seller.user), Actor.staff(staff), Actor.buyer(UserFactory())):
        with pytest.raises(DisputeError):
            as_shown.accept_offer(dispute_id=dispute.pk, actor=actor)
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED


def test_nothing_to_accept_without_an_offer(open_case, seller, buyer):
    dispute = open_case()
    services.post_message(dispute_id=dispute.pk, body="No.", actor=Actor.seller(seller.user))
    with pytest.raises(DisputeError, match="not made an offer"):
        as_shown.accept_offer(dispute_id=dispute.pk, actor=Actor.buyer(buyer))


def test_an_offer_larger_than_what_is_left_cannot_be_accepted(
    open_case, seller, buyer, staff, run_outbox
):
    """Given a $20 offer, then $10 refunded elsewhere, accepting it is refused."""
    dispute = open_case()
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="20", actor=Actor.seller(seller.user)
    )
    refund_elsewhere(run_outbox, dispute, Decimal("10"))

    with pytest.raises(DisputeError, match="more than can still be refunded"):
        as_shown.accept_offer(dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    assert Payment.objects.get(pk=dispute.order.payment_id).amount_refunded == Decimal("10")


# --- A confirmation confirms what the page showed -----------------------------------------------
def test_an_offer_replaced_since_the_page_loaded_is_not_accepted(open_case, seller, buyer):
    """The buyer saw a full refund ($25.00); the seller then offered $0.01: nothing changes."""
    dispute = open_case()
    services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.seller(seller.user))
    seen = as_shown.offer_shown(dispute.pk)
    assert seen == {"offer_seen": 1, "refund_seen": Decimal("25.00")}
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="0.01", actor=Actor.seller(seller.user)
    )

    with pytest.raises(services.StaleConfirmation, match="The seller changed the offer"):
        services.accept_offer(dispute_id=dispute.pk, actor=Actor.buyer(buyer), **seen)

    dispute.refresh_from_db()
    assert dispute.status == Status.SELLER_RESPONDED and dispute.refund_amount is None
    assert not refunds(dispute.order).exists()
    assert event_types(dispute.order)[-1] == DisputeEvent.OFFER_MADE


def test_a_full_offer_whose_refund_moved_is_not_accepted(open_case, seller, buyer, run_outbox):
    """The buyer saw "Full refund: $25.00"; $5 was refunded elsewhere meanwhile."""
    dispute = open_case()
    services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.seller(seller.user))
    seen = as_shown.offer_shown(dispute.pk)
    refund_elsewhere(run_outbox, dispute, Decimal("5"))

    with pytest.raises(services.StaleConfirmation, match=r"changed to \$20\.00"):
        services.accept_offer(dispute_id=dispute.pk, actor=Actor.buyer(buyer), **seen)
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED

    run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))
    assert Dispute.objects.get().refund_amount == Decimal("20.00")
    assert Payment.objects.get(pk=dispute.order.payment_id).amount_refunded == Decimal("25.00")


@pytest.mark.parametrize("amount", [None, Decimal("10")], ids=["full", "partial"])
def test_staff_decision_on_money_that_moved_is_refused(open_case, staff, run_outbox, amount):
    """Staff's page showed $25.00 refundable; $5 was refunded meanwhile: nothing is decided."""
    dispute = open_case()
    seen = as_shown.money_shown(dispute.pk)
    refund_elsewhere(run_outbox, dispute, Decimal("5"))

    with pytest.raises(services.StaleConfirmation, match=r"still refundable is now \$20\.00"):
        services.resolve_for_buyer(
            dispute_id=dispute.pk,
            note="n",
            actor=Actor.staff(staff),
            money_seen=seen,
            amount=amount,
        )

    assert Dispute.objects.get().status == Status.OPEN
    assert refunds(dispute.order).count() == 1  # the $5 only


def test_a_new_offer_replaces_the_last_and_under_review_stays_under_review(
    open_case, seller, buyer
):
    dispute = open_case()
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="5", actor=Actor.seller(seller.user)
    )
    services.escalate(dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="8", actor=Actor.seller(seller.user)
    )

    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert dispute.offer_amount == Decimal("8.00")


def test_a_refund_cannot_release_a_hold_on_unshipped_items(place, ship, buyer, seller, open_case):
    """Given half of an order shipped, a partial offer accepted is refused (no hold is released)."""
    order = ship(place(quantity=2), units=1)
    past_due(order)
    dispute = open_case(order)
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="5", actor=Actor.seller(seller.user)
    )
    with pytest.raises(DisputeError, match="still on hold"):
        as_shown.accept_offer(dispute_id=dispute.pk, actor=Actor.buyer(buyer))
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED
    assert not refunds(order).exists()


# --- A payment captured at checkout ---------------------------------------------------------------
@pytest.fixture
def captured_at_checkout(settings):
    settings.PAYMENT_CAPTURE = "checkout"


def test_a_case_never_refunds_what_unshipped_items_cost(
    captured_at_checkout, place, declined, staff, seller, open_case
):
    """Given $25.00 charged at checkout and nothing shipped: a partial refund is refused."""
    order = declined(place())
    dispute = open_case(order, reason=Dispute.Reason.CANCELLATION_DECLINED)

    with pytest.raises(DisputeError, match=r"\$25\.00 for items not yet shipped is refunded when"):
        as_shown.resolve_for_buyer(
            dispute_id=dispute.pk, note="Sorry", amount="0.01", actor=Actor.staff(staff)
        )
    with pytest.raises(DisputeError, match="Nothing can be refunded"):
        services.make_offer(dispute_id=dispute.pk, kind="full", actor=Actor.seller(seller.user))
    assert Dispute.objects.get().status == Status.OPEN
    assert not refunds(order).exists()


def test_after_a_partial_refund_the_unshipped_rest_can_still_be_cancelled(
    captured_at_checkout, place, ship, staff, run_outbox, open_case
):
    """
    Given one of two $12.50 units shipped and a case refund of the shipped one: the
    system's cancellation of the other refunds its $12.50 (the lifecycle test found
    a case refund taking that money, after which the order could never be cancelled).
    """
    order = ship(place(quantity=2), units=1)
    past_due(order)
    dispute = open_case(order)
    with pytest.raises(DisputeError, match=r"\$12\.50 was charged for what shipped"):
        as_shown.resolve_for_buyer(
            dispute_id=dispute.pk, note="Scuffed", amount="12.51", actor=Actor.staff(staff)
        )
    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=dispute.pk,
        note="Scuffed",
        amount="12.50",
        actor=Actor.staff(staff),
    )

    run_outbox(
        cancel_items,
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.SHIPPING_DELAY,
        actor=Actor.system(),
    )

    order.refresh_from_db()
    assert order.status == "shipped"
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_refunded == payment.amount_captured == Decimal("25.00")


# --- Withdraw and escalate ----------------------------------------------------------------
def test_the_buyer_withdraws(open_case, buyer, seller):
    dispute = open_case()
    with pytest.raises(DisputeError):
        services.withdraw(dispute_id=dispute.pk, actor=Actor.seller(seller.user))

    services.withdraw(dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    dispute.refresh_from_db()
    assert dispute.status == Status.WITHDRAWN and dispute.resolved_at
    with pytest.raises(DisputeError, match="closed"):
        services.withdraw(dispute_id=dispute.pk, actor=Actor.buyer(buyer))


def seller_answers(dispute, seller, how):
    """The seller's first word in the case: a message, an offer, or (``window``) none in time."""
    if how == "message":
        services.post_message(dispute_id=dispute.pk, body="Hi", actor=Actor.seller(seller.user))
    elif how == "offer":
        services.make_offer(
            dispute_id=dispute.pk, kind="partial", amount="5", actor=Actor.seller(seller.user)
        )
    else:
        Dispute.objects.filter(pk=dispute.pk).update(
            respond_by=timezone.now() - timedelta(minutes=1)
        )


def test_the_seller_escalates_at_once(open_case, seller):
    """Given a new case, the seller may ask staff to decide straight away."""
    dispute = open_case()

    services.escalate(dispute_id=dispute.pk, actor=Actor.seller(seller.user))

    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert dispute.escalated and dispute.escalated_by == "seller"
    assert not dispute.seller_unresponsive
    with pytest.raises(DisputeError, match="already reviewing"):
        services.escalate(dispute_id=dispute.pk, actor=Actor.seller(seller.user))


def test_the_buyer_cannot_escalate_before_the_seller_answers(open_case, buyer):
    """Given a new case within the seller's window, the buyer's escalation is refused."""
    dispute = open_case()
    before = (Dispute.objects.get().updated_at, OrderEvent.objects.count())

    with pytest.raises(DisputeError, match=r"The seller has until .* to respond"):
        services.escalate(dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    dispute.refresh_from_db()
    assert dispute.status == Status.OPEN and not dispute.escalated
    assert (dispute.updated_at, OrderEvent.objects.count()) == before


@pytest.mark.parametrize("how", ["message", "offer", "window"])
def test_the_buyer_escalates_once_the_seller_answered_or_the_window_closed(
    open_case, buyer, seller, how
):
    """The seller wrote, offered, or let their window close: then the buyer may ask staff."""
    dispute = open_case()
    seller_answers(dispute, seller, how)

    services.escalate(dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert dispute.escalated and dispute.escalated_by == "buyer"


def test_staff_do_not_escalate(open_case, staff):
    dispute = open_case()
    with pytest.raises(DisputeError, match="Only the buyer or the seller"):
        services.escalate(dispute_id=dispute.pk, actor=Actor.staff(staff))


def test_an_unanswered_case_past_its_deadline_escalates_once(open_case, mailoutbox):
    dispute = open_case()
    assert not services.escalate_unresponsive(dispute_id=dispute.pk)  # not due yet
    Dispute.objects.filter(pk=dispute.pk).update(respond_by=timezone.now() - timedelta(minutes=1))

    assert services.escalate_unresponsive(dispute_id=dispute.pk)
    assert not services.escalate_unresponsive(dispute_id=dispute.pk)

    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert dispute.seller_unresponsive and dispute.escalated_by == "system"
    assert event_types(dispute.order).count(DisputeEvent.ESCALATED) == 1


def test_an_answered_case_is_not_escalated_by_the_deadline(open_case, seller):
    dispute = open_case()
    services.post_message(dispute_id=dispute.pk, body="Hi", actor=Actor.seller(seller.user))
    Dispute.objects.filter(pk=dispute.pk).update(respond_by=timezone.now() - timedelta(minutes=1))

    assert not services.escalate_unresponsive(dispute_id=dispute.pk)
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED


# --- Staff decisions --------------------------------------------------------------------------
def test_staff_decide_for_the_buyer_with_a_full_refund(
    open_case, buyer, seller, staff, run_outbox, mailoutbox
):
    dispute = open_case()
    seller_answers(dispute, seller, "message")
    services.escalate(dispute_id=dispute.pk, actor=Actor.buyer(buyer))
    mailoutbox.clear()

    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=dispute.pk,
        note="The listing promised 160 pages.",
        actor=Actor.staff(staff),
    )

    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED_FOR_BUYER
    assert dispute.refund_amount == Decimal("25.00")
    assert dispute.decided_by == staff
    assert dispute.decision_note == "The listing promised 160 pages."
    assert Payment.objects.get(pk=dispute.order.payment_id).amount_refunded == Decimal("25.00")
    assert len(mailoutbox) == 2
    assert all("The listing promised 160 pages." in m.body for m in mailoutbox)


def test_staff_decide_for_the_buyer_with_a_partial_refund(open_case, staff, run_outbox):
    dispute = open_case()

    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=dispute.pk,
        amount=Decimal("7.50"),
        note="Half the pages",
        actor=Actor.staff(staff),
    )

    assert Payment.objects.get(pk=dispute.order.payment_id).amount_refunded == Decimal("7.50")


def test_a_full_decision_cancels_what_never_shipped(place, buyer, staff, run_outbox, open_case):
    """Given a declined request, unshipped: a full decision cancels it, releasing the hold."""
    from cancellations.services import decline_request, request_cancellation

    order = place()
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
    asked = request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 2},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    decline_request(
        request_id=asked.pk, note="Shipping today", actor=Actor.seller(order.seller.user)
    )
    dispute = open_case(order, reason=Dispute.Reason.CANCELLATION_DECLINED)

    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=dispute.pk,
        note="Never shipped",
        actor=Actor.staff(staff),
    )

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Cancellation.objects.get().reason == Reason.DISPUTE_RESOLUTION
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.amount_voided == Decimal("25.00") and payment.amount_refunded == 0
    assert Dispute.objects.get().refund_amount == Decimal("25.00")


def test_staff_decide_for_the_seller_and_nothing_is_refunded(open_case, staff):
    dispute = open_case()

    services.resolve_for_seller(
        dispute_id=dispute.pk, note="As described in the photos.", actor=Actor.staff(staff)
    )

    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED_FOR_SELLER
    assert not refunds(dispute.order).exists()
    assert DisputeEvent.RESOLVED_FOR_SELLER in event_types(dispute.order)


def test_staff_ask_the_seller_for_information(open_case, staff, seller):
    dispute = open_case()

    services.ask_seller_for_information(
        dispute_id=dispute.pk, note="Please send a photo of the label.", actor=Actor.staff(staff)
    )

    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert dispute.information_requested_at is not None and dispute.awaiting_seller
    assert dispute.messages.filter(role="staff", internal=False).exists()
    # The seller's answer clears the question.
    services.post_message(dispute_id=dispute.pk, body="Here", actor=Actor.seller(seller.user))
    dispute.refresh_from_db()
    assert dispute.information_requested_at is None and dispute.next_deadline is None


@pytest.mark.parametrize(
    "call",
    [
        lambda pk, actor: as_shown.resolve_for_buyer(dispute_id=pk, note="n", actor=actor),
        lambda pk, actor: services.resolve_for_seller(dispute_id=pk, note="n", actor=actor),
        lambda pk, actor: services.ask_seller_for_information(dispute_id=pk, note="n", actor=actor),
    ],
)
def test_staff_without_the_permission_cannot_decide(open_case, clerk, buyer, call):
    dispute = open_case()
    for actor in (Actor.staff(clerk), Actor.buyer(buyer), Actor.staff(UserFactory())):
        with pytest.raises(DisputeError):
            call(dispute.pk, actor)
    assert Dispute.objects.get().status == Status.OPEN


@pytest.mark.parametrize("note", ["", "  ", "x" * 2001, "\x00"])
def test_a_decision_needs_a_note(open_case, staff, note):
    dispute = open_case()
    with pytest.raises(DisputeError):
        services.resolve_for_seller(dispute_id=dispute.pk, note=note, actor=Actor.staff(staff))


def test_a_partial_decision_above_what_is_refundable_is_refused(open_case, staff):
    dispute = open_case()
    with pytest.raises(DisputeError, match="more than can be refunded"):
        as_shown.resolve_for_buyer(
            dispute_id=dispute.pk, amount="25.01", note="n", actor=Actor.staff(staff)
        )
    assert Dispute.objects.get().status == Status.OPEN


def test_a_decided_case_cannot_be_decided_again_and_pays_once(open_case, staff, run_outbox):
    dispute = open_case()
    run_outbox(
        as_shown.resolve_for_buyer, dispute_id=dispute.pk, note="n", actor=Actor.staff(staff)
    )
    for call in (as_shown.resolve_for_buyer, services.resolve_for_seller):
        with pytest.raises(DisputeError, match="closed"):
            call(dispute_id=dispute.pk, note="again", actor=Actor.staff(staff))
    assert refunds(dispute.order).count() == 1


def test_the_refund_key_replays_instead_of_paying_twice(open_case, staff, run_outbox):
    """The refund's idempotency key is the case's: asking payments again returns the same row."""
    dispute = open_case()
    run_outbox(
        as_shown.resolve_for_buyer, dispute_id=dispute.pk, note="n", actor=Actor.staff(staff)
    )

    again = schedule_release(
        payment_id=dispute.order.payment_id,
        amount=Decimal("25.00"),
        idempotency_key=f"dispute:{dispute.pk}",
    )

    assert [row.pk for row in again] == [refunds(dispute.order).get().pk]
    assert Payment.objects.get(pk=dispute.order.payment_id).amount_refunded == Decimal("25.00")


def test_every_change_writes_one_order_event(open_case, seller, buyer, staff):
    dispute = open_case()
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="5", actor=Actor.seller(seller.user)
    )
    services.escalate(dispute_id=dispute.pk, actor=Actor.seller(seller.user))
    services.resolve_for_seller(dispute_id=dispute.pk, note="n", actor=Actor.staff(staff))

    assert event_types(dispute.order) == [
        DisputeEvent.OPENED,
        DisputeEvent.OFFER_MADE,
        DisputeEvent.ESCALATED,
        DisputeEvent.RESOLVED_FOR_SELLER,
    ]
    staff_event = OrderEvent.objects.get(type=DisputeEvent.RESOLVED_FOR_SELLER)
    assert staff_event.actor_role == "staff" and staff_event.actor_user == staff


def test_html_in_a_message_arrives_in_the_email_as_typed(open_case, seller, run_outbox, mailoutbox):
    """The emails are plain text: markup is neither run nor turned into entities."""
    dispute = open_case()
    mailoutbox.clear()

    run_outbox(
        services.post_message,
        dispute_id=dispute.pk,
        body="<b>Sorry</b> & thanks",
        actor=Actor.seller(seller.user),
    )

    (mail,) = mailoutbox
    assert "<b>Sorry</b> & thanks" in mail.body and "&lt;" not in mail.body
