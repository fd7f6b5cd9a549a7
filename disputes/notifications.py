"""
The case emails, each written for its reader: on every change the buyer and the seller
get their own subject and headline ("You opened a case…" to the buyer, "The buyer
opened a case…" to the seller), queued through the outbox in the caller's transaction.
The services say what happened; the words are here.
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts.emails import queue_email_to
from core.formatting import money
from orders.models import ActorRole

from . import events
from .models import Dispute

TEMPLATE = "disputes/emails/case_update"

BUYER, SELLER = ActorRole.BUYER, ActorRole.SELLER


@dataclass(frozen=True)
class Words:
    """What one reader is told: the subject (after "Case 7, order …: ") and the headline."""

    subject: str
    headline: str


# The case's state as each reader names it: "Waiting for your answer" to the seller.
STATUS_WORDS = {
    Dispute.Status.OPEN: {
        BUYER: "Waiting for the seller's answer",
        SELLER: "Waiting for your answer",
    },
    Dispute.Status.SELLER_RESPONDED: {BUYER: "The seller responded", SELLER: "You responded"},
    Dispute.Status.UNDER_REVIEW: {
        BUYER: "Under review by marketplace staff",
        SELLER: "Under review by marketplace staff",
    },
    Dispute.Status.RESOLVED_FOR_BUYER: {BUYER: "Decided for you", SELLER: "Decided for the buyer"},
    Dispute.Status.RESOLVED_FOR_SELLER: {
        BUYER: "Decided for the seller",
        SELLER: "Decided for you",
    },
    Dispute.Status.RESOLVED_BY_AGREEMENT: {
        BUYER: "Resolved by agreement",
        SELLER: "Resolved by agreement",
    },
    Dispute.Status.WITHDRAWN: {BUYER: "Withdrawn by you", SELLER: "Withdrawn by the buyer"},
}


# Whose answer the case waits for, by its state (staff asking a party says so itself).
WAITS_ON = {Dispute.Status.OPEN: SELLER, Dispute.Status.SELLER_RESPONDED: BUYER}


def _send(
    dispute: Dispute, *, note: str = "", asks: ActorRole | None = None, **words: Words
) -> None:
    """Queue each reader's email (``buyer=Words(...)``, ``seller=Words(...)``)."""
    _send_each(
        dispute, {ActorRole(role): said for role, said in words.items()}, note=note, asks=asks
    )


def _send_each(
    dispute: Dispute,
    words: dict[ActorRole, Words],
    *,
    note: str = "",
    asks: ActorRole | None = None,
) -> None:
    """
    Queue each reader's email, in the order given. The party the case waits for
    (``asks``, else by its state) is asked to answer; the other is shown it.
    """
    waits_on = asks or WAITS_ON.get(dispute.status)
    order = dispute.order
    recipients = {
        BUYER: (order.buyer, order.buyer.first_name or order.buyer.username),
        SELLER: (order.seller.user, order.seller.store_name),
    }
    for role, said in words.items():
        person, name = recipients[role]
        queue_email_to(
            person,
            template=TEMPLATE,
            context={
                "dispute": dispute,
                "order": order,
                "recipient": role,
                "name": name,
                "subject": said.subject,
                "headline": said.headline,
                "status": STATUS_WORDS[dispute.status][role],
                "note": note,
                "answer": role == waits_on,
            },
        )


def opened(dispute: Dispute) -> None:
    reason = dispute.get_reason_display()
    number = dispute.order.number
    _send(
        dispute,
        note=dispute.description,
        buyer=Words(
            "You opened a case",
            f"You opened a case about order {number}: {reason}. You wrote:",
        ),
        seller=Words(
            "The buyer opened a case",
            f"The buyer opened a case about order {number}: {reason}. They wrote:",
        ),
    )


