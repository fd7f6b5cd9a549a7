"""The returns' deadline jobs: each moves a due return on once, and nothing that is not due."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Listing
from orders.actors import Actor
from returns import services, tasks
from returns.models import CloseReason, ReturnRequest, ReturnStatus

pytestmark = pytest.mark.django_db


def ask(order, buyer):
    return services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason="defective",
        note="",
        opened=False,
        actor=Actor.buyer(buyer),
    )


def older(return_request, **fields):
    """Move the return's deadlines into the past."""
    ReturnRequest.objects.filter(pk=return_request.pk).update(**fields)


def test_an_unanswered_request_is_authorized_for_the_seller_after_48_hours(delivered, buyer):
    due, fresh = ask(delivered(), buyer), ask(delivered(), buyer)
    older(due, respond_by=timezone.now() - timedelta(minutes=1))

    assert tasks.authorize_overdue_returns_task() == 1
    assert tasks.authorize_overdue_returns_task() == 0

    due.refresh_from_db()
    assert (due.status, due.authorized_by) == (ReturnStatus.AUTHORIZED, "system")
    assert ReturnRequest.objects.get(pk=fresh.pk).status == ReturnStatus.REQUESTED


def test_an_authorized_return_not_shipped_back_in_14_days_closes(delivered, buyer, seller):
    asked = ask(delivered(), buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    older(asked, ship_back_by=timezone.now() - timedelta(minutes=1))

    assert tasks.close_unshipped_returns_task() == 1
    asked.refresh_from_db()
    assert (asked.status, asked.close_reason) == (ReturnStatus.CLOSED, CloseReason.NOT_SHIPPED_BACK)


def test_a_parcel_not_marked_received_in_3_days_is_refunded_in_full(
    delivered, buyer, seller, django_capture_on_commit_callbacks
):
    order = delivered()
    stock = Listing.objects.get().stock
    asked = ask(order, buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    services.add_tracking(
        return_id=asked.pk, carrier="UPS", tracking_number="1Z", actor=Actor.buyer(buyer)
    )
    services.mark_delivered_back(return_id=asked.pk, actor=Actor.system())
    older(asked, receive_by=timezone.now() - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refund_unreceived_returns_task() == 1
    assert tasks.refund_unreceived_returns_task() == 0

    asked.refresh_from_db()
    assert (asked.status, asked.refund_amount, asked.received_by) == (
        ReturnStatus.REFUNDED,
        Decimal("12.50"),
        "system",
    )
    assert Listing.objects.get().stock == stock  # condition unknown: not restocked
    order.payment.refresh_from_db()
    assert order.payment.amount_refunded == Decimal("12.50")
