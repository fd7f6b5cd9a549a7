"""
Cases under real concurrency (PostgreSQL, threads released together by a barrier,
each on its own connection). Commits are real, so the outbox runs the refunds at the
gateway and sends the emails after each one.
"""

import threading
import time
from decimal import Decimal
from functools import partial

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from disputes import services, tasks
from disputes.models import Dispute, DisputeEvent
from disputes.services import DisputeError
from orders.actors import Actor
from orders.models import OrderEvent
from orders.services import lock_order
from payments.models import Payment, PaymentTransaction
from tests.disputes import as_shown
from tests.factories import UserFactory, shipped_order
from tests.threads import run_together

# Against both gateways: the sandbox, and the Stripe gateway against localstripe.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("gateway"),
]


@pytest.fixture
def staff2():
    user = UserFactory(username="stan", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="disputes", codename="resolve_dispute")
    )
    return user


@pytest.fixture
def case(buyer, seller):
    """A $25.00 order shipped (captured for real) with an open case and a $10 offer."""
    order = shipped_order(buyer=buyer, seller=seller)
    dispute = services.open_dispute(
        order_id=order.pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="Wrong notebook",
        actor=Actor.buyer(buyer),
    )
    services.make_offer(
        dispute_id=dispute.pk, kind="partial", amount="10", actor=Actor.seller(seller.user)
    )
    return dispute


def outcomes_ok(outcomes):
    """Exactly one call won; the other was refused with a message, nothing else."""
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DisputeError), outcomes
    assert "closed" in str(errors[0])


def assert_one_resolution_at_most_one_refund(case):
    payment = Payment.objects.get(pk=case.order.payment_id)
    refunds = payment.transactions.filter(kind=PaymentTransaction.Kind.REFUND)
    assert refunds.count() <= 1
    assert not refunds.exclude(status="succeeded").exists()
    assert payment.amount_refunded <= payment.amount_captured
    resolved = OrderEvent.objects.filter(
        order=case.order,
        type__in=[
            DisputeEvent.RESOLVED_BY_AGREEMENT,
            DisputeEvent.RESOLVED_FOR_SELLER,
            DisputeEvent.RESOLVED_FOR_BUYER,
        ],
    )
    assert resolved.count() == 1
    return payment, Dispute.objects.get(pk=case.pk)


def test_buyer_accepts_while_staff_decide_for_the_seller(case, buyer, staff):
    """One outcome: agreement with its $10 refund, or the seller's win with none."""
    outcomes = run_together(
        partial(as_shown.accept_offer, dispute_id=case.pk, actor=Actor.buyer(buyer)),
        partial(
            services.resolve_for_seller,
            dispute_id=case.pk,
            note="As described",
            actor=Actor.staff(staff),
        ),
    )

    outcomes_ok(outcomes)
    payment, dispute = assert_one_resolution_at_most_one_refund(case)
    if dispute.status == Dispute.Status.RESOLVED_BY_AGREEMENT:
        assert payment.amount_refunded == Decimal("10.00")
    else:
        assert dispute.status == Dispute.Status.RESOLVED_FOR_SELLER
        assert payment.amount_refunded == 0


def first_then(order_id, first, then):
    """
    Two calls for run_together in a set order: ``first`` runs holding the order's lock,
    taken before ``then`` starts, so ``then`` waits on that lock and sees what ``first``
    committed (or rolled back).
    """
    locked = threading.Event()

    def run_first():
        with transaction.atomic():
            lock_order(order_id)
            locked.set()
            time.sleep(0.2)  # ``then`` is waiting on the lock meanwhile
            return first()

    def run_then():
        assert locked.wait(timeout=30)
        return then()

    return run_first, run_then


