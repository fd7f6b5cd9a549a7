"""disputes.selectors: the order defect rate and the money a case may return."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Dispute
from disputes.selectors import money_summary, order_defect_rate
from orders.actors import Actor
from tests.disputes import as_shown
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def case(order, status):
    return Dispute.objects.create(
        order=order,
        buyer=order.buyer,
        seller=order.seller,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
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
        rate = order_defect_rate(seller)

    assert (rate.defects, rate.orders, rate.days) == (1, 4, 60)
    assert rate.percent == Decimal("25.0")


def test_defect_rate_without_orders_is_none(seller):
    assert order_defect_rate(seller).percent is None


def test_two_cases_on_one_order_are_one_defect(buyer, seller):
    order = OrderFactory(buyer=buyer, seller=seller)
    case(order, Dispute.Status.RESOLVED_FOR_BUYER)
    case(order, Dispute.Status.RESOLVED_FOR_BUYER)
    assert order_defect_rate(seller).defects == 1


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
    then the order defect rate reads 25.0 % from the Resolution Center, not "not available".
    """
    recent = [OrderFactory(buyer=buyer, seller=seller) for _ in range(4)]
    case(recent[0], Dispute.Status.RESOLVED_FOR_BUYER)
    client.force_login(seller.user)

    body = client.get(reverse("cancellations:seller_home")).content.decode()

    assert "1 of 4 orders with a case decided for the buyer" in body
    assert "25.0" in body
