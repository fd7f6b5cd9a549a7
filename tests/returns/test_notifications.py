"""
returns.notifications: each step of a return emails each party in their own voice (the
buyer reads "your return", the seller "the buyer's return"), in plain text and HTML,
and only the party who has something to learn or do is written to.
"""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from orders.actors import Actor
from orders.services import mark_delivered
from returns import services
from returns.models import CloseReason, ItemCondition, ReturnReason, ReturnRequest
from tests.factories import SellerFactory, UserFactory, shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return UserFactory(username="bea", email="bea@example.com")


@pytest.fixture
def seller():
    return SellerFactory(
        user=UserFactory(username="sam", email="sam@example.com"),
        store_name="Sam's",
        return_name="Sam's Returns",
        return_line1="1 Return Road",
        return_city="Springfield",
        return_postcode="12345",
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks, mailoutbox):
    """Call a service and send what it queued, as the commit would; returns its result."""

    def call(function, **kwargs):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


@pytest.fixture
def asked(buyer, seller, run, settings):
    """``asked(reason, opened=False)``: a return of one of two $12.50 units of a delivered order."""
    settings.SITE_URL = "https://shop.example"

    def ask(reason=ReturnReason.DEFECTIVE, *, opened=False, note="It does not turn on."):
        order = run(shipped_order, buyer=buyer, seller=seller, title="Desk lamp")
        run(mark_delivered, order_id=order.pk, actor=Actor.system())
        return run(
            services.request_return,
            order_id=order.pk,
            quantities={order.lines.get().pk: 1},
            reason=reason,
            note=note,
            opened=opened,
            actor=Actor.buyer(buyer),
        )

    return ask


def to(mailoutbox, user):
    """The one email ``user`` was sent."""
    (message,) = [m for m in mailoutbox if m.to == [user.email]]
    return message


def texts(message):
    """Its plain text and its HTML's words as a mail client shows them (tags and wrapping gone)."""
    (alternative,) = message.alternatives
    assert alternative.mimetype == "text/html"
    assert "{{" not in message.body and "{%" not in alternative.content
    return message.body, " ".join(unescape(strip_tags(alternative.content)).split())


def test_a_request_asks_the_seller_to_answer_and_tells_the_buyer_what_comes_next(
    asked, buyer, seller, mailoutbox
):
    """The seller: answer by respond_by, or it is authorized; the buyer: the number, wait."""
    rma = asked()

    assert len(mailoutbox) == 2
    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    number = rma.order.number
    assert to_buyer.subject == f"Return {rma.number} requested: order {number}"
    assert to_seller.subject == f"Return requested: order {number} (Defective or does not work)"
    for text in texts(to_buyer):
        assert "You asked Sam's to take back these items" in text
        assert "1 × Desk lamp" in text
        assert f"Your return number is {rma.number}" in text
        assert "authorized automatically" in text
        assert "$12.50, in full," in text
        assert "Return shipping: the seller's to pay" in text and "prepaid label" in text
        assert "The buyer" not in text
    for text in texts(to_seller):
        assert f"The buyer of order {number} asks to return" in text
        assert "The buyer's note: “It does not turn on.”" in text
        assert "Seller Central → Returns" in text
        assert "48 hours is authorized automatically" in text
        assert "You asked" not in text
    assert "https://shop.example/seller" in to_seller.body


def test_an_opened_remorse_return_states_the_most_fee_to_both(asked, buyer, seller, mailoutbox):
    """Buyer's remorse, opened: the buyer pays the shipping and may lose up to 20 %."""
    asked(ReturnReason.NO_LONGER_NEEDED, opened=True, note="")

    buyer_text, _html = texts(to(mailoutbox, buyer))
    seller_text, _html = texts(to(mailoutbox, seller.user))
    assert "less a restocking fee of at most $2.50 as the items were opened" in buyer_text
    assert "Return shipping: paid by you." in buyer_text
    assert "less a restocking fee of at most $2.50 if you choose to keep one" in seller_text
    assert "Return shipping: paid by the buyer." in seller_text


def test_the_seller_authorizing_tells_only_the_buyer_where_and_by_when(
    asked, run, buyer, seller, mailoutbox
):
    rma = asked()

    rma = run(services.authorize_return, return_id=rma.pk, actor=Actor.seller(seller.user))

    message = to(mailoutbox, buyer)
    assert len(mailoutbox) == 1
    assert message.subject.startswith(f"Return {rma.number} authorized: send it back by")
    for text in texts(message):
        assert "Sam's authorized your return" in text
        assert rma.number in text
        assert "1 Return Road" in text and "Springfield 12345" in text
        assert "automatically" not in text


def test_the_system_authorizing_tells_both_that_it_was_automatic(
    asked, run, buyer, seller, mailoutbox
):
    rma = asked()

    run(services.authorize_return, return_id=rma.pk, actor=Actor.system())

    assert len(mailoutbox) == 2
    assert "did not answer in time, so your return" in to(mailoutbox, buyer).body
    to_seller = to(mailoutbox, seller.user)
    assert to_seller.subject == f"Return authorized automatically: order {rma.order.number}"
    for text in texts(to_seller):
        assert "You did not answer the buyer's return request" in text
        assert "1 Return Road" in text


