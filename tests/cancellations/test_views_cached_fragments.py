"""
Cached page fragments never show a stale fact (docs/DESIGN.md §13): a card, a row or the
account health cached before a change shows the change on the next load, and so does
a fact that changes with time alone (late); a cache that is down costs the page its
fragments, never an error.
"""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from cancellations.rules import BuyerMode
from cancellations.services.cancel import cancel_items
from cancellations.services.requests import (
    approve_request,
    decline_request,
    submit_buyer_cancellation,
)
from cancellations.services.seller import cancel_as_seller
from core.formatting import format_day, format_when, iso
from orders.actors import Actor
from tests.factories import ListingFactory

from .conftest import age, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place, seller):
    """2 notebooks at $12.50 and 1 pencil at $3.00: $28.00."""
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
    return place({notebook: 2, pencil: 1})


def html(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def your_orders(client) -> str:
    return html(client, reverse("orders:your_orders"), tab="all")


def seller_orders(client) -> str:
    return html(client, reverse("sellercentral:orders"))


def notebooks(order):
    return {order.lines.get(title="Blue notebook").pk: 2}


def ask_the_seller(order, buyer):
    """The buyer's request to cancel the notebooks (the order is past its quick-cancel window)."""
    return submit_buyer_cancellation(
        order_id=order.pk,
        quantities=notebooks(order),
        reason=Reason.CREATED_BY_MISTAKE,
        note="",
        actor=Actor.buyer(buyer),
        idempotency_key=uuid.uuid4().hex,
        expected_mode=BuyerMode.REQUEST,
    )


def test_a_cached_card_shows_a_cancellation_on_the_next_load(client, buyer, order):
    client.force_login(buyer)
    before = your_orders(client)
    assert "$28.00" in before and 'data-testid="line-cancelled"' not in before

    cancel_items(
        order_id=order.pk,
        quantities=notebooks(order),
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )

    after = your_orders(client)
    assert 'data-testid="line-cancelled"' in after
    assert '<span data-testid="order-total-now">$3.00</span>' in after


def test_a_cached_card_shows_a_shipment_on_the_next_load(client, buyer, seller, order):
    client.force_login(buyer)
    assert "2 shipped" not in your_orders(client)

    ship(order, seller, {line.pk: line.quantity for line in order.lines.all()})

    after = your_orders(client)
    assert "Shipped" in after and "2 shipped" in after


def test_a_card_turns_late_with_time_alone(client, buyer, order):
    """Nothing is written when an order becomes late: the time is part of the key."""
    client.force_login(buyer)
    order = age(order, days=1)  # placed yesterday, so its date reads the same later on
    assert order.ship_by > timezone.now()
    assert 'data-testid="late-badge"' not in your_orders(client)
    later = order.ship_by + timedelta(hours=1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert 'data-testid="late-badge"' in your_orders(client)


def test_a_cached_seller_row_shows_a_request_then_its_approval(client, buyer, seller, order):
    client.force_login(seller.user)
    age(order, hours=2)  # past the quick-cancel window: the buyer's form asks the seller
    assert 'data-testid="request-flag"' not in seller_orders(client)

    request = ask_the_seller(order, buyer)
    assert 'data-testid="request-flag"' in seller_orders(client)

    approve_request(request_id=request.pk, actor=Actor.seller(seller.user))
    after = seller_orders(client)
    assert 'data-testid="request-flag"' not in after
    assert "2 of 2 cancelled" in after or 'data-testid="line-cancelled"' in after
    assert "$28.00</del>" in after


def test_cached_account_health_shows_a_cancellation_on_the_next_load(client, seller, order):
    client.force_login(seller.user)
    before = html(client, reverse("sellercentral:home"))
    assert "0 of 1 orders" in before or "0.0 %" in before

    cancel_as_seller(order_id=order.pk, reason=Reason.NO_INVENTORY, actor=Actor.seller(seller.user))

    after = html(client, reverse("sellercentral:home"))
    assert after.split("<main", 1)[1] != before.split("<main", 1)[1]
    assert "100.0 %" in after
    assert 'data-testid="reason-row"' in after


def test_a_cache_that_is_down_costs_the_fragments_not_the_page(client, buyer, order, settings):
    """Nothing listens on port 1: every cache call fails, every page still renders."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
    }
    client.force_login(buyer)

    assert "Blue notebook" in your_orders(client)
    client.force_login(order.seller.user)
    assert "Blue notebook" in seller_orders(client)
    assert "Cancellation insights" in html(client, reverse("sellercentral:home"))


# --- Your Orders' "Cancel Items" --------------------------------------------------------
def cancel_button(page: str, order) -> bool:
    return reverse("cancellations:cancel_items", args=[order.number]) in page


def test_your_orders_offers_cancel_items_while_the_order_may_be_cancelled(client, buyer, order):
    """Given an unshipped order, its card links to Cancel Items, as the order page does."""
    client.force_login(buyer)
    assert cancel_button(your_orders(client), order)

    cancel_items(
        order_id=order.pk,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )

    assert not cancel_button(your_orders(client), order)  # nothing left to cancel


def test_a_shipped_order_has_no_cancel_items_on_its_card(client, buyer, seller, order):
    client.force_login(buyer)
    ship(order, seller, {line.pk: line.quantity for line in order.lines.all()})

    assert not cancel_button(your_orders(client), order)


def card_of(page: str, order) -> str:
    return next(c for c in page.split('data-testid="order-card"')[1:] if order.number in c)


def test_a_pending_request_shows_on_the_card_in_place_of_cancel_items(client, buyer, seller, order):
    """
    Past the quick-cancel window the buyer asks the seller; while asked, the card says
    when they asked and until when the seller may answer, in place of Cancel Items (there
    is nothing more to ask); a decline takes the note off and offers Cancel Items again.
    """
    client.force_login(buyer)
    age(order, hours=2)
    assert cancel_button(your_orders(client), order)
    assert 'data-testid="card-pending-request"' not in your_orders(client)

    request = ask_the_seller(order, buyer)
    card = card_of(your_orders(client), order)
    assert not cancel_button(card, order)
    assert "<strong>Cancellation requested</strong> on" in card
    assert format_day(request.created_at) in card
    assert f'the seller has until <time datetime="{iso(request.response_due_at())}">' in card
    assert format_when(request.response_due_at()) in card

    decline_request(request_id=request.pk, note="Packed already", actor=Actor.seller(seller.user))
    card = card_of(your_orders(client), order)
    assert cancel_button(card, order)
    assert 'data-testid="card-pending-request"' not in card


def test_a_late_order_with_a_pending_request_shows_both(client, buyer, order):
    """Turned late while asked: the request still shows, and Cancel Items is back (no cost)."""
    client.force_login(buyer)
    age(order, hours=2)
    ask_the_seller(order, buyer)
    later = order.ship_by + timedelta(hours=1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        card = card_of(your_orders(client), order)

    assert 'data-testid="card-pending-request"' in card
    assert cancel_button(card, order)


@pytest.mark.parametrize("count", [2, 12])
def test_the_cards_ask_for_pending_requests_once_a_page(
    client, buyer, place, django_assert_num_queries, count, page_cache_off
):
    """
    Orders past their quick-cancel window may have a request: one query finds them for
    the whole page, for the cards' notes and their Cancel Items alike.
    """
    orders = [age(place(), hours=2) for _ in range(count)]
    submit_buyer_cancellation(
        order_id=orders[-1].pk,  # the newest: on the first page
        quantities={orders[-1].lines.get().pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        note="",
        actor=Actor.buyer(buyer),
        idempotency_key=uuid.uuid4().hex,
        expected_mode=BuyerMode.REQUEST,
    )
    client.force_login(buyer)

    # session, user, seller check, orders (no count: the pages say newer and older),
    # pending requests, lines (cold cards)
    with django_assert_num_queries(6):
        page = your_orders(client)

    assert page.count('data-testid="card-pending-request"') == 1
