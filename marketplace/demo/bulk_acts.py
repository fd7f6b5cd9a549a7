"""
What happened to some bulk orders after they were placed, so the tables behind Requests,
the Resolution Center and the admin lists grow with the orders as in a real shop: a few
orders cancelled by their buyer right after placing them, buyers' cancellation requests
(declined on orders that shipped, waiting on orders that have not), and withdrawn cases on
delivered orders. Each writes the rows its service would: the act, its lines, the
order's quantities and its timeline. Money of a cancelled order is voided by bulk.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cancellations.models import (
    Cancellation,
    CancellationLine,
    CancellationRequest,
    CancellationRequestLine,
    Reason,
)
from disputes.models import Dispute, DisputeEvent
from orders.models import ActorRole, OrderEvent, OrderStatus

if TYPE_CHECKING:
    from .bulk import BulkDraft

# Shares of the bulk orders, near a healthy shop's rates (a cancellation rate under
# 2.5 %, a few requests, cases on about one order in a hundred).
CANCELLED_SHARE = 0.02
REQUEST_SHARE = 0.04
DISPUTE_SHARE = 0.01
DECLINE_NOTE = "Already packed and shipping today."


def create_acts(drafts: list[BulkDraft], now: datetime) -> None:
    """The cancellations, requests and cases the drafts were given, one INSERT per model."""
    cancelled = [draft for draft in drafts if draft.status == OrderStatus.CANCELLED]
    asked = [draft for draft in drafts if draft.request]
    cases = [draft for draft in drafts if draft.dispute]
    cancellations = Cancellation.objects.bulk_create(_cancellation(draft) for draft in cancelled)
    CancellationLine.objects.bulk_create(
        CancellationLine(cancellation=cancellation, order_line=line, quantity=line.quantity)
        for draft, cancellation in zip(cancelled, cancellations, strict=True)
        for line in draft.order_lines
    )
    requests = CancellationRequest.objects.bulk_create(_request(draft) for draft in asked)
    CancellationRequestLine.objects.bulk_create(
        CancellationRequestLine(request=request, order_line=draft.order_lines[0], quantity=1)
        for draft, request in zip(asked, requests, strict=True)
    )
    Dispute.objects.bulk_create(_dispute(draft, now) for draft in cases)
    OrderEvent.objects.bulk_create(
        [
            *(_cancelled_event(draft) for draft in cancelled),
            *(event for draft in asked for event in _request_events(draft)),
            *(event for draft in cases for event in _dispute_events(draft, now)),
        ]
    )


def cancelled_at(draft: BulkDraft) -> datetime:
    """Within the buyer's half hour of quick cancelling."""
    return draft.placed_at + timedelta(minutes=10)


def _cancellation(draft: BulkDraft) -> Cancellation:
    return Cancellation(
        order=draft.order,
        initiator=ActorRole.BUYER,
        actor_user=draft.buyer,
        reason=Reason.CREATED_BY_MISTAKE,
        refund_amount=draft.total,
        counts_against_seller=False,
        created_at=cancelled_at(draft),
    )


def _cancelled_event(draft: BulkDraft) -> OrderEvent:
    units = sum(quantity for _listing, quantity in draft.lines)
    return OrderEvent(
        order=draft.order,
        type=OrderEvent.Type.ITEMS_CANCELLED,
        actor_role=ActorRole.BUYER,
        actor_user=draft.buyer,
        summary=f"{units} item{'s' if units != 1 else ''} cancelled: Order created by mistake.",
        payload={"reason": Reason.CREATED_BY_MISTAKE, "refund": str(draft.total)},
        created_at=cancelled_at(draft),
    )


def _asked_at(draft: BulkDraft) -> datetime:
    """An hour after placing: past the quick-cancel window, before anything shipped."""
    return draft.placed_at + timedelta(hours=1)


def _request(draft: BulkDraft) -> CancellationRequest:
    declined = draft.request == CancellationRequest.Status.DECLINED
    return CancellationRequest(
        order=draft.order,
        buyer=draft.buyer,
        status=draft.request,
        reason=Reason.FOUND_CHEAPER,
        response_note=DECLINE_NOTE if declined else "",
        created_at=_asked_at(draft),
        responded_at=draft.shipped_at if declined else None,
    )


def _request_events(draft: BulkDraft) -> list[OrderEvent]:
    order = draft.order
    assert order is not None
    events = [
        OrderEvent(
            order=order,
            type=OrderEvent.Type.CANCELLATION_REQUESTED,
            actor_role=ActorRole.BUYER,
            actor_user=draft.buyer,
            summary="Cancellation requested: Found cheaper somewhere else.",
            created_at=_asked_at(draft),
        )
    ]
    if draft.request == CancellationRequest.Status.DECLINED:
        assert draft.shipped_at is not None  # declined because it shipped
        events.append(
            OrderEvent(
                order=order,
                type=OrderEvent.Type.CANCELLATION_REQUEST_DECLINED,
                actor_role=ActorRole.SELLER,
                actor_user=order.seller.user,
                summary=f"The seller declined the cancellation request: {DECLINE_NOTE}",
                created_at=draft.shipped_at,
            )
        )
    return events


def _case_dates(draft: BulkDraft, now: datetime) -> tuple[datetime, datetime]:
    """Opened a day after delivery, withdrawn a day later (never in the future)."""
    assert draft.delivered_at is not None
    opened = min(draft.delivered_at + timedelta(days=1), now)
    return opened, min(opened + timedelta(days=1), now)


def _dispute(draft: BulkDraft, now: datetime) -> Dispute:
    order = draft.order
    assert order is not None
    opened, withdrawn = _case_dates(draft, now)
    return Dispute(
        order=order,
        buyer=draft.buyer,
        seller=order.seller,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="The colour is not the one in the photos.",
        status=Dispute.Status.WITHDRAWN,
        respond_by=opened + timedelta(hours=48),
        created_at=opened,
        resolved_at=withdrawn,
    )


def _dispute_events(draft: BulkDraft, now: datetime) -> list[OrderEvent]:
    opened, withdrawn = _case_dates(draft, now)
    common = {"order": draft.order, "actor_role": ActorRole.BUYER, "actor_user": draft.buyer}
    return [
        OrderEvent(
            type=DisputeEvent.OPENED,
            summary="Case opened: Item not as described.",
            created_at=opened,
            **common,
        ),
        OrderEvent(
            type=DisputeEvent.WITHDRAWN, summary="Case withdrawn.", created_at=withdrawn, **common
        ),
    ]