def test_a_refusal_tells_only_the_buyer_why_and_offers_a_case(
    asked, run, buyer, seller, mailoutbox
):
    rma = asked()

    run(
        services.close_return,
        return_id=rma.pk,
        reason=CloseReason.NOT_SOLD_HERE,
        note="Not our lamp.",
        actor=Actor.seller(seller.user),
    )

    message = to(mailoutbox, buyer)
    assert len(mailoutbox) == 1
    assert message.subject == f"Return {rma.number} closed: order {rma.order.number}"
    link = f"https://shop.example/your-orders/{rma.order.number}/"
    for text in texts(message):
        assert "Sam's closed your return" in text
        assert "item not sold in this order" in text
        assert "The seller's note: “Not our lamp.”" in text
        assert "open a case about it (“Return refused”) from the order's page" in text
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0].content


def test_a_withdrawal_tells_both_and_offers_no_case(asked, run, buyer, seller, mailoutbox):
    rma = asked()

    run(services.withdraw_return, return_id=rma.pk, actor=Actor.buyer(buyer))

    assert len(mailoutbox) == 2
    for text in texts(to(mailoutbox, buyer)):
        assert "You withdrew your return" in text
        assert "open a case" not in text
    assert to(mailoutbox, seller.user).subject == f"Return withdrawn: order {rma.order.number}"
    assert "The buyer withdrew their return" in to(mailoutbox, seller.user).body


def test_the_tracking_goes_to_the_seller_only(asked, run, buyer, seller, mailoutbox):
    rma = asked()
    run(services.authorize_return, return_id=rma.pk, actor=Actor.seller(seller.user))

    run(
        services.add_tracking,
        return_id=rma.pk,
        carrier="USPS",
        tracking_number="9400111",
        actor=Actor.buyer(buyer),
    )

    message = to(mailoutbox, seller.user)
    assert len(mailoutbox) == 1
    assert message.subject == f"Return on its way: order {rma.order.number}, USPS 9400111"
    for text in texts(message):
        assert "Tracking number: 9400111" in text
        assert "3 days after it is delivered to you" in text


def shipped_back(rma, run, buyer, seller):
    run(services.authorize_return, return_id=rma.pk, actor=Actor.seller(seller.user))
    run(
        services.add_tracking,
        return_id=rma.pk,
        carrier="USPS",
        tracking_number="9400111",
        actor=Actor.buyer(buyer),
    )


def test_the_seller_receiving_with_a_fee_tells_the_buyer_the_amount_and_the_fee(
    asked, run, buyer, seller, mailoutbox
):
    rma = asked(ReturnReason.NO_LONGER_NEEDED, opened=True, note="")
    shipped_back(rma, run, buyer, seller)

    run(
        services.receive_return,
        return_id=rma.pk,
        condition=ItemCondition.SELLABLE,
        restocking_fee=Decimal("2.50"),
        actor=Actor.seller(seller.user),
    )

    message = to(mailoutbox, buyer)
    assert len(mailoutbox) == 1
    assert message.subject == f"Refunded: return {rma.number}, order {rma.order.number}"
    for text in texts(message):
        assert "Sam's received your return" in text
        assert (
            "$10.00 is refunded to your card: $12.50 for the items less a restocking fee of $2.50"
            in text
        )
        assert "up to 10 days" in text


def test_the_system_refunding_tells_the_seller_why_and_that_nothing_was_restocked(
    asked, run, buyer, seller, mailoutbox
):
    rma = asked()
    shipped_back(rma, run, buyer, seller)
    run(services.mark_delivered_back, return_id=rma.pk, actor=Actor.system())
    ReturnRequest.objects.filter(pk=rma.pk).update(receive_by=timezone.now() - timedelta(hours=1))

    run(
        services.receive_return,
        return_id=rma.pk,
        condition=ItemCondition.DAMAGED,
        restocking_fee=Decimal(0),
        actor=Actor.system(),
    )

    assert len(mailoutbox) == 2
    assert "did not mark it received within 3 days, so you are refunded in full" in (
        to(mailoutbox, buyer).body
    )
    to_seller = to(mailoutbox, seller.user)
    assert to_seller.subject.startswith("Refunded automatically: return")
    for text in texts(to_seller):
        assert "you did not mark it received within 3 days" in text
        assert "$12.50 in full" in text
        assert "not put back in stock" in text


def test_a_returnless_refund_tells_both_that_nothing_comes_back(asked, buyer, seller, mailoutbox):
    seller.returnless_refund_under = Decimal("20.00")
    seller.save()

    rma = asked()

    assert rma.returnless
    assert len(mailoutbox) == 2
    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert to_buyer.subject.startswith("Refunded, keep the items: return")
    for text in texts(to_buyer):
        assert "keep them, there is nothing to send" in text
        assert "$12.50 is refunded to your card" in text
    for text in texts(to_seller):
        assert "refunded to the buyer and they keep the items" in text