@pytest.mark.parametrize("first", ["seller", "buyer", "at once"])
def test_the_buyer_accepts_the_offer_they_saw_while_the_seller_replaces_it(
    case, buyer, seller, first
):
    """The buyer saw $10.00; the seller replaces it with $0.01: $10.00 is refunded, or nothing."""
    seen = as_shown.offer_shown(case.pk)
    assert seen["refund_seen"] == Decimal("10.00")
    accept = partial(services.accept_offer, dispute_id=case.pk, actor=Actor.buyer(buyer), **seen)
    replace = partial(
        services.make_offer,
        dispute_id=case.pk,
        kind="partial",
        amount="0.01",
        actor=Actor.seller(seller.user),
    )
    if first == "seller":
        outcomes = run_together(*first_then(case.order_id, replace, accept))
    elif first == "buyer":
        outcomes = run_together(*first_then(case.order_id, accept, replace))[::-1]
    else:
        outcomes = run_together(replace, accept)

    replaced, accepted = outcomes
    dispute = Dispute.objects.get(pk=case.pk)
    payment = Payment.objects.get(pk=case.order.payment_id)
    if isinstance(accepted, Exception):
        assert isinstance(accepted, services.StaleConfirmation), outcomes
        assert dispute.status == Dispute.Status.SELLER_RESPONDED
        assert dispute.offer_amount == Decimal("0.01") and dispute.refund_amount is None
        assert payment.amount_refunded == 0
    else:
        assert isinstance(replaced, DisputeError) and "closed" in str(replaced), outcomes
        assert dispute.status == Dispute.Status.RESOLVED_BY_AGREEMENT
        assert dispute.refund_amount == payment.amount_refunded == Decimal("10.00")
    if first == "seller":
        assert isinstance(accepted, Exception)
    elif first == "buyer":
        assert not isinstance(accepted, Exception)


def test_two_staff_resolve_at_once(case, staff, staff2):
    """One staff decision stands and pays once; the other is told the case is closed."""
    outcomes = run_together(
        partial(as_shown.resolve_for_buyer, dispute_id=case.pk, note="A", actor=Actor.staff(staff)),
        partial(
            as_shown.resolve_for_buyer,
            dispute_id=case.pk,
            amount=Decimal("5"),
            note="B",
            actor=Actor.staff(staff2),
        ),
    )

    outcomes_ok(outcomes)
    payment, dispute = assert_one_resolution_at_most_one_refund(case)
    assert payment.amount_refunded == dispute.refund_amount
    assert dispute.refund_amount in (Decimal("25.00"), Decimal("5.00"))


def test_two_beat_runs_at_once_escalate_once(buyer, seller):
    """Two runs of the job together escalate each overdue case once."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import OrderFactory

    ids = []
    for _ in range(5):
        order = OrderFactory(buyer=buyer, seller=seller, status="delivered")
        dispute = Dispute.objects.create(
            order=order,
            buyer=buyer,
            seller=seller,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="x",
            respond_by=timezone.now() - timedelta(hours=1),
        )
        ids.append(dispute.pk)

    counts = run_together(
        tasks.escalate_unresponsive_disputes_task, tasks.escalate_unresponsive_disputes_task
    )

    assert not any(isinstance(c, Exception) for c in counts), counts
    assert sum(counts) + Dispute.objects.filter(status="open").count() == 5
    assert OrderEvent.objects.filter(type=DisputeEvent.ESCALATED).count() == sum(counts)
    # What a run skipped (held by the other) the next run picks up, once.
    tasks.escalate_unresponsive_disputes_task()
    assert Dispute.objects.filter(pk__in=ids, status="under_review").count() == 5
    assert OrderEvent.objects.filter(type=DisputeEvent.ESCALATED).count() == 5


def test_opening_asks_the_rules_on_the_locked_order(buyer, seller):
    """
    While another transaction holds the order's lock and records a decision on "not as
    described", the buyer's new case for that reason waits for the lock, then sees the
    decision and is refused: the rules are asked on the locked rows, not before.
    """
    from django.utils import timezone

    order = shipped_order(buyer=buyer, seller=seller)

    def decide():
        Dispute.objects.create(
            order=order,
            buyer=buyer,
            seller=seller,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="Earlier case",
            respond_by=timezone.now(),
            status=Dispute.Status.RESOLVED_FOR_SELLER,
        )

    def open_again():
        return services.open_dispute(
            order_id=order.pk,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="Wrong notebook",
            actor=Actor.buyer(buyer),
        )

    decided, opened = run_together(*first_then(order.pk, decide, open_again))

    assert decided is None
    assert isinstance(opened, DisputeError), opened
    assert "decision is final" in str(opened)
    assert list(Dispute.objects.values_list("status", flat=True)) == ["resolved_for_seller"]
