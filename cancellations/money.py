"""
What a cancellation does to the buyer's money, in the buyer's words: the review pages say
what will happen, the timeline and the email (written as the release is queued) say it is
under way, the page after the cancellation says where it stands (docs/DESIGN.md §7).
"""

from decimal import Decimal
from enum import StrEnum

from core import formatting
from payments import services as payments
from payments.models import Payment

from .models import Cancellation


class MoneyStep(StrEnum):
    """
    Where the money of a cancellation stands: before it (the review page), its release
    queued at the gateway (the outbox has yet to run it: the order page's payment box
    says "being released"), or its release done.
    """

    AHEAD = "ahead"
    UNDER_WAY = "under_way"
    DONE = "done"


RELEASE_WORDS = {
    # (a hold released, not a charge refunded) -> words per step
    True: {
        MoneyStep.AHEAD: "The {amount} hold on your {card} will be released; you are not "
        "charged for it.",
        MoneyStep.UNDER_WAY: "The {amount} hold on your {card} is being released; you are not "
        "charged for it.",
        MoneyStep.DONE: "The {amount} hold on your {card} was released; you are not charged "
        "for it.",
    },
    False: {
        MoneyStep.AHEAD: "{amount} will be refunded to your {card}; banks usually show it "
        "within 3–5 business days.",
        MoneyStep.UNDER_WAY: "{amount} is being refunded to your {card}; banks usually show it "
        "within 3–5 business days.",
        MoneyStep.DONE: "{amount} was refunded to your {card}; banks usually show it within "
        "3–5 business days.",
    },
}


class MoneyMove(StrEnum):
    """What cancelling an amount does to the buyer's money: each reader's words follow it."""

    NOTHING = "nothing"  # nothing was charged for it
    UNCHARGED = "uncharged"  # the payment never went through
    HOLD = "hold"  # the hold on the card is released
    REFUND = "refund"  # captured money is refunded


def money_move(payment: Payment, amount: Decimal) -> MoneyMove:
    if amount <= 0:
        return MoneyMove.NOTHING
    if not payment.is_authorized:
        return MoneyMove.UNCHARGED
    return MoneyMove.HOLD if payment.amount_open >= amount else MoneyMove.REFUND


def money_outcome(
    payment: Payment,
    amount: Decimal,
    *,
    step: MoneyStep = MoneyStep.AHEAD,
    hold: bool | None = None,
) -> str:
    """
    What happens to the money, in the buyer's words, at ``step`` (``money_outcome_now``
    for the page after the cancellation). ``hold``: whether a hold is released rather
    than a charge refunded (by default, whether the payment still holds that much).
    """
    move = money_move(payment, amount)
    if move == MoneyMove.NOTHING:
        return "Nothing was charged for these items."
    card = f"card ending {payment.card_last4}" if payment.card_last4 else "card"
    if move == MoneyMove.UNCHARGED:
        return f"You have not been charged; nothing will be taken from your {card}."
    if hold is None:
        hold = move == MoneyMove.HOLD
    return RELEASE_WORDS[hold][step].format(amount=formatting.money(amount), card=card)


def money_outcome_now(cancellation: Cancellation) -> str:
    """
    ``money_outcome`` as the cancellation's release stands now, in the same words as
    the order page's payment box: "being released" until the gateway has settled every
    money row it queued, "released" after.
    """
    key = release_key(cancellation)
    rows = payments.release_rows(idempotency_keys=[key])[key]
    done = bool(rows) and all(row.status == row.Status.SUCCEEDED for row in rows)
    hold = all(row.kind == row.Kind.VOID for row in rows) if rows else None
    return money_outcome(
        cancellation.order.payment,
        cancellation.refund_amount,
        step=MoneyStep.DONE if done else MoneyStep.UNDER_WAY,
        hold=hold,
    )


def release_key(cancellation: Cancellation) -> str:
    """The idempotency key of the cancellation's release (its void and refund rows)."""
    return f"cancellation:{cancellation.pk}"
