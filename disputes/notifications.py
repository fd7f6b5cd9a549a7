"""The case emails: one to each party on every change, through the outbox."""

from notifications.emails import queue_email

from .models import Dispute

TEMPLATE = "disputes/emails/case_update"


def notify_parties(dispute: Dispute, headline: str, *, note: str = "", to=("buyer", "seller")):
    """
    Queue the update for the buyer and/or the seller, in the caller's transaction.
    Rendered now (plain text, so a message's HTML arrives as the characters typed).
    """
    order = dispute.order
    addresses = {"buyer": order.buyer.email, "seller": order.seller.user.email}
    for role in to:
        queue_email(
            to=[addresses[role]],
            template=TEMPLATE,
            context={
                "dispute": dispute,
                "order": order,
                "recipient": role,
                "headline": headline,
                "note": note,
            },
        )
