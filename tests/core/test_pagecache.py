"""
The page cache (core.pagecache) on the buyer's order page: served from the cache only
while every row it shows and every deadline it names are as they were, each request with
its own CSRF token, nonce and relative times, and never to anyone else.
"""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Reason
from cancellations.services import cancel_items
from core import caching, formatting, pagecache
from orders.actors import Actor
from orders.models import Order, OrderStatus
from orders.services import mark_delivered, place_orders, post_message
from payments.models import PaymentTransaction
from tests.factories import (
    ADDRESS,
    DECLINED_CARD,
    GOOD_CARD,
    ListingFactory,
    SellerFactory,
    UserFactory,
    shipped_order,
)
from tests.pagecache import (
    CSRF,
    assert_served_as_rendered,
    at_moment,
    long_sessions,
    normalized,
    walk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return UserFactory(username="bea", first_name="Bea")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam"), store_name="Sam's Paper")


def place(buyer, seller, card=GOOD_CARD, **listing) -> Order:
    item = ListingFactory(seller=seller, **{"price": Decimal("12.50"), "stock": 10, **listing})
    (order,) = place_orders(buyer=buyer, items={item.pk: 2}, address=ADDRESS, card_number=card)
    return order


def url(order) -> str:
    return reverse("orders:order_detail", args=[order.number])


@pytest.fixture
def signed_in(client, buyer, settings):
    long_sessions(settings)
    client.force_login(buyer)
    return client


def test_an_unchanged_page_is_served_from_the_cache_in_four_queries(signed_in, buyer, seller):
    order = place(buyer, seller)
    first = signed_in.get(url(order))

    with CaptureQueriesContext(connection) as queries:
        again = signed_in.get(url(order))

    assert not getattr(first, "from_page_cache", False)
    assert again.from_page_cache
    assert len(queries) == 4  # session, user, seller check (nav), the rows' digest
    assert normalized(again.content.decode()) == normalized(first.content.decode())


def test_each_browser_gets_a_csrf_token_of_its_own_that_works(buyer, seller, settings):
    """The cached page carries the token of the browser asking, so its form posts."""
    long_sessions(settings)
    order = place(buyer, seller)
    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    laptop.force_login(buyer)
    phone.force_login(buyer)
    laptop.get(url(order))

    page = phone.get(url(order))
    token = CSRF.search(page.content.decode())[0].split('value="')[1].rstrip('"')
    posted = phone.post(
        reverse("orders:order_message", args=[order.number]),
        {"body": "Is it gift-wrapped?", "csrfmiddlewaretoken": token},
    )

    assert page.from_page_cache
    assert posted.status_code == 302
    assert order.messages.filter(body="Is it gift-wrapped?").exists()


def _seller_writes(order, seller):
    post_message(order_id=order.pk, body="Shipping tomorrow.", actor=Actor.seller(seller.user))


def _seller_cancels(order, seller):
    cancel_items(
        order_id=order.pk,
        quantities={line.pk: 1 for line in order.lines.all()},
        reason=Reason.NO_INVENTORY,
        actor=Actor.seller(seller.user),
    )


def _outbox_settles_money(order, seller):
    # The outbox settles a money row without touching the order (payments.outbox).
    PaymentTransaction.objects.filter(payment=order.payment_id).update(
        status=PaymentTransaction.Status.FAILED
    )


def _store_renamed(order, seller):
    seller.store_name = "Sam's Fine Paper"
    seller.save(update_fields=["store_name"])


@pytest.mark.parametrize(
    "change", [_seller_writes, _seller_cancels, _outbox_settles_money, _store_renamed]
)
def test_a_change_by_anyone_shows_on_the_next_view(signed_in, buyer, seller, settings, change):
    order = place(buyer, seller)
    before = signed_in.get(url(order)).content.decode()
    signed_in.get(url(order))  # cached

    change(order, seller)

    assert_served_as_rendered(signed_in, url(order), settings)
    assert signed_in.get(url(order)).content.decode() != before


def test_another_buyer_never_gets_the_page(signed_in, client, buyer, seller):
    order = place(buyer, seller)
    signed_in.get(url(order))
    signed_in.get(url(order))  # cached for its buyer

    other = Client()
    other.force_login(UserFactory(username="bob"))
    seller_client = Client()
    seller_client.force_login(seller.user)

    assert other.get(url(order)).status_code == 404
    assert seller_client.get(url(order)).status_code == 404


def test_a_one_time_message_shows_once_and_the_page_after_it_is_current(signed_in, buyer, seller):
    order = place(buyer, seller)
    signed_in.get(url(order))

    sent = signed_in.post(
        reverse("orders:order_message", args=[order.number]), {"body": "Hello"}, follow=True
    )
    after = signed_in.get(url(order))

    assert "Message sent to Sam" in sent.content.decode()
    assert "Message sent to Sam" not in after.content.decode()
    assert "Hello" in after.content.decode()


def test_a_cache_that_fails_costs_a_fresh_render(signed_in, buyer, seller):
    order = place(buyer, seller)
    broken = mock.Mock()
    broken.get.side_effect = ConnectionError("refused")

    with mock.patch.object(caching, "cache", broken):
        response = signed_in.get(url(order))

    assert response.status_code == 200
    assert order.number in response.content.decode()
    broken.set.assert_not_called()  # a cache that did not answer is not written either


def test_a_page_cache_turned_off_renders_every_time(signed_in, buyer, seller, settings):
    settings.PAGE_CACHE = False
    order = place(buyer, seller)
    signed_in.get(url(order))

    assert not getattr(signed_in.get(url(order)), "from_page_cache", False)


# --- Time: what a page shows changes at its deadlines, and relative times every request ---
def _delivered(buyer, seller) -> Order:
    order = shipped_order(buyer=buyer, seller=seller)
    return mark_delivered(order_id=order.pk, actor=Actor.system())


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(lambda b, s: place(b, s), id="unshipped: cancel window, late"),
        pytest.param(lambda b, s: place(b, s, card=DECLINED_CARD), id="payment failed"),
        pytest.param(_delivered, id="delivered: return window"),
    ],
)
def test_the_cached_page_is_the_fresh_page_as_time_goes_by(
    signed_in, buyer, seller, settings, state
):
    order = state(buyer, seller)

    hits = assert_served_as_rendered(signed_in, url(order), settings, at=walk())

    assert hits > 0


