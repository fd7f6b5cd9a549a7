"""
Cancel Items' form from the page cache (core.pagecache): served while the order's rows are
unchanged and neither its quick-cancel window nor its ship-by date has passed; what the
seller or a job changes shows on the next view, and nobody else ever gets the page.
"""

from dataclasses import fields
from datetime import timedelta

import pytest
from django.urls import reverse

from cancellations.models import Reason
from cancellations.rules import direct_cancel_deadline
from cancellations.services.cancel import cancel_items
from cancellations.services.seller import cancel_as_seller
from catalog.services import StoreDetails, update_store
from orders.actors import Actor
from orders.services import start_preparing
from tests.factories import DECLINED_CARD, ListingFactory, UserFactory
from tests.pagecache import assert_served_as_rendered, at_moment, long_sessions, walk

from .conftest import age, ship

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def order(place, seller):
    """2 notebooks and 1 pencil, just placed: cancelled at once for the next 30 minutes."""
    notebook = ListingFactory(seller=seller, title="Blue notebook", price="12.50", stock=5)
    pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
    return place({notebook: 2, pencil: 1})


def url(order) -> str:
    return reverse("cancellations:cancel_items", args=[order.number])


def form(client, order):
    response = client.get(url(order))
    assert response.status_code == 200
    return response


def main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def line(order, title):
    return order.lines.get(title=title)


def test_the_form_is_served_from_the_cache_while_nothing_changed(client, buyer, order):
    client.force_login(buyer)

    first = form(client, order)
    again = form(client, order)

    assert not getattr(first, "from_page_cache", False)
    assert again.from_page_cache
    assert "Blue notebook" in main(again)
    # The CSRF token is this request's, not the stored page's.
    assert 'name="csrfmiddlewaretoken" value="' in main(again)
    assert "\ue000" not in again.content.decode()


def test_what_the_seller_ships_or_cancels_leaves_the_form(client, buyer, seller, order):
    client.force_login(buyer)
    assert "Red pencil" in main(form(client, order))

    cancel_as_seller(
        order_id=order.pk,
        reason=Reason.NO_INVENTORY,
        actor=Actor.seller(seller.user),
        quantities={line(order, "Red pencil").pk: 1},
    )
    after_cancel = form(client, order)
    assert not getattr(after_cancel, "from_page_cache", False)
    assert "Red pencil" not in main(after_cancel)

    ship(order, seller, {line(order, "Blue notebook").pk: 1})
    assert "· 1 not shipped" in main(form(client, order))


def test_a_cancellation_made_elsewhere_shows_and_the_last_one_closes_the_form(client, buyer, order):
    """The buyer cancels in another tab: the form follows; with nothing left, it is gone."""
    client.force_login(buyer)
    form(client, order)
    notebooks = line(order, "Blue notebook")

    cancel_items(
        order_id=order.pk,
        quantities={notebooks.pk: 2},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )
    assert "Blue notebook" not in main(form(client, order))

    cancel_items(
        order_id=order.pk,
        quantities={line(order, "Red pencil").pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )
    assert client.get(url(order)).status_code == 302  # to the order page: nothing left


def test_a_store_rename_shows_on_the_next_view(client, buyer, seller, order):
    client.force_login(buyer)
    form(client, order)

    details = {field.name: getattr(seller, field.name) for field in fields(StoreDetails)}
    update_store(seller_id=seller.pk, details=StoreDetails(**{**details, "store_name": "Ink & Co"}))

    assert "from Ink &amp; Co" in main(form(client, order))


def test_the_quick_cancel_window_closing_turns_the_form_into_a_request(client, buyer, order):
    client.force_login(buyer)
    assert "You can cancel right away" in main(form(client, order))
    assert form(client, order).from_page_cache

    with at_moment(direct_cancel_deadline(order) + timedelta(seconds=1)):
        assert "ask the seller" in main(form(client, order))


@pytest.mark.parametrize("state", ["unshipped", "preparing", "declined", "partly_shipped"])
def test_the_form_is_served_as_rendered_as_time_goes_by(
    client, buyer, seller, place, order, settings, state
):
    """
    Quick-cancel window, then a request, then late (cancel at no cost): at every instant
    of 45 days the served form is a fresh one.
    """
    long_sessions(settings)
    if state == "preparing":
        start_preparing(order_id=order.pk, actor=Actor.seller(seller.user))
    elif state == "declined":
        order = place(card=DECLINED_CARD)
    elif state == "partly_shipped":
        ship(age(order, hours=1), seller, {line(order, "Blue notebook").pk: 1})
    client.force_login(buyer)

    assert assert_served_as_rendered(client, url(order), settings, at=walk()) > 0


def test_another_account_never_gets_the_form(client, buyer, order):
    someone = UserFactory(username="eve")
    client.force_login(someone)
    assert client.get(url(order)).status_code == 404

    client.force_login(buyer)
    form(client, order)
    assert form(client, order).from_page_cache

    client.force_login(someone)
    assert client.get(url(order)).status_code == 404
    client.force_login(order.seller.user)
    assert client.get(url(order)).status_code == 404


def test_the_form_makes_a_fixed_number_of_queries(
    client, buyer, order, settings, django_assert_num_queries
):
    """
    Rendered: session, user, the nav's seller check, the order with its parties and
    payment, its lines. From the page cache: session, user, seller check, the digest.
    """
    client.force_login(buyer)
    settings.PAGE_CACHE = False
    with django_assert_num_queries(5):
        form(client, order)

    settings.PAGE_CACHE = True
    with django_assert_num_queries(6):  # the digest, then the render it stores
        form(client, order)
    with django_assert_num_queries(4):
        assert form(client, order).from_page_cache
