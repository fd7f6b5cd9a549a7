"""Who acts: the actor's user as the services read it, and the signed-in user of a page."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from orders.actors import Actor, signed_in_user
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_acts_with_their_user_and_the_system_with_none():
    """Given a buyer and the system, the buyer's user id is theirs and the system has none."""
    user = UserFactory()

    buyer, system = Actor.buyer(user), Actor.system()

    assert (buyer.user_id, buyer.person()) == (user.pk, user)
    assert system.user_id is None


def test_an_act_only_a_person_does_refuses_the_system():
    with pytest.raises(ValueError, match="System acts without a user"):
        Actor.system().person()


def test_a_signed_in_page_reads_its_user(rf):
    user = UserFactory()
    request = rf.get("/")
    request.user = user

    assert signed_in_user(request) == user


def test_a_signed_in_page_refuses_an_anonymous_visitor(rf):
    """Sign-in comes first on these pages; should it not, nobody acts as no one."""
    request = rf.get("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        signed_in_user(request)


def test_a_buyer_and_a_seller_play_on_their_own_orders_only():
    """Given an order, its buyer and seller play on it, another buyer and seller do not,
    and staff and the system act on any order."""
    order = OrderFactory()
    other = UserFactory()

    assert Actor.buyer(order.buyer).plays_on(order)
    assert Actor.seller(order.seller.user).plays_on(order)
    assert not Actor.buyer(other).plays_on(order)
    assert not Actor.seller(other).plays_on(order)
    assert not Actor.buyer(order.seller.user).plays_on(order)
    assert Actor.staff(other).plays_on(order)
    assert Actor.system().plays_on(order)
