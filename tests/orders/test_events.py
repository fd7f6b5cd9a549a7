"""The timeline in each reader's voice (orders/events.py), and the one date style."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.services import submit_buyer_cancellation
from core.formatting import format_when
from orders import events
from orders.actors import Actor
from orders.events import Reader
from orders.models import OrderEvent
from orders.services import start_preparing
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(django_capture_on_commit_callbacks):
    from orders.services import place_orders

    seller = SellerFactory(user=UserFactory(username="sam"), store_name="Sam's Paper")
    listing = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        (placed,) = place_orders(
            buyer=UserFactory(username="bea"),
            items={listing.pk: 2},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
    return placed


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_request_reads_in_the_buyers_voice_to_the_buyer_and_the_sellers_to_the_seller(
    client, order
):
    """The seller's page never says "You asked the seller"; the buyer's page does."""
    from cancellations.rules import BuyerMode

    line = order.lines.get()
    start_preparing(order_id=order.pk, actor=Actor.seller(order.seller.user))
    submit_buyer_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason="found_cheaper",
        note="",
        actor=Actor.buyer(order.buyer),
        idempotency_key="a" * 32,
        expected_mode=BuyerMode.REQUEST,
    )

    buyer_html = page(client, order.buyer, order.get_absolute_url())
    seller_html = page(client, order.seller.user, order.get_seller_url())

    assert "You asked the seller to cancel 1 × Blue notebook" in buyer_html
    assert "The seller is preparing your order." in buyer_html
    assert "You asked the seller" not in seller_html
    assert "your order" not in seller_html.split("Order history")[1].split("</ol>")[0]
    assert "The buyer asked you to cancel 1 × Blue notebook (Found cheaper somewhere else)." in (
        seller_html
    )
    assert "You started preparing the order." in seller_html
    assert "The buyer placed the order ($25.00)." in seller_html


def test_staff_read_the_third_person_and_unknown_types_fall_back_to_the_summary(order):
    """Staff get "The seller …"; an event type nobody registered shows its stored summary."""
    start_preparing(order_id=order.pk, actor=Actor.seller(order.seller.user))
    preparing = order.events.get(type=OrderEvent.Type.PREPARING)
    unknown = OrderEvent.objects.create(
        order=order, type="something_new", actor_role="system", summary="Stored words."
    )

    assert events.render(preparing, Reader.STAFF) == "The seller started preparing the order."
    assert events.render(preparing, Reader.BUYER) == "The seller is preparing your order."
    assert events.render(unknown, Reader.SELLER) == "Stored words."


def test_each_writer_stores_the_buyers_sentence_from_its_facts(order):
    """
    Given an order's own rows written by the typed writers, the stored summary is the
    buyer's renderer of the stored facts, word for word as the timeline always said it.
    """
    from orders.models import Shipment

    shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z42")
    line = order.lines.get()
    seller = Actor.seller(order.seller.user)

    written = [
        events.payment_declined(order, reason="The card was declined.", revise_days=3),
        events.revised_payment_declined(order),
        events.shipment_confirmed(order, shipment, seller, {line.pk: 2}),
        events.delay_notice_sent(
            order, open_units=2, auto_cancel_at=order.ship_by + timedelta(days=3)
        ),
    ]

    assert [event.summary for event in written] == [
        "Payment declined. The card was declined. Revise your payment within 3 days to "
        "keep the order.",
        "The new payment method was declined too.",
        "2 items shipped with UPS (tracking 1Z42).",
        f"Your order did not ship by {order.ship_by:%b %d}. You may cancel the items that "
        "have not shipped at no cost.",
    ]
    assert written[2].payload["lines"] == {str(line.pk): 2}
    placed = order.events.get(type=OrderEvent.Type.PLACED)
    assert placed.summary == "Order placed with Sam's Paper."
    assert events.render(placed, Reader.SELLER) == "The buyer placed the order ($25.00)."


def test_rows_written_before_their_facts_were_stored_keep_their_stored_words(order):
    """An old row without the payload its renderer reads shows its stored summary."""
    old = OrderEvent.objects.create(
        order=order, type=OrderEvent.Type.SHIPPED, actor_role="seller", summary="Old words."
    )

    assert events.render(old, Reader.BUYER) == "Old words."
    assert events.render(old, Reader.STAFF) == "Old words."


def test_pages_show_dates_in_the_display_time_zone(client, order, settings):
    """DISPLAY_TIME_ZONE is what pages show, named; a fresh event was "just now"."""
    settings.DISPLAY_TIME_ZONE = "America/New_York"

    html = page(client, order.buyer, order.get_absolute_url())

    with timezone.override(ZoneInfo("America/New_York")):
        expected = format_when(order.placed_at)
    assert expected.endswith((" EST", " EDT"))
    assert expected in html
    assert "(just now)" in html
    assert "0 minutes" not in html and "a.m." not in html and "p.m." not in html


def test_an_order_card_placed_today_shows_the_time(client, order):
    """Two of today's orders are told apart by the time on their cards."""
    html = page(client, order.buyer, reverse("orders:your_orders"))
    assert ">Today, " in html