def message_posted(dispute: Dispute, *, role: ActorRole, body: str) -> None:
    """A message in the case, to the parties who did not write it."""
    if role == BUYER:
        said = Words("The buyer responded", "The buyer wrote:")
        _send(dispute, note=body, asks=SELLER, seller=said)
    elif role == SELLER:
        said = Words("The seller responded", "The seller wrote:")
        _send(dispute, note=body, asks=BUYER, buyer=said)
    else:
        said = Words("Marketplace staff wrote", "Marketplace staff wrote in the case:")
        _send(dispute, note=body, buyer=said, seller=said)


def offer_made(dispute: Dispute, *, message: str) -> None:
    offer = events.offer_words(dispute)
    _send(
        dispute,
        note=message,
        buyer=Words(
            f"The seller offered {offer}",
            f"The seller offered you {offer}. You can accept it in the case.",
        ),
        seller=Words(
            f"You offered {offer}",
            f"You offered the buyer {offer}. We will email you if the buyer accepts it.",
        ),
    )


def offer_accepted(dispute: Dispute, *, refund: Decimal) -> None:
    _send(
        dispute,
        buyer=Words(
            "You accepted the seller's offer",
            f"You accepted the seller's offer: {money(refund)} is refunded to your card. "
            "The case is resolved.",
        ),
        seller=Words(
            "The buyer accepted your offer",
            f"The buyer accepted your offer: {money(refund)} is refunded to the buyer. "
            "The case is resolved.",
        ),
    )


def withdrawn(dispute: Dispute) -> None:
    _send(
        dispute,
        buyer=Words("You withdrew the case", "You withdrew the case. Nothing more needs doing."),
        seller=Words(
            "The buyer withdrew the case", "The buyer withdrew the case. Nothing more needs doing."
        ),
    )


def escalated(dispute: Dispute, *, by: ActorRole) -> None:
    """The buyer or the seller asked staff to decide."""
    other = SELLER if by == BUYER else BUYER
    then = "We usually decide within two business days."
    _send_each(
        dispute,
        {
            by: Words(
                "You asked marketplace staff to review the case",
                f"You asked marketplace staff to review the case. {then}",
            ),
            other: Words(
                f"The {by} asked marketplace staff to review the case",
                f"The {by} asked marketplace staff to review the case. {then}",
            ),
        },
    )


def escalated_unresponsive(dispute: Dispute) -> None:
    _send(
        dispute,
        buyer=Words(
            "Marketplace staff will review the case",
            "The seller did not respond in time, so marketplace staff will review the case.",
        ),
        seller=Words(
            "You did not respond in time",
            "You did not respond to the case in time, so marketplace staff will review it.",
        ),
    )


def information_requested(dispute: Dispute, *, question: str) -> None:
    _send(
        dispute,
        note=question,
        asks=SELLER,
        buyer=Words(
            "Marketplace staff asked the seller for information",
            "Marketplace staff asked the seller for more information:",
        ),
        seller=Words(
            "Marketplace staff need information from you",
            "Marketplace staff ask you for more information:",
        ),
    )


def resolved_for_buyer(dispute: Dispute, *, note: str) -> None:
    refund = dispute.refund_amount
    _send(
        dispute,
        note=note,
        buyer=Words(
            "Decided for you",
            f"Marketplace staff decided the case for you: {money(refund)} is returned to you. "
            "Their note:",
        ),
        seller=Words(
            "Decided for the buyer",
            f"Marketplace staff decided the case for the buyer: {money(refund)} is returned "
            "to the buyer. A case decided for the buyer counts toward your order defect rate. "
            "Their note:",
        ),
    )


def resolved_for_seller(dispute: Dispute, *, note: str) -> None:
    _send(
        dispute,
        note=note,
        buyer=Words(
            "Decided for the seller",
            "Marketplace staff decided the case for the seller: nothing is refunded. Their note:",
        ),
        seller=Words(
            "Decided for you",
            "Marketplace staff decided the case for you: nothing is refunded. Their note:",
        ),
    )
