"""
Returns under real concurrency (PostgreSQL): a seller and a deadline job, or two sellers'
clicks, at the same moment. Each ends with one refund and one restock at most.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Listing
from orders.actors import Actor
from payments.models import PaymentTransaction
from returns import jobs, services
from returns.models import ItemCondition, ReturnRequest, ReturnStatus
from tests.threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("gateway"),
]


def received(return_id, seller):
    return lambda: services.receive_return(
        return_id=return_id,
        condition=ItemCondition.SELLABLE,
        restocking_fee=Decimal("0"),
        actor=Actor.seller(seller.user),
    )


@pytest.fixture
def parcel_back(delivered, buyer, seller):
    """A return delivered back to the seller, its receive-by deadline just passed."""
    order = delivered(quantity=2)
    asked = services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason="defective",
        note="",
        opened=False,
        actor=Actor.buyer(buyer),
    )
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    services.add_tracking(
        return_id=asked.pk, carrier="UPS", tracking_number="1Z", actor=Actor.buyer(buyer)
    )
    services.mark_delivered_back(return_id=asked.pk, actor=Actor.system())
    ReturnRequest.objects.filter(pk=asked.pk).update(
        receive_by=timezone.now() - timedelta(minutes=1)
    )
    return asked


def assert_one_refund(return_request, *, stock_before, restocked_at_most=1):
    refunds = PaymentTransaction.objects.filter(kind="refund")
    assert refunds.count() == 1
    assert refunds.get().status == "succeeded"
    assert ReturnRequest.objects.get(pk=return_request.pk).status == ReturnStatus.REFUNDED
    assert stock_before <= Listing.objects.get().stock <= stock_before + restocked_at_most


def test_the_seller_marks_received_while_the_auto_refund_job_runs(parcel_back, seller):
    stock = Listing.objects.get().stock
    outcomes = run_together(
        received(parcel_back.pk, seller),
        lambda: jobs.refund_unreceived_return(return_id=parcel_back.pk),
    )
    assert [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, services.ReturnError)
    ] == []
    assert_one_refund(parcel_back, stock_before=stock)


def test_two_receipts_at_once_refund_and_restock_once(parcel_back, seller):
    stock = Listing.objects.get().stock
    outcomes = run_together(received(parcel_back.pk, seller), received(parcel_back.pk, seller))
    refused = [o for o in outcomes if isinstance(o, services.ReturnError)]
    assert len(refused) == 1
    assert_one_refund(parcel_back, stock_before=stock)
    assert Listing.objects.get().stock == stock + 1


def test_the_seller_authorizes_while_the_auto_authorize_job_runs(delivered, buyer, seller):
    order = delivered()
    asked = services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason="defective",
        note="",
        opened=False,
        actor=Actor.buyer(buyer),
    )
    ReturnRequest.objects.filter(pk=asked.pk).update(
        respond_by=timezone.now() - timedelta(minutes=1)
    )
    outcomes = run_together(
        lambda: services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user)),
        lambda: jobs.authorize_overdue_request(return_id=asked.pk),
    )
    assert [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, services.ReturnError)
    ] == []
    asked.refresh_from_db()
    assert asked.status == ReturnStatus.AUTHORIZED
    assert asked.order.events.filter(type="return_authorized").count() == 1
