"""
Account health's return figures and insights (sellercentral/health/returns.py), from
real returns made through the services, against hand-computed counts.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import Dispute
from orders.actors import Actor
from orders.services import mark_delivered
from returns import services
from returns.models import CloseReason, ItemCondition, ReturnRequest
from sellercentral import health
from sellercentral.health import insights, metrics
from sellercentral.health.returns import (
    CHECK,
    listings_returned_most,
    return_metrics,
    returns_by_reason,
)
from tests.factories import shipped_order

pytestmark = pytest.mark.django_db

ADDRESS = {"return_line1": "1 Return Road", "return_city": "Springfield", "return_postcode": "1"}


@pytest.fixture(autouse=True)
def store_address(seller):
    for name, value in ADDRESS.items():
        setattr(seller, name, value)
    seller.save()


def ask(order, buyer, *, reason="defective", opened=False, note="x"):
    return services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=reason,
        note=note,
        opened=opened,
        actor=Actor.buyer(buyer),
    )


def seller_closes(item, seller):
    return services.close_return(
        return_id=item.pk,
        reason=CloseReason.OUTSIDE_WINDOW,
        note="Too late.",
        actor=Actor.seller(seller.user),
    )


def seller_authorizes(item, seller):
    return services.authorize_return(return_id=item.pk, actor=Actor.seller(seller.user))


def shift(item, **fields):
    """Set timestamps as if the steps had happened then (the services stamp now)."""
    ReturnRequest.objects.filter(pk=item.pk).update(**fields)


def case(item, status, *, created_at):
    """A case about the return ``item`` (or, for one not closed, about its order)."""
    return Dispute.objects.create(
        order=item.order,
        buyer=item.order.buyer,
        seller=item.order.seller,
        return_request=item if item.close_reason else None,
        reason=Dispute.Reason.RETURN_REFUSED
        if item.close_reason
        else Dispute.Reason.NOT_AS_DESCRIBED,
        description="Refused.",
        respond_by=created_at,
        status=status,
        created_at=created_at,
    )


def metric(seller, name):
    return {m.name: m for m in return_metrics(seller, timezone.now())}[name]


LATE = "Return requests answered late"
DISSATISFACTION = "Return dissatisfaction rate"


# --- Answered late ------------------------------------------------------------------------------
def test_returns_answered_late_over_the_requests_due_an_answer(delivered, buyer, seller, seller2):
    """
    Due an answer: one authorized in time, one authorized after its 48 hours, one the
    system authorized, one closed after its 48 hours, one still unanswered past them (5;
    4 late). Not due: one in its 48 hours, one withdrawn before an answer, a returnless
    refund, one from 61 days ago and another seller's.
    """
    now = timezone.now()
    seller_authorizes(ask(delivered(), buyer), seller)
    late = seller_authorizes(ask(delivered(), buyer), seller)
    shift(late, authorized_at=late.respond_by + timedelta(hours=1))
    by_system = ask(delivered(), buyer)
    services.authorize_return(return_id=by_system.pk, actor=Actor.system())
    closed_late = seller_closes(ask(delivered(), buyer), seller)
    shift(closed_late, closed_at=closed_late.respond_by + timedelta(minutes=1))
    unanswered = ask(delivered(), buyer)
    shift(unanswered, respond_by=now - timedelta(minutes=1))
    ask(delivered(), buyer)  # in its 48 hours
    withdrawn = ask(delivered(), buyer)
    services.withdraw_return(return_id=withdrawn.pk, actor=Actor.buyer(buyer))
    old = seller_authorizes(ask(delivered(), buyer), seller)
    shift(old, requested_at=now - timedelta(days=61), authorized_at=now + timedelta(days=9))
    other = shipped_order(buyer=buyer, seller=seller2, quantity=1)
    mark_delivered(order_id=other.pk, actor=Actor.system())
    shift(ask(other, buyer), respond_by=now - timedelta(minutes=1))
    seller.returnless_refund_under = Decimal("20.00")
    seller.save()
    assert ask(delivered(), buyer).returnless

    late_metric = metric(seller, LATE)

    assert (late_metric.numerator, late_metric.denominator) == (4, 5)
    assert late_metric.rate == Decimal("80.0")
    assert late_metric.status == metrics.Status.RED
    assert late_metric.counts == (
        "4 of 5 return requests answered after 48 hours; "
        "1 more waiting for your answer, not late yet"
    )


def test_no_returns_is_no_data_not_a_perfect_score(seller):
    late, dissatisfaction = return_metrics(seller, timezone.now())
    assert late.rate is None and late.status == metrics.Status.NONE
    assert dissatisfaction.rate is None
    assert (
        dissatisfaction.counts
        == "0 of 0 returns closed by you and then decided for the buyer in a case"
    )


# --- Return dissatisfaction -------------------------------------------------------------------
def test_dissatisfaction_counts_closed_returns_then_decided_for_the_buyer(delivered, buyer, seller):
    """
    Of 5 returns, one the seller closed was then decided for the buyer in a case about it
    (1 of 5). Not counted: a closed one decided for the seller, a closed one without a
    case, an authorized one whose order's case went the buyer's way, and a closed one whose
    order had another case, decided for the buyer before the return was closed.
    """
    later = timezone.now() + timedelta(minutes=1)
    won = seller_closes(ask(delivered(), buyer), seller)
    case(won, Dispute.Status.RESOLVED_FOR_BUYER, created_at=later)
    lost = seller_closes(ask(delivered(), buyer), seller)
    case(lost, Dispute.Status.RESOLVED_FOR_SELLER, created_at=later)
    seller_closes(ask(delivered(), buyer), seller)
    accepted = seller_authorizes(ask(delivered(), buyer), seller)
    case(accepted, Dispute.Status.RESOLVED_FOR_BUYER, created_at=later)
    earlier = ask(delivered(), buyer)
    case(earlier, Dispute.Status.RESOLVED_FOR_BUYER, created_at=timezone.now() - timedelta(days=1))
    seller_closes(earlier, seller)  # that case was about the order, not this return

    rate = metric(seller, DISSATISFACTION)

    assert (rate.numerator, rate.denominator) == (1, 5)
    assert rate.rate == Decimal("20.0")
    assert rate.status == metrics.Status.RED
    assert rate.target_label == "under 10 %"


# --- Insights -----------------------------------------------------------------------------------
def test_returns_by_reason_and_the_listings_returned_most(
    delivered, buyer, seller, django_capture_on_commit_callbacks
):
    """
    Two defective returns of the lamp (one refunded in full), one "not as described" of
    the pen: by reason with what was refunded, and the lamp first among the listings.
    """
    lamp = delivered(title="Lamp", quantity=2)
    pen = delivered(title="Pen", price=Decimal("4.00"))
    refunded = seller_authorizes(ask(lamp, buyer), seller)
    services.add_tracking(
        return_id=refunded.pk, carrier="UPS", tracking_number="1Z", actor=Actor.buyer(buyer)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_return(
            return_id=refunded.pk,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal("0"),
            actor=Actor.seller(seller.user),
        )
    ask(lamp, buyer)
    ask(pen, buyer, reason="not_as_described", note="Blue, not black.")
    since = timezone.now() - timedelta(weeks=12)

    reasons = returns_by_reason(seller, since)
    listings = listings_returned_most(seller, since)

    assert [(r.label, r.returns, r.refunded, r.action) for r in reasons] == [
        ("Defective or does not work", 2, Decimal("12.50"), CHECK),
        ("Not as described", 1, Decimal("0.00"), insights.DESCRIBE),
    ]
    assert [(row.title, row.returns, row.units, row.main_reason) for row in listings] == [
        ("Lamp", 2, 2, "Defective or does not work"),
        ("Pen", 1, 1, "Not as described"),
    ]
    assert not listings[0].fixed_on_listing and listings[1].fixed_on_listing


def test_home_page_shows_the_return_figures_and_links_the_description_fix(
    signed_in, delivered, buyer, seller
):
    """Both return metrics show; "Not as described" links to the listing's edit page."""
    order = delivered(title="Pen")
    ask(order, buyer, reason="not_as_described", note="Blue, not black.")
    listing_id = order.lines.get().listing_id

    html = signed_in.get(reverse("sellercentral:home")).content.decode()

    assert LATE in html and DISSATISFACTION in html
    assert "0 of 1 returns closed by you" in html
    edit = reverse("catalog:listing_edit", args=[listing_id])
    assert f'<a href="{edit}" data-testid="fix-returned-listing">{insights.DESCRIBE}</a>' in html
    assert 'data-testid="return-reason-row"' in html


def test_a_step_of_a_return_changes_what_the_figures_were_computed_from(delivered, buyer, seller):
    """The home page's cached figures are recomputed after a return is answered."""
    item = ask(delivered(), buyer)
    before = health.health_version(seller)

    seller_authorizes(item, seller)

    assert health.health_version(seller) != before
