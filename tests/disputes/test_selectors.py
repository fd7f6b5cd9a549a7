"""disputes.selectors: the order defect rate and the money a case may return."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from cancellations.services import cancel_items
from disputes.models import Dispute
from disputes.rules import OpeningFacts, Release
from disputes.selectors import money_summary, opening_facts, order_defect_rate
from orders.actors import Actor
from orders.selectors import order_for_buyer
from payments.models import PaymentTransaction
from tests.disputes import as_shown
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def case(order, status, reason=Dispute.Reason.NOT_AS_DESCRIBED):
    return Dispute.objects.create(
        order=order,
        buyer=order.buyer,
        seller=order.seller,
        reason=reason,
        description="x",
        respond_by=timezone.now(),
        status=status,
    )


def test_defect_rate_counts_orders_decided_for_the_buyer_in_the_window(
    buyer, seller, django_assert_num_queries
):
    """Given 4 recent orders (one decided for the buyer, one for the seller, one settled)
    and an old defect outside 60 days, the rate is 1 of 4."""
    recent = [OrderFactory(buyer=buyer, seller=seller) for _ in range(4)]
    case(recent[0], Dispute.Status.RESOLVED_FOR_BUYER)
    case(recent[1], Dispute.Status.RESOLVED_FOR_SELLER)
    case(recent[2], Dispute.Status.RESOLVED_BY_AGREEMENT)
    old = OrderFactory(buyer=buyer, seller=seller, placed_at=timezone.now() - timedelta(days=61))
    case(old, Dispute.Status.RESOLVED_FOR_BUYER)
    OrderFactory(buyer=buyer)  # another seller's order

    with django_assert_num_queries(1):
        rate = order_defect_rate(seller, days=60)

    assert (rate.defects, rate.orders, rate.days) == (1, 4, 60)
    assert rate.percent == Decimal("25.0")


def test_defect_rate_without_orders_is_none(seller):
    assert order_defect_rate(seller, days=60).percent is None


def test_two_cases_on_one_order_are_one_defect(buyer, seller):
    order = OrderFactory(buyer=buyer, seller=seller)
    case(order, Dispute.Status.RESOLVED_FOR_BUYER)
    case(order, Dispute.Status.RESOLVED_FOR_BUYER)
    assert order_defect_rate(seller, days=60).defects == 1


def test_a_pending_refund_is_not_refundable_again(open_case, staff):
    """Given a decision's refund queued but not yet run, nothing more is refundable."""
    dispute = open_case()
    as_shown.resolve_for_buyer(
        dispute_id=dispute.pk, amount=Decimal("10"), note="n", actor=Actor.staff(staff)
    )  # no commit callbacks: the refund stays pending

    money = money_summary(dispute.order)

    assert (money.captured, money.refunded, money.pending_refunds) == (
        Decimal("25.00"),
        Decimal("0.00"),
        Decimal("10.00"),
    )
    assert money.refundable == Decimal("15.00")


def test_seller_central_home_shows_the_defect_rate(client, buyer, seller):
    """
    Given 4 recent orders, one with a case decided for the buyer,
    when the seller opens Seller Central home,
    then the order defect rate reads 25.0 %, counted from the Resolution Center's cases.
    """
    recent = [OrderFactory(buyer=buyer, seller=seller) for _ in range(4)]
    case(recent[0], Dispute.Status.RESOLVED_FOR_BUYER)
    client.force_login(seller.user)

    body = client.get(reverse("sellercentral:home")).content.decode()

    assert "1 of 4 orders with a case decided for the buyer" in body
    assert "25.0" in body


def test_opening_facts_gather_what_the_rules_need(
    place, ship, declined, buyer, seller, django_assert_num_queries
):
    """
    Given 3 units: a cancellation request declined, one unit cancelled by the seller (its
    hold released), one shipped; a case decided, one withdrawn, one open. The withdrawn
    case is not final; the order page's prefetched lines cost nothing more.
    """
    order = declined(place(quantity=3))
    cancel_items(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.NO_INVENTORY,
        actor=Actor.seller(seller.user),
    )
    ship(order, units=1)
    case(order, Dispute.Status.RESOLVED_FOR_SELLER, Dispute.Reason.NOT_AS_DESCRIBED)
    case(order, Dispute.Status.WITHDRAWN, Dispute.Reason.ITEM_NOT_RECEIVED)
    case(order, Dispute.Status.OPEN, Dispute.Reason.REFUND_NOT_RECEIVED)
    void = PaymentTransaction.objects.get(payment_id=order.payment_id, kind="void")
    order = order_for_buyer(buyer=buyer, number=order.number, detailed=False)

    # cases, declined request, money given back, returns refused
    with django_assert_num_queries(4):
        facts = opening_facts(order)

    assert facts == OpeningFacts(
        paid=True,
        has_open_case=True,
        shipped_units=1,
        deliver_by=order.deliver_by,
        cancellation_declined=True,
        releases=(Release(amount=Decimal("12.50"), asked_at=void.created_at),),
        final_outcomes={Dispute.Reason.NOT_AS_DESCRIBED: Dispute.Status.RESOLVED_FOR_SELLER},
    )


def test_opening_facts_of_a_fresh_order(place):
    facts = opening_facts(place())
    assert (facts.paid, facts.has_open_case, facts.shipped_units) == (True, False, 0)
    assert (facts.cancellation_declined, facts.releases, facts.final_outcomes) == (False, (), {})
