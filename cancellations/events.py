"""
The cancellation events of the order timeline, in the seller's and staff's voice
(registered with ``orders.events``; the buyer reads the stored summary).
"""

from orders import events
from orders.events import Reader, amount, who
from orders.models import ActorRole, OrderEvent

from .models import Reason

Type = OrderEvent.Type


def _reason(event, key: str = "reason") -> str:
    try:
        return f" ({Reason(event.payload.get(key)).label})"
    except ValueError:
        return ""


def _items(event) -> str:
    """ "2 × Blue notebook", or "2 items" from events written before items were stored."""
    if items := event.payload.get("items"):
        return str(items)
    units = event.payload.get("units")
    return f"{units} item{'' if units == 1 else 's'}" if units else "items"


@events.renderer(Type.ITEMS_CANCELLED)
def items_cancelled(event, reader):
    if reader == Reader.BUYER:
        return None
    refund = amount(event, "refund")
    money = f" {refund} goes back to the buyer." if refund and refund != "$0.00" else ""
    if "request_reason" in event.payload:
        # An approved buyer request: the buyer's own reason, not the seller's code for it.
        if event.actor_role == ActorRole.SYSTEM:
            approved = "The buyer's cancellation request was approved automatically"
        else:
            approved = f"{who(event, reader)} approved the buyer's cancellation request"
        return f"{approved}: {_items(event)} cancelled{_reason(event, 'request_reason')}.{money}"
    return f"{who(event, reader)} cancelled {_items(event)}{_reason(event)}.{money}"


@events.renderer(Type.CANCELLATION_REQUESTED)
def requested(event, reader):
    if reader == Reader.BUYER:
        return None
    whom = "you" if reader == Reader.SELLER else "the seller"
    return f"The buyer asked {whom} to cancel {_items(event)}{_reason(event)}."


@events.renderer(Type.CANCELLATION_REQUEST_WITHDRAWN)
def withdrawn(event, reader):
    if reader == Reader.BUYER:
        return None
    return "The buyer withdrew their cancellation request."


@events.renderer(Type.CANCELLATION_REQUEST_DECLINED)
def declined(event, reader):
    if reader == Reader.BUYER:
        return None
    note = event.payload.get("note")
    said = f": “{note}”" if note else "."
    return f"{who(event, reader)} declined the buyer's cancellation request{said}"


@events.renderer(Type.CANCELLATION_REQUEST_AUTO_APPROVED)
def auto_approved(event, reader):
    if reader == Reader.BUYER:
        return None
    return (
        "The buyer's cancellation request was approved automatically: it was not answered in time."
    )


@events.renderer(Type.CANCELLATION_REQUEST_CLOSED)
def closed(event, reader):
    if reader == Reader.BUYER:
        return None
    return "The buyer's cancellation request was closed: some of the items had shipped."
