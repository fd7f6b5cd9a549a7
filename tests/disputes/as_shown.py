"""
Accept and decide as a person who has just loaded the page: the services take what
the page showed (the offer's version and refund, the order's money), and refuse a
stale one, so a test that means "they confirm what is there now" reads it first.
"""

from decimal import Decimal

from disputes import services
from disputes.models import Dispute
from disputes.selectors import MoneySeen, money_summary, offer_refund


def _case(dispute_id: int) -> Dispute:
    return Dispute.objects.select_related("order__payment").get(pk=dispute_id)


def offer_shown(dispute_id: int) -> dict:
    """The Accept form's fields as the case page renders them now."""
    case = _case(dispute_id)
    refund = offer_refund(case, money_summary(case.order))
    return {"offer_seen": case.offer_version, "refund_seen": refund or Decimal(0)}


def money_shown(dispute_id: int) -> MoneySeen:
    """The figures staff's confirmation page shows now."""
    return money_summary(_case(dispute_id).order).seen


def accept_offer(*, dispute_id: int, actor):
    return services.accept_offer(dispute_id=dispute_id, actor=actor, **offer_shown(dispute_id))


def resolve_for_buyer(*, dispute_id: int, **kwargs):
    return services.resolve_for_buyer(
        dispute_id=dispute_id, money_seen=money_shown(dispute_id), **kwargs
    )
