"""
Cases about returns: a return the seller refused may become a "Return refused" case, and
a case about a refund that did not arrive names the return it was for; staff decide it as
any case, and its refund shares the payment's bound with the return's refund.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from disputes import services
from disputes.models import Dispute
from disputes.selectors import money_summary
from orders.actors import Actor
from orders.models import Order
from orders.services import mark_delivered
from payments.models import PaymentTransaction
from returns import services as returns
from returns.models import CloseReason, ItemCondition, ReturnReason

pytestmark = pytest.mark.django_db

Reason = Dispute.Reason


@pytest.fixture
def returned(buyer, seller, place, ship, run_outbox):
    """``returned(units)``: a delivered $25.00 order of two units, ``units`` asked back."""
    seller.return_line1, seller.return_city = "1 Return Road", "Springfield"
    seller.save()

    def ask(units=1):
        order = ship(place())
        mark_delivered(order_id=order.pk, actor=Actor.system())
        return run_outbox(
            returns.request_return,
            order_id=order.pk,
            quantities={order.lines.get().pk: units},
            reason=ReturnReason.NO_LONGER_NEEDED,
            note="",
            opened=False,
            actor=Actor.buyer(buyer),
        )

    return ask


def open_case(order, reason, buyer):
    return services.open_dispute(
        order_id=order.pk, reason=reason, description="Please look.", actor=Actor.buyer(buyer)
    )


def test_a_refused_return_opens_a_return_refused_case_about_it(returned, buyer, seller):
    """Given the seller closed the return, the buyer's "Return refused" case names it."""
    rma = returned()
    with pytest.raises(services.DisputeError, match="has not refused a return"):
        open_case(rma.order, Reason.RETURN_REFUSED, buyer)
    returns.close_return(
        return_id=rma.pk,
        reason=CloseReason.OUTSIDE_WINDOW,
        note="",
        actor=Actor.seller(seller.user),
    )

    case = open_case(rma.order, Reason.RETURN_REFUSED, buyer)

    assert case.return_request == rma
    assert list(rma.disputes.all()) == [case]


def test_a_withdrawn_return_is_not_a_refusal(returned, buyer):
    """The buyer's own withdrawal gives no "Return refused" case."""
    rma = returned()
    returns.withdraw_return(return_id=rma.pk, actor=Actor.buyer(buyer))

    with pytest.raises(services.DisputeError, match="has not refused a return"):
        open_case(rma.order, Reason.RETURN_REFUSED, buyer)


def test_a_refund_not_received_case_names_the_return_once_its_refund_is_overdue(
    returned, buyer, seller, run_outbox, settings
):
    rma = returned()
    returns.authorize_return(return_id=rma.pk, actor=Actor.seller(seller.user))
    returns.add_tracking(
        return_id=rma.pk, carrier="USPS", tracking_number="9400", actor=Actor.buyer(buyer)
    )
    run_outbox(
        returns.receive_return,
        return_id=rma.pk,
        condition=ItemCondition.SELLABLE,
        restocking_fee=Decimal(0),
        actor=Actor.seller(seller.user),
    )
    refund = PaymentTransaction.objects.get(idempotency_key=f"refund:return:{rma.pk}")
    with pytest.raises(services.DisputeError, match="can take up to"):
        open_case(rma.order, Reason.REFUND_NOT_RECEIVED, buyer)
    PaymentTransaction.objects.filter(pk=refund.pk).update(
        created_at=refund.created_at - timedelta(days=settings.REFUND_SETTLEMENT_DAYS, seconds=1)
    )

    case = open_case(rma.order, Reason.REFUND_NOT_RECEIVED, buyer)

    assert case.return_request == rma


def test_staff_refund_of_a_return_case_is_bounded_with_the_returns_refund(
    returned, buyer, seller, staff, run_outbox
):
    """
    Given one unit refunded by a return ($12.50 of $25.00) and the other unit's return
    refused, staff's full decision refunds what is left ($12.50), never the $25.00 again.
    """
    rma = returned()
    returns.authorize_return(return_id=rma.pk, actor=Actor.seller(seller.user))
    returns.add_tracking(
        return_id=rma.pk, carrier="USPS", tracking_number="9400", actor=Actor.buyer(buyer)
    )
    run_outbox(
        returns.receive_return,
        return_id=rma.pk,
        condition=ItemCondition.DAMAGED,
        restocking_fee=Decimal(0),
        actor=Actor.seller(seller.user),
    )
    second = run_outbox(
        returns.request_return,
        order_id=rma.order_id,
        quantities={rma.order.lines.get().pk: 1},
        reason=ReturnReason.NO_LONGER_NEEDED,
        note="",
        opened=False,
        actor=Actor.buyer(buyer),
    )
    returns.close_return(
        return_id=second.pk,
        reason=CloseReason.NOT_SOLD_HERE,
        note="",
        actor=Actor.seller(seller.user),
    )
    case = open_case(rma.order, Reason.RETURN_REFUSED, buyer)
    assert case.return_request == second
    order = Order.objects.get(pk=rma.order_id)
    assert money_summary(order).refundable == Decimal("12.50")

    run_outbox(
        services.resolve_for_buyer,
        dispute_id=case.pk,
        note="The item was sold here.",
        actor=Actor.staff(staff),
        money_seen=money_summary(order).seen,
    )

    assert Dispute.objects.get(pk=case.pk).refund_amount == Decimal("12.50")
    refunded = sum(
        PaymentTransaction.objects.filter(
            payment_id=order.payment_id, kind="refund", status="succeeded"
        ).values_list("amount", flat=True)
    )
    assert refunded == Decimal("25.00")


def test_the_open_page_preselects_a_reason_it_offers_and_ignores_others(
    returned, buyer, seller, client
):
    rma = returned()
    returns.close_return(
        return_id=rma.pk,
        reason=CloseReason.OUTSIDE_WINDOW,
        note="",
        actor=Actor.seller(seller.user),
    )
    client.force_login(buyer)
    url = reverse("disputes:open_case", args=[rma.order.number])

    chosen = client.get(url, {"reason": "return_refused"})
    not_offered = client.get(url, {"reason": "cancellation_declined"})

    assert chosen.context["form"]["reason"].value() == "return_refused"
    assert "checked" in chosen.content.decode()
    assert not_offered.context["form"]["reason"].value() is None
    assert "checked" not in not_offered.content.decode()


def test_the_case_page_names_the_return(returned, buyer, seller, client):
    rma = returned()
    returns.close_return(
        return_id=rma.pk,
        reason=CloseReason.OUTSIDE_WINDOW,
        note="",
        actor=Actor.seller(seller.user),
    )
    case = open_case(rma.order, Reason.RETURN_REFUSED, buyer)
    client.force_login(buyer)

    page = client.get(case.get_absolute_url()).content.decode()

    assert f'<span data-testid="case-return">{rma.number}</span>' in page
