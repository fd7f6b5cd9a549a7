"""
A buyer's request from asked to withdrawn (cancellations/services/requests.py); the seller's
answers are in test_seller_services.py.
"""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Profile
from cancellations.models import CancellationRequest, Reason
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.requests import request_cancellation, withdraw_request
from core.formatting import format_when
from orders.actors import Actor
from orders.models import OrderEvent
from tests.factories import UserFactory

from .conftest import age

pytestmark = pytest.mark.django_db


def test_request_is_filed_when_direct_cancel_is_over(
    place, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    order = age(place(), hours=2)
    line = order.lines.get()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_request = request_cancellation(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )
    assert cancellation_request.status == CancellationRequest.Status.PENDING
    assert list(cancellation_request.lines.values_list("order_line", "quantity")) == [(line.pk, 1)]
    line.refresh_from_db()
    assert line.quantity_cancelled == 0  # nothing changes until the seller answers
    assert order.events.filter(type=OrderEvent.Type.CANCELLATION_REQUESTED).count() == 1
    assert {m.to[0] for m in mailoutbox} == {"bea@example.com", "sam@example.com"}


def test_the_request_emails_give_the_answer_by_time_in_each_readers_zone(
    place, buyer, seller, django_capture_on_commit_callbacks, mailoutbox
):
    """The buyer chose Tokyo, the seller Berlin: each email's deadline is in its reader's zone."""
    Profile.objects.create(user=buyer, time_zone="Asia/Tokyo")
    Profile.objects.create(user=seller.user, time_zone="Europe/Berlin")
    order = age(place(), hours=2)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_request = request_cancellation(
            order_id=order.pk,
            quantities={order.lines.get().pk: 1},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )

    due = cancellation_request.response_due_at()
    body = {m.to[0]: m.body for m in mailoutbox}
    for address, zone in [("bea@example.com", "Asia/Tokyo"), ("sam@example.com", "Europe/Berlin")]:
        with timezone.override(ZoneInfo(zone)):
            assert format_when(due) in body[address]


def test_one_pending_request_per_order(place, buyer):
    order = age(place(), hours=2)
    line = order.lines.get()
    request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    with pytest.raises(CancellationError, match="already asked"):
        request_cancellation(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )
    assert CancellationRequest.objects.count() == 1


def test_a_request_is_refused_while_direct_cancel_is_open(place, buyer):
    order = place()
    line = order.lines.get()
    with pytest.raises(CancellationError):
        request_cancellation(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.FOUND_CHEAPER,
            actor=Actor.buyer(buyer),
        )


def test_withdraw_request(place, buyer):
    order = age(place(), hours=2)
    line = order.lines.get()
    cancellation_request = request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    withdraw_request(request_id=cancellation_request.pk, actor=Actor.buyer(buyer))
    cancellation_request.refresh_from_db()
    assert cancellation_request.status == CancellationRequest.Status.WITHDRAWN
    with pytest.raises(AlreadyDone):
        withdraw_request(request_id=cancellation_request.pk, actor=Actor.buyer(buyer))
    intruder = UserFactory()
    second = request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    with pytest.raises(CancellationError):
        withdraw_request(request_id=second.pk, actor=Actor.buyer(intruder))
    second.refresh_from_db()
    assert second.status == CancellationRequest.Status.PENDING
