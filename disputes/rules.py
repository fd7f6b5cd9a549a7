"""
When a buyer may open a case, and when they may ask marketplace staff to step in
(docs/DESIGN.md §9, following eBay's Money Back Guarantee and
Amazon's A-to-z Guarantee). Pure functions of facts (``selectors.opening_facts``) and
of a case's own fields, so the page that offers a choice and the service that acts
under the order's lock ask the very same question. Each "why not" is a sentence for
the buyer, or None when the rule says yes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core import pagecache
from core.formatting import format_day, format_when, money
from orders.models import ActorRole

from .models import Dispute

Reason, Status = Dispute.Reason, Dispute.Status

# A case decided by staff or settled by the buyer accepting the seller's offer is final
# for its order and reason. A withdrawn case is not: the buyer may open it again.
FINAL_STATES = frozenset(
    {Status.RESOLVED_FOR_BUYER, Status.RESOLVED_FOR_SELLER, Status.RESOLVED_BY_AGREEMENT}
)


@dataclass(frozen=True)
class Release:
    """Money the order's payment was asked to give back (a void or a refund)."""

    amount: Decimal
    asked_at: datetime
    return_id: int | None = None  # the return whose refund this is (key ``return:<id>``)


@dataclass(frozen=True)
class OpeningFacts:
    """What the opening rules need to know about one order, read in one place."""

    paid: bool
    has_open_case: bool
    shipped_units: int
    deliver_by: datetime
    cancellation_declined: bool
    releases: tuple[Release, ...] = ()
    # Reason → status of the order's decided or agreed case for that reason.
    final_outcomes: Mapping[str, str] = field(default_factory=dict)
    # The returns the seller closed (refused), oldest first, by pk.
    refused_returns: tuple[int, ...] = ()


def has_passed(moment: datetime, now: datetime) -> bool:
    """A deadline has passed once ``now`` is after it: at the instant itself it is still on."""
    pagecache.expires(moment)  # a page showing the answer changes then
    return now > moment


def refund_due_by(release: Release) -> datetime:
    """When money given back should be on the buyer's card: REFUND_SETTLEMENT_DAYS after."""
    return release.asked_at + timedelta(days=settings.REFUND_SETTLEMENT_DAYS)


def why_no_case(facts: OpeningFacts) -> str | None:
    """Why no case at all may be opened on the order now, or None."""
    if not facts.paid:
        return "Nothing was paid for this order, so there is nothing to dispute."
    if facts.has_open_case:
        return "This order already has an open case."
    return None


def why_not(reason: str, facts: OpeningFacts, now: datetime | None = None) -> str | None:
    """Why a case for ``reason`` may not be opened on the order now, or None when it may."""
    now = now or timezone.now()
    if reason not in Reason.values:
        return "Choose a reason from the list."
    if refusal := why_no_case(facts):
        return refusal
    if final := facts.final_outcomes.get(reason):
        if final == Status.RESOLVED_BY_AGREEMENT:
            return (
                "You and the seller settled an earlier case about this on this order, "
                "and that agreement is final."
            )
        return (
            "Marketplace staff decided an earlier case about this on this order, "
            "and their decision is final."
        )
    return _REASON_RULES[Reason(reason)](facts, now)


def _cancellation_declined(facts: OpeningFacts, now: datetime) -> str | None:
    if not facts.cancellation_declined:
        return "The seller has not declined a cancellation request on this order."
    return None


def _item_not_received(facts: OpeningFacts, now: datetime) -> str | None:
    if not facts.shipped_units:
        return "Nothing from this order has shipped yet."
    if not has_passed(facts.deliver_by, now):
        return (
            f"It may still arrive: it is due by {format_when(facts.deliver_by)}. "
            "If it has not arrived by then, you can open a case."
        )
    return None


def _not_as_described(facts: OpeningFacts, now: datetime) -> str | None:
    if not facts.shipped_units:
        return "Nothing from this order has shipped yet, so there is nothing to compare."
    return None


