"""
Seller Central → Messages (sellercentral/views/messages.py, orders/selectors.py): the buyers
waiting for the seller's answer, the row marker on the order list, and who may see them.
"""

import pytest
from django.urls import reverse

from orders import selectors
from orders.models import Message
from tests.factories import OrderFactory, SellerFactory, UserFactory
from tests.orders.test_inbox import say

pytestmark = pytest.mark.django_db

INBOX_URL = reverse("sellercentral:messages")


def threads(response) -> list[str]:
    """The inbox's rows, as the text of each."""
    html = response.content.decode()
    return [row.split("</tr>", 1)[0] for row in html.split('data-testid="thread"')[1:]]


# --- The inbox ---------------------------------------------------------------------------------
def test_inbox_lists_unanswered_threads_due_first_with_age_and_deadline(signed_in, seller, buyer):
    """
    Given three orders: one whose buyer wrote 10 hours ago, one whose buyer wrote twice
    (30 and 2 hours ago), and one the seller answered; when the seller opens Messages,
    then the two waiting threads are listed, the overdue one first, each with its age,
    deadline and a link to the order's message form; the answered one is not.
    """
    fresh = OrderFactory(buyer=buyer, seller=seller)
    say(fresh, "buyer", "Can you gift-wrap it?", hours_ago=10)
    overdue = OrderFactory(buyer=buyer, seller=seller)
    say(overdue, "buyer", "Where is my order?", hours_ago=30)
    say(overdue, "buyer", "Hello? Any news?", hours_ago=2)
    answered = OrderFactory(buyer=buyer, seller=seller)
    say(answered, "buyer", hours_ago=12)
    say(answered, "seller", "Yes, shipping today.", hours_ago=11)

    response = signed_in.get(INBOX_URL)

    assert response.status_code == 200
    assert "<h1>Messages</h1>" in response.content.decode()
    first, second = threads(response)
    assert overdue.number in first and "Overdue" in first
    assert "1 day, 6 hours ago" in first  # waiting since the first unanswered message
    assert "Hello? Any news?" in first and "(2 messages)" in first
    assert f'href="{overdue.get_seller_url()}#messages"' in first
    assert fresh.number in second and "Overdue" not in second
    assert "10 hours ago" in second and "in 13 hours, 59 minutes" in second  # of 24 h
    assert "Can you gift-wrap it?" in second
    assert answered.number not in response.content.decode()


def test_answering_from_the_order_page_takes_the_thread_off_the_inbox(signed_in, seller, buyer):
    order = OrderFactory(buyer=buyer, seller=seller)
    say(order, "buyer", hours_ago=5)
    assert len(threads(signed_in.get(INBOX_URL))) == 1

    response = signed_in.post(
        reverse("sellercentral:order_message", args=[order.number]), {"body": "On its way."}
    )

    assert response.status_code == 302
    assert threads(signed_in.get(INBOX_URL)) == []
    assert "No buyer waits for your answer." in signed_in.get(INBOX_URL).content.decode()


def test_inbox_shows_only_the_sellers_own_orders(signed_in, seller, buyer):
    """Another seller's waiting buyer is on no row of this seller's inbox, nor its badge."""
    mine = OrderFactory(buyer=buyer, seller=seller)
    say(mine, "buyer")
    theirs = OrderFactory(buyer=buyer, seller=SellerFactory())
    say(theirs, "buyer", "Secret question")

    response = signed_in.get(INBOX_URL)

    html = response.content.decode()
    assert mine.number in html
    assert theirs.number not in html and "Secret question" not in html
    assert 'data-testid="message-badge">1<' in html


def test_inbox_is_for_sellers_only(client):
    assert client.get(INBOX_URL).status_code == 302  # to sign-in
    client.force_login(UserFactory())
    assert client.get(INBOX_URL).status_code == 403


def test_opening_the_inbox_changes_nothing(signed_in, seller, buyer):
    """GET is read-only: the thread still waits and no message was written."""
    order = OrderFactory(buyer=buyer, seller=seller)
    say(order, "buyer", hours_ago=1)

    signed_in.get(INBOX_URL)
    signed_in.get(INBOX_URL)

    assert Message.objects.count() == 1
    assert len(selectors.waiting_threads_for_seller(seller=seller)) == 1


def test_inbox_makes_the_same_queries_for_1_and_30_threads(
    signed_in, seller, django_assert_num_queries
):
    """Session, user, seller, the nav badges, the threads with their buyers (one query)."""
    for n in (1, 30):
        for _ in range(n - Message.objects.count()):
            say(OrderFactory(seller=seller), "buyer", hours_ago=1)
        with django_assert_num_queries(5):
            response = signed_in.get(INBOX_URL)
        assert len(threads(response)) == n


# --- The order list's marker ---------------------------------------------------------------------
def test_order_list_marks_rows_whose_buyer_waits_and_unmarks_them_when_answered(
    signed_in, seller, buyer
):
    """
    The row is a cached fragment: a message does not move the order's version, so the
    marker must come and go with the message alone.
    """
    waiting = OrderFactory(buyer=buyer, seller=seller)
    quiet = OrderFactory(buyer=buyer, seller=seller)
    list_url = reverse("sellercentral:orders")
    signed_in.get(list_url)  # both rows cached without a marker

    say(waiting, "buyer", hours_ago=1)
    marked = marked_rows(signed_in.get(list_url), [waiting, quiet])
    say(waiting, "seller", "Ships today.")
    after_answer = marked_rows(signed_in.get(list_url), [waiting, quiet])

    assert marked == [waiting.number]
    assert after_answer == []


def marked_rows(response, orders) -> list[str]:
    """The numbers of ``orders`` whose row on the list carries the marker."""
    rows = response.content.decode().split('data-testid="order-row"')[1:]
    assert len(rows) == len(orders)
    return [
        order.number
        for order in orders
        for row in rows
        if order.number in row and 'data-testid="message-flag"' in row
    ]
