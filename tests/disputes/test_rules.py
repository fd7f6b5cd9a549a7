"""
disputes.rules: when a buyer may open a case for each reason, and when either party may
ask staff to step in. Pure functions of facts, tested at their boundary instants.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from disputes import rules
from disputes.models import Dispute
from disputes.rules import OpeningFacts, Release

Reason, Status = Dispute.Reason, Dispute.Status

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INSTANT = timedelta(microseconds=1)

# A paid order with nothing shipped, due to arrive in a week, nothing given back.
FRESH = OpeningFacts(
    paid=True,
    has_open_case=False,
    shipped_units=0,
    deliver_by=NOW + timedelta(days=7),
    cancellation_declined=False,
)
# Shipped and past its arrive-by date.
SHIPPED_LATE = replace(FRESH, shipped_units=1, deliver_by=NOW - timedelta(days=1))


def allowed(reason, facts, now=NOW) -> bool:
    return rules.why_not(reason, facts, now) is None


# --- Opening a case -----------------------------------------------------------------------------
def test_nothing_opens_on_an_order_placed_seconds_ago():
    """The repro: nothing shipped, nothing declined, nothing refunded: no reason applies."""
    reasons = rules.reasons_now(FRESH, NOW)

    assert reasons.offered == []
    assert dict(reasons.not_offered) == {
        Reason.CANCELLATION_DECLINED: "The seller has not declined a cancellation request on "
        "this order.",
        Reason.REFUND_NOT_RECEIVED: "No money has been returned on this order, so there is no "
        "refund to wait for.",
        Reason.ITEM_NOT_RECEIVED: "Nothing from this order has shipped yet.",
        Reason.NOT_AS_DESCRIBED: "Nothing from this order has shipped yet, so there is nothing "
        "to compare.",
        Reason.RETURN_REFUSED: "The seller has not refused a return on this order.",
    }
    assert reasons.why_no_case is None


@pytest.mark.parametrize("reason", Reason.values)
def test_an_unpaid_order_or_one_with_an_open_case_opens_nothing(reason):
    unpaid = replace(SHIPPED_LATE, paid=False)
    busy = replace(SHIPPED_LATE, has_open_case=True)

    assert rules.why_not(reason, unpaid, NOW) == (
        "Nothing was paid for this order, so there is nothing to dispute."
    )
    assert rules.why_not(reason, busy, NOW) == "This order already has an open case."
    assert rules.reasons_now(busy, NOW).why_no_case == "This order already has an open case."


def test_not_as_described_needs_a_shipped_item_only():
    """Once one unit shipped it may open at once: the buyer may have it in hand."""
    shipped_now = replace(FRESH, shipped_units=1)

    assert not allowed(Reason.NOT_AS_DESCRIBED, FRESH)
    assert allowed(Reason.NOT_AS_DESCRIBED, shipped_now)


def test_item_not_received_needs_a_shipped_item_and_the_arrive_by_date_passed():
    """Refused while nothing shipped (even late), and at the arrive-by instant itself."""
    deliver_by = NOW - timedelta(days=2)
    shipped = replace(FRESH, shipped_units=1, deliver_by=deliver_by)

    assert rules.why_not(Reason.ITEM_NOT_RECEIVED, replace(shipped, shipped_units=0), NOW) == (
        "Nothing from this order has shipped yet."
    )
    at_the_date = rules.why_not(Reason.ITEM_NOT_RECEIVED, shipped, deliver_by)
    assert at_the_date.startswith("It may still arrive: it is due by Dec 1, 2026, 12:00 PM UTC.")
    assert allowed(Reason.ITEM_NOT_RECEIVED, shipped, deliver_by + INSTANT)


def test_refund_not_received_needs_a_release_that_is_due(settings):
    """A refund or released hold is due REFUND_SETTLEMENT_DAYS after it was issued."""
    settings.REFUND_SETTLEMENT_DAYS = 10
    issued = NOW - timedelta(days=3)
    facts = replace(SHIPPED_LATE, releases=(Release(Decimal("12.50"), issued),))
    due = issued + timedelta(days=10)

    assert rules.why_not(Reason.REFUND_NOT_RECEIVED, facts, due) == (
        "A refund can take up to 10 days to reach your card. The refund of $12.50 issued on "
        "Nov 30, 2026 should reach it by Dec 10, 2026, 12:00 PM UTC; if it has not by then, "
        "you can open a case."
    )
    assert allowed(Reason.REFUND_NOT_RECEIVED, facts, due + INSTANT)
    settings.REFUND_SETTLEMENT_DAYS = 3  # read when asked, so an override applies
    assert allowed(Reason.REFUND_NOT_RECEIVED, facts, NOW + INSTANT)


def test_one_due_release_is_enough():
    """An older refund is overdue, a newer one is not: the buyer may open the case."""
    facts = replace(
        FRESH,
        releases=(
            Release(Decimal("5.00"), NOW - timedelta(days=30)),
            Release(Decimal("7.00"), NOW - timedelta(hours=1)),
        ),
    )
    assert allowed(Reason.REFUND_NOT_RECEIVED, facts)


def test_cancellation_declined_needs_a_declined_request():
    assert not allowed(Reason.CANCELLATION_DECLINED, FRESH)
    assert allowed(Reason.CANCELLATION_DECLINED, replace(FRESH, cancellation_declined=True))


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (Status.RESOLVED_FOR_BUYER, "Marketplace staff decided an earlier case"),
        (Status.RESOLVED_FOR_SELLER, "Marketplace staff decided an earlier case"),
        (Status.RESOLVED_BY_AGREEMENT, "You and the seller settled an earlier case"),
    ],
)
def test_a_decided_or_agreed_case_is_final_for_its_reason_only(outcome, words):
    """The repro: reopening at once after a decision or an agreement, for the same reason."""
    facts = replace(SHIPPED_LATE, final_outcomes={Reason.NOT_AS_DESCRIBED: outcome})

    refusal = rules.why_not(Reason.NOT_AS_DESCRIBED, facts, NOW)

    assert refusal.startswith(words) and refusal.endswith("is final.")
    assert allowed(Reason.ITEM_NOT_RECEIVED, facts)  # another reason still may


def test_unknown_reasons_are_refused():
    assert rules.why_not("made_up", SHIPPED_LATE, NOW) == "Choose a reason from the list."


def test_the_reasons_on_offer_keep_the_lists_order():
    facts = replace(SHIPPED_LATE, cancellation_declined=True)

    reasons = rules.reasons_now(facts, NOW)

    assert reasons.offered == [
        Reason.CANCELLATION_DECLINED,
        Reason.ITEM_NOT_RECEIVED,
        Reason.NOT_AS_DESCRIBED,
    ]
    assert [reason for reason, _why in reasons.not_offered] == [
        Reason.REFUND_NOT_RECEIVED,
        Reason.RETURN_REFUSED,
    ]


# --- Asking staff to step in -------------------------------------------------------------------
def case(status=Status.OPEN, respond_by=NOW + timedelta(hours=48)) -> Dispute:
    return Dispute(status=status, respond_by=respond_by)


def test_the_buyer_waits_for_the_sellers_answer_or_the_end_of_their_window():
    """Before the window closes (and at its last instant) no; just after it, yes."""
    new = case(respond_by=NOW)

    assert rules.buyer_may_escalate_from(new) == NOW
    assert rules.why_not_escalate(new, "buyer", NOW) == (
        "The seller has until Dec 3, 2026, 12:00 PM UTC to respond. You can ask marketplace "
        "staff to decide once they answer, or after that time if they do not."
    )
    assert rules.why_not_escalate(new, "buyer", NOW + INSTANT) is None


def test_the_buyer_escalates_at_once_after_the_sellers_answer():
    answered = case(Status.SELLER_RESPONDED)

    assert rules.buyer_may_escalate_from(answered) is None
    assert rules.why_not_escalate(answered, "buyer", NOW) is None


@pytest.mark.parametrize("status", [Status.OPEN, Status.SELLER_RESPONDED])
def test_the_seller_escalates_at_any_time_the_case_is_with_the_parties(status):
    assert rules.why_not_escalate(case(status), "seller", NOW) is None


@pytest.mark.parametrize("role", ["buyer", "seller"])
def test_nobody_escalates_a_case_under_review_or_closed(role):
    assert rules.why_not_escalate(case(Status.UNDER_REVIEW), role, NOW) == (
        "Marketplace staff are already reviewing this case."
    )
    assert rules.why_not_escalate(case(Status.WITHDRAWN), role, NOW) == (
        "This case is closed: withdrawn."
    )


# --- Cases about returns ------------------------------------------------------------------------
def test_a_return_refused_case_needs_a_refused_return_and_is_about_the_latest():
    refused = replace(SHIPPED_LATE, refused_returns=(4, 9))

    assert not allowed(Reason.RETURN_REFUSED, SHIPPED_LATE)
    assert allowed(Reason.RETURN_REFUSED, refused)
    assert rules.about_return(Reason.RETURN_REFUSED, refused, NOW) == 9
    assert rules.about_return(Reason.NOT_AS_DESCRIBED, refused, NOW) is None


def test_a_refund_not_received_case_is_about_the_return_whose_refund_is_overdue(settings):
    """A cancellation's refund is about no return; a return's is, once it is overdue."""
    due = timedelta(days=settings.REFUND_SETTLEMENT_DAYS)
    cancellation = Release(amount=Decimal(5), asked_at=NOW - due - INSTANT)
    on_time = Release(amount=Decimal(5), asked_at=NOW - due, return_id=3)
    late = Release(amount=Decimal(5), asked_at=NOW - due - INSTANT, return_id=7)

    assert (
        rules.about_return(
            Reason.REFUND_NOT_RECEIVED, replace(FRESH, releases=(cancellation,)), NOW
        )
        is None
    )
    assert (
        rules.about_return(Reason.REFUND_NOT_RECEIVED, replace(FRESH, releases=(on_time,)), NOW)
        is None
    )
    assert (
        rules.about_return(
            Reason.REFUND_NOT_RECEIVED, replace(FRESH, releases=(late, on_time)), NOW
        )
        == 7
    )