def _return_refused(facts: OpeningFacts, now: datetime) -> str | None:
    if not facts.refused_returns:
        return "The seller has not refused a return on this order."
    return None


def _refund_not_received(facts: OpeningFacts, now: datetime) -> str | None:
    if not facts.releases:
        return "No money has been returned on this order, so there is no refund to wait for."
    if any(has_passed(refund_due_by(release), now) for release in facts.releases):
        return None
    first = min(facts.releases, key=lambda release: release.asked_at)
    return (
        f"A refund can take up to {settings.REFUND_SETTLEMENT_DAYS} days to reach your card. "
        f"The refund of {money(first.amount)} issued on {format_day(first.asked_at)} should "
        f"reach it by {format_when(refund_due_by(first))}; if it has not by then, you can "
        "open a case."
    )


_REASON_RULES = {
    Reason.CANCELLATION_DECLINED: _cancellation_declined,
    Reason.REFUND_NOT_RECEIVED: _refund_not_received,
    Reason.ITEM_NOT_RECEIVED: _item_not_received,
    Reason.NOT_AS_DESCRIBED: _not_as_described,
    Reason.RETURN_REFUSED: _return_refused,
}


def about_return(reason: str, facts: OpeningFacts, now: datetime | None = None) -> int | None:
    """
    The return a case for ``reason`` is about, when there is one: the latest return the
    seller refused, or the latest return refund overdue on the buyer's card. A case
    about the order as a whole (or a refund of a cancellation) is about none.
    """
    now = now or timezone.now()
    if reason == Reason.RETURN_REFUSED and facts.refused_returns:
        return facts.refused_returns[-1]
    if reason == Reason.REFUND_NOT_RECEIVED:
        overdue = [
            release.return_id
            for release in facts.releases
            if release.return_id is not None and has_passed(refund_due_by(release), now)
        ]
        return overdue[-1] if overdue else None
    return None


@dataclass(frozen=True)
class ReasonsNow:
    """What the open page offers: the reasons that apply, and why the others do not."""

    offered: list[str]
    not_offered: list[tuple[Dispute.Reason, str]]  # (reason, why), in the list's order
    why_no_case: str | None  # set when no reason may be opened at all, for one cause


def reasons_now(facts: OpeningFacts, now: datetime | None = None) -> ReasonsNow:
    """Every reason sorted by whether it may be opened now (one instant for all of them)."""
    now = now or timezone.now()
    why = {reason: why_not(reason, facts, now) for reason in Reason.values}
    return ReasonsNow(
        offered=[reason for reason in Reason.values if why[reason] is None],
        not_offered=[(Reason(reason), text) for reason, text in why.items() if text],
        why_no_case=why_no_case(facts),
    )


# --- Asking staff to step in ------------------------------------------------------------------
def buyer_may_escalate_from(case: Dispute) -> datetime | None:
    """
    While the seller has not answered (the case is still "open": their first message or
    offer moves it on), the end of their window to respond: after it the buyer may ask
    staff (and the beat job soon escalates the case itself). None once they answered.
    """
    if case.status == Status.OPEN:
        return case.respond_by
    return None


def why_not_escalate(case: Dispute, role: ActorRole, now: datetime | None = None) -> str | None:
    """
    Why ``role`` (the buyer or the seller) may not ask staff to decide now, or None.
    The seller may at any time the case is with the parties; the buyer once the seller
    has answered or the seller's window to respond has closed (eBay and Amazon give the
    seller the first word).
    """
    now = now or timezone.now()
    if not case.is_active:
        return f"This case is closed: {case.get_status_display().lower()}."
    if case.status == Status.UNDER_REVIEW:
        return "Marketplace staff are already reviewing this case."
    if role == ActorRole.BUYER:
        opens_at = buyer_may_escalate_from(case)
        if opens_at is not None and not has_passed(opens_at, now):
            return (
                f"The seller has until {format_when(opens_at)} to respond. You can ask "
                "marketplace staff to decide once they answer, or after that time if they do not."
            )
    return None
