"""
The order emails, each written for its reader and queued through the outbox in the
caller's transaction (sent only if the change they describe commits). The services and
jobs say what happened, one call per occasion; the context and the recipients are here.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from accounts.emails import queue_email_to
from notifications import outbox

from .models import ActorRole, Message, Order, OrderLine, Shipment


def order_placed(order: Order, lines: list[OrderLine]) -> None:
    """The buyer's confirmation and the seller's "ship these by", always sent together."""
    context = {
        "order": order,
        "lines": lines,
        "capture_at_checkout": settings.PAYMENT_CAPTURE == "checkout",
    }
    with outbox.batch():
        queue_email_to(order.buyer, template="orders/emails/order_placed", context=context)
        queue_email_to(
            order.seller.user,
            template="orders/emails/order_placed_seller",
            context=context,
        )


def payment_declined(order: Order, reason: str) -> None:
    """The buyer learns why the card was declined and how long they have to revise it."""
    queue_email_to(
        order.buyer,
        template="orders/emails/payment_declined",
        context={"order": order, "reason": reason, "days": settings.PAYMENT_REVISE_DAYS},
    )


def order_shipped(order: Order, shipment: Shipment, units: int) -> None:
    queue_email_to(
        order.buyer,
        template="orders/emails/order_shipped",
        context={"order": order, "shipment": shipment, "units": units},
    )


def new_message(order: Order, message: Message) -> None:
    """The other side of the conversation is told: the seller of a buyer's message, and back."""
    recipient = order.seller.user if message.author_role == ActorRole.BUYER else order.buyer
    queue_email_to(
        recipient,
        template="orders/emails/new_message",
        context={"order": order, "message": message},
    )


def order_late(order: Order, lines: Iterable[OrderLine], auto_cancel_at: datetime) -> None:
    """
    The delay notice to both parties: the units still to ship and the day they are
    cancelled automatically. Each email links to the order's own page (the buyer's has
    the Cancel items button), never to a page of an app above ``orders``.
    """
    context = {
        "order": order,
        "lines": [line for line in lines if line.quantity_open],
        "auto_cancel_at": auto_cancel_at,
    }
    queue_email_to(order.buyer, template="orders/emails/order_late", context=context)
    queue_email_to(
        order.seller.user,
        template="orders/emails/order_late_seller",
        context=context,
    )