def test_relative_times_are_written_for_each_request(signed_in, buyer, seller, settings):
    """ "just now" when cached becomes "10 minutes ago" ten minutes later, from the cache."""
    order = place(buyer, seller)
    now = timezone.now()

    pages = [
        assert_served_as_rendered(signed_in, url(order), settings, at=[moment])
        for moment in (now, now + timedelta(minutes=10))
    ]

    assert pages == [0, 1]  # rendered, then served: the order changed by neither
    assert Order.objects.get(pk=order.pk).status == OrderStatus.UNSHIPPED


def test_live_values_are_markers_while_a_page_renders_for_the_cache():
    moment = timezone.now() - timedelta(minutes=5)
    token = formatting.live_values()
    try:
        marked = formatting.format_ago(moment)
    finally:
        formatting.stop_live_values(token)

    assert "5 minutes" not in marked
    assert formatting.fill_live(f"<p>{marked}</p>", timezone.now()) == "<p>5 minutes ago</p>"


def test_a_deadline_named_outside_a_page_does_not_end_the_next_page(signed_in, buyer, seller):
    """A rule asked by a job or a POST names its instant to nobody, not to the next page."""
    order = place(buyer, seller)
    now = timezone.now()
    pagecache.expires(now + timedelta(seconds=1))  # no page is rendering
    signed_in.get(url(order))

    with at_moment(now + timedelta(seconds=2)):
        again = signed_in.get(url(order))

    assert again.from_page_cache
