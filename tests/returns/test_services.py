"""The returns services: every step, its refusals, and the money and stock they move."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Listing
from orders.actors import Actor
from orders.models import OrderEvent
from payments.models import PaymentTransaction
from returns import services
from returns.models import CloseReason, ItemCondition, ReturnRequest, ReturnStatus
from returns.services import ReturnError
from tests.factories import SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run the block, commit, and deliver the outbox messages it wrote (the refunds)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ask(order, buyer, *, units=1, reason="defective", opened=False, note="", **kwargs):
    line = order.lines.get()
    return services.request_return(
        order_id=order.pk,
        quantities={line.pk: units},
        reason=reason,
        note=note,
        opened=opened,
        actor=Actor.buyer(buyer),
        **kwargs,
    )


def ship_back(return_request, buyer):
    return services.add_tracking(
        return_id=return_request.pk,
        carrier="UPS",
        tracking_number="1ZBACK",
        actor=Actor.buyer(buyer),
    )


def test_a_return_goes_from_request_to_refund_and_restock(delivered, buyer, seller, deliver):
    order = delivered(quantity=2)
    stock = Listing.objects.get().stock

    asked = ask(order, buyer, units=1, reason="defective")
    assert (asked.status, asked.item_value, asked.max_restocking_fee) == (
        ReturnStatus.REQUESTED,
        Decimal("12.50"),
        0,
    )
    assert asked.number == f"RMA-{order.number}-1" and asked.seller_fault
    authorized = services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    assert "1 Return Road" in authorized.return_address and authorized.ship_back_by
    ship_back(asked, buyer)
    with deliver():
        refunded = services.receive_return(
            return_id=asked.pk,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal("0"),
            actor=Actor.seller(seller.user),
        )

    assert (refunded.status, refunded.refund_amount, refunded.restocked) == (
        ReturnStatus.REFUNDED,
        Decimal("12.50"),
        True,
    )
    assert Listing.objects.get().stock == stock + 1
    refund = PaymentTransaction.objects.get(kind="refund", idempotency_key__contains="return:")
    assert (refund.amount, refund.status) == (Decimal("12.50"), "succeeded")
    types = list(order.events.values_list("type", flat=True))
    assert {
        "return_requested",
        "return_authorized",
        "return_shipped_back",
        "return_refunded",
    } <= set(types)


def test_a_damaged_return_is_refunded_but_not_restocked(delivered, buyer, seller, deliver):
    order = delivered()
    stock = Listing.objects.get().stock
    asked = ask(order, buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    ship_back(asked, buyer)
    with deliver():
        services.receive_return(
            return_id=asked.pk,
            condition=ItemCondition.DAMAGED,
            restocking_fee=Decimal("0"),
            actor=Actor.seller(seller.user),
        )
    assert Listing.objects.get().stock == stock


def test_a_restocking_fee_only_for_an_opened_item_bought_in_error_and_at_most_20_percent(
    delivered, buyer, seller, deliver
):
    order = delivered(quantity=2, price=Decimal("50.00"))
    remorse = ask(order, buyer, units=2, reason="no_longer_needed", opened=True)
    assert remorse.max_restocking_fee == Decimal("20.00")
    assert remorse.return_shipping_paid_by == "buyer"
    services.authorize_return(return_id=remorse.pk, actor=Actor.seller(seller.user))
    ship_back(remorse, buyer)

    with pytest.raises(ReturnError, match=r"at most 20\.00"):
        services.receive_return(
            return_id=remorse.pk,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal("20.01"),
            actor=Actor.seller(seller.user),
        )
    with deliver():
        done = services.receive_return(
            return_id=remorse.pk,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal("20.00"),
            actor=Actor.seller(seller.user),
        )
    assert (done.refund_amount, done.restocking_fee) == (Decimal("80.00"), Decimal("20.00"))


@pytest.mark.parametrize(("reason", "opened"), [("defective", True), ("no_longer_needed", False)])
def test_no_fee_for_the_sellers_fault_or_an_unopened_item(delivered, buyer, reason, opened):
    assert ask(delivered(), buyer, reason=reason, opened=opened).max_restocking_fee == 0


def test_not_as_described_needs_a_note(delivered, buyer):
    order = delivered()
    with pytest.raises(ReturnError, match="not as described"):
        ask(order, buyer, reason="not_as_described", note="  ")
    assert not ReturnRequest.objects.exists()
    assert ask(order, buyer, reason="not_as_described", note="Blue, not red.").note


def test_a_review_that_went_stale_is_refused(delivered, buyer):
    order = delivered(price=Decimal("50.00"))
    with pytest.raises(ReturnError, match="changed since you reviewed"):
        ask(order, buyer, reason="no_longer_needed", opened=True, expected_refund=Decimal("50.00"))
    assert ask(
        order, buyer, reason="no_longer_needed", opened=True, expected_refund=Decimal("40.00")
    )


@pytest.mark.parametrize(("days_ago", "message"), [(31, "return window closed"), (29, None)])
def test_the_window_is_thirty_days_after_delivery(delivered, buyer, days_ago, message):
    order = delivered(days_ago=days_ago)
    if message:
        with pytest.raises(ReturnError, match=message):
            ask(order, buyer)
    else:
        assert ask(order, buyer)


def test_units_not_delivered_cannot_be_returned_yet(
    buyer, seller, django_capture_on_commit_callbacks
):
    from tests.factories import shipped_order

    with django_capture_on_commit_callbacks(execute=True):
        order = shipped_order(buyer=buyer, seller=seller)
    with pytest.raises(ReturnError, match="once they are delivered"):
        ask(order, buyer)


def test_units_are_returned_once_but_a_closed_return_gives_them_back(delivered, buyer, seller):
    order = delivered(quantity=2)
    first = ask(order, buyer, units=2)
    with pytest.raises(ReturnError, match="has been returned or is being returned"):
        ask(order, buyer, units=1)
    services.withdraw_return(return_id=first.pk, actor=Actor.buyer(buyer))
    assert ask(order, buyer, units=2).number == f"RMA-{order.number}-2"


def test_only_the_orders_buyer_asks_and_only_its_seller_answers(delivered, buyer, seller):
    order = delivered()
    stranger = UserFactory(username="eve")
    with pytest.raises(ReturnError):
        ask(order, stranger)
    asked = ask(order, buyer)
    other_seller = SellerFactory(user=UserFactory(username="oscar"), store_name="Oscar's")
    with pytest.raises(ReturnError):
        services.authorize_return(return_id=asked.pk, actor=Actor.seller(other_seller.user))
    with pytest.raises(ReturnError):
        services.authorize_return(return_id=asked.pk, actor=Actor.buyer(buyer))
    assert ReturnRequest.objects.get().status == ReturnStatus.REQUESTED


def test_the_seller_closes_a_request_with_a_reason_the_buyer_reads(delivered, buyer, seller):
    asked = ask(delivered(), buyer)
    with pytest.raises(ReturnError, match="reason from the list"):
        services.close_return(
            return_id=asked.pk, reason="not_shipped_back", note="", actor=Actor.seller(seller.user)
        )
    closed = services.close_return(
        return_id=asked.pk,
        reason=CloseReason.NOT_SOLD_HERE,
        note="This is not our lamp.",
        actor=Actor.seller(seller.user),
    )
    assert (closed.status, closed.close_note) == (ReturnStatus.CLOSED, "This is not our lamp.")
    with pytest.raises(ReturnError, match="already answered"):
        services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))


def test_a_store_without_a_return_address_is_asked_for_one(delivered, buyer, seller):
    asked = ask(delivered(), buyer)
    seller.return_line1 = ""
    seller.save()
    with pytest.raises(ReturnError, match="return address first"):
        services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))


def test_a_returnless_refund_refunds_at_once_without_the_item(delivered, buyer, seller, deliver):
    seller.returnless_refund_under = Decimal("15.00")
    seller.save()
    order = delivered()
    stock = Listing.objects.get().stock
    with deliver():
        asked = ask(order, buyer, units=1)
    assert (asked.status, asked.returnless, asked.refund_amount) == (
        ReturnStatus.REFUNDED,
        True,
        Decimal("12.50"),
    )
    assert Listing.objects.get().stock == stock
    assert PaymentTransaction.objects.get(kind="refund").status == "succeeded"


def test_the_same_form_twice_makes_one_return(delivered, buyer):
    order = delivered()
    first = ask(order, buyer, idempotency_key="form-1")
    again = ask(order, buyer, idempotency_key="form-1")
    assert first.pk == again.pk and ReturnRequest.objects.count() == 1


def test_a_return_refund_and_a_case_refund_share_the_captured_bound(
    delivered, buyer, seller, deliver
):
    """A refund the payment cannot cover is refused whole: nothing is received or restocked."""
    from payments import services as payments

    order = delivered(quantity=1)
    asked = ask(order, buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    ship_back(asked, buyer)
    with deliver():
        payments.schedule_release(
            payment_id=order.payment_id, amount=Decimal("12.50"), idempotency_key="dispute:1"
        )
    with pytest.raises(ReturnError, match="could not refund"):
        services.receive_return(
            return_id=asked.pk,
            condition=ItemCondition.SELLABLE,
            restocking_fee=Decimal("0"),
            actor=Actor.seller(seller.user),
        )
    assert ReturnRequest.objects.get().status == ReturnStatus.SHIPPED_BACK


def test_tracking_needs_a_carrier_and_a_number(delivered, buyer, seller):
    asked = ask(delivered(), buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    with pytest.raises(ReturnError, match="tracking number"):
        services.add_tracking(
            return_id=asked.pk, carrier="UPS", tracking_number=" ", actor=Actor.buyer(buyer)
        )
    assert ReturnRequest.objects.get().status == ReturnStatus.AUTHORIZED


def test_a_delivered_parcel_gets_a_receive_by_deadline(delivered, buyer, seller):
    asked = ask(delivered(), buyer)
    services.authorize_return(return_id=asked.pk, actor=Actor.seller(seller.user))
    ship_back(asked, buyer)
    back = services.mark_delivered_back(return_id=asked.pk, actor=Actor.system())
    assert back.receive_by - back.delivered_back_at == timedelta(days=3)
    assert back.status == ReturnStatus.DELIVERED_BACK
    assert OrderEvent.objects.filter(type="return_delivered_back").exists()
    assert back.delivered_back_at <= timezone.now()
