"""
Buyers waiting for the seller's answer (orders/selectors.py, orders/services.py): who
waits and since when, as the order keeps it and the inbox (tests/sellercentral) lists it.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from orders import selectors
from orders.actors import Actor
from orders.models import Message, Order
from orders.services import post_message, refresh_buyer_waiting
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def say(order, role, body="Is it in stock?", *, hours_ago=0):
    """A message on ``order`` by its buyer or seller, ``hours_ago`` old (as the demo dates them)."""
    actor = Actor.buyer(order.buyer) if role == "buyer" else Actor.seller(order.seller.user)
    message = post_message(order_id=order.pk, body=body, actor=actor)
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    refresh_buyer_waiting(order_id=order.pk)
    message.refresh_from_db()
    return message


# --- Who waits ---------------------------------------------------------------------------------
def test_a_buyer_follow_up_after_the_answer_waits_again(seller, buyer):
    """The seller answered, then the buyer wrote again: the thread waits since the new one."""
    order = OrderFactory(buyer=buyer, seller=seller)
    say(order, "buyer", hours_ago=40)
    say(order, "seller", "Shipped.", hours_ago=39)
    follow_up = say(order, "buyer", "Thanks! Tracking number?", hours_ago=3)

    (thread,) = selectors.waiting_threads_for_seller(seller=seller)

    assert (thread.order, thread.messages, thread.last_body) == (order, 1, follow_up.body)
    waited = timezone.now() - thread.since
    assert waited == pytest.approx(timedelta(hours=3), abs=timedelta(minutes=1))
    assert not thread.overdue()


# --- What the order keeps ---------------------------------------------------------------------
def test_posting_keeps_whether_and_since_when_the_buyer_waits(seller, buyer):
    """
    The buyer's first message starts the wait, a follow-up does not restart it, the
    seller's answer ends it, and the buyer's next message starts a new one.
    """
    order = OrderFactory(buyer=buyer, seller=seller)

    def waiting_since():
        return Order.objects.get(pk=order.pk).buyer_waiting_since

    first = post_message(order_id=order.pk, body="Hello?", actor=Actor.buyer(buyer))
    assert waiting_since() == first.created_at
    post_message(order_id=order.pk, body="Anyone?", actor=Actor.buyer(buyer))
    assert waiting_since() == first.created_at
    post_message(order_id=order.pk, body="Yes!", actor=Actor.seller(seller.user))
    assert waiting_since() is None
    again = post_message(order_id=order.pk, body="Thanks.", actor=Actor.buyer(buyer))
    assert waiting_since() == again.created_at


def test_the_migration_fills_in_the_buyers_already_waiting(seller, buyer):
    """Messages written before the order kept it: the migration finds the same buyers."""
    fill = importlib.import_module(
        "orders.migrations.0008_order_buyer_waiting_since"
    ).fill_buyer_waiting_since
    waiting, answered, silent = (OrderFactory(buyer=buyer, seller=seller) for _ in range(3))
    now = timezone.now()
    for order, role, hours_ago in [
        (waiting, "buyer", 30),
        (waiting, "seller", 29),
        (waiting, "buyer", 5),
        (waiting, "buyer", 4),
        (answered, "buyer", 3),
        (answered, "seller", 2),
    ]:
        Message.objects.create(
            order=order,
            author=buyer if role == "buyer" else seller.user,
            author_role=role,
            body="?",
            created_at=now - timedelta(hours=hours_ago),
        )

    fill(django_apps, None)

    since = dict(Order.objects.values_list("pk", "buyer_waiting_since"))
    assert since == {waiting.pk: now - timedelta(hours=5), answered.pk: None, silent.pk: None}


def test_a_message_does_not_move_the_orders_version(seller, buyer):
    """Your Orders' cached cards are keyed by it and show no messages: they stay cached."""
    order = OrderFactory(buyer=buyer, seller=seller)
    before = Order.objects.get(pk=order.pk).updated_at
    post_message(order_id=order.pk, body="Hello?", actor=Actor.buyer(buyer))
    assert Order.objects.get(pk=order.pk).updated_at == before
