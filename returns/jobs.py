"""
The returns' deadlines, run by beat (returns/tasks.py): each due return is handled in its
own transaction, re-checked under its order's lock, so a seller acting at the same
moment and a second run of the job both find it done and do nothing.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders.actors import Actor
from orders.models import Order

from . import services
from .models import ZERO, CloseReason, ReturnRequest, ReturnStatus

logger = logging.getLogger(__name__)


def overdue_requests(now: datetime) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(status=ReturnStatus.REQUESTED, respond_by__lt=now)


def unshipped_returns(now: datetime) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(status=ReturnStatus.AUTHORIZED, ship_back_by__lt=now)


def unreceived_returns(now: datetime) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(status=ReturnStatus.DELIVERED_BACK, receive_by__lt=now)


def authorize_overdue_request(*, return_id: int, now: datetime | None = None) -> bool:
    """A request the seller left unanswered past ``respond_by`` is authorized for them."""
    now = now or timezone.now()
    return _act_if_due(
        return_id,
        overdue_requests(now),
        lambda: services.authorize_return(return_id=return_id, actor=Actor.system(), now=now),
    )


def close_unshipped_return(*, return_id: int, now: datetime | None = None) -> bool:
    """An authorized return not shipped back by ``ship_back_by`` closes."""
    return _act_if_due(
        return_id,
        unshipped_returns(now or timezone.now()),
        lambda: services.close_return(
            return_id=return_id,
            reason=CloseReason.NOT_SHIPPED_BACK,
            note="",
            actor=Actor.system(),
        ),
    )


def refund_unreceived_return(*, return_id: int, now: datetime | None = None) -> bool:
    """A parcel delivered back and not marked received by ``receive_by`` is refunded in full."""
    return _act_if_due(
        return_id,
        unreceived_returns(now or timezone.now()),
        lambda: services.receive_return(
            return_id=return_id,
            condition="",  # nobody looked at it: nothing goes back on the shelf
            restocking_fee=ZERO,
            actor=Actor.system(),
        ),
    )


def _act_if_due(
    return_id: int, due: QuerySet[ReturnRequest], act: Callable[[], ReturnRequest]
) -> bool:
    """
    Act on the return when it is still due under its order's lock; False when someone else
    holds the order (the next run takes it), it stopped being due, or the act was refused.
    """
    with transaction.atomic():
        try:
            services.lock_return(return_id, skip_locked=True)
        except Order.DoesNotExist:
            return False
        if not due.filter(pk=return_id).exists():
            return False
        try:
            with transaction.atomic():
                act()
        except services.ReturnError as refusal:
            logger.error("Return %s: the deadline job was refused: %s", return_id, refusal)
            return False
        return True
