"""Fixtures shared by the orders tests: the people of an order and a plain order."""

import pytest
from celery.app.task import Task
from kombu.exceptions import OperationalError

from notifications import outbox
from tests.factories import OrderFactory, SellerFactory, UserFactory


@pytest.fixture
def buyer():
    return UserFactory(username="bea", first_name="Bea")


@pytest.fixture
def buyer2():
    return UserFactory(username="bob", first_name="Bob")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam"), store_name="Sam's Paper")


@pytest.fixture
def seller2():
    return SellerFactory(user=UserFactory(username="sue"), store_name="Sue's Pens")


@pytest.fixture
def order(buyer, seller):
    return OrderFactory(buyer=buyer, seller=seller)


@pytest.fixture
def broker_down(monkeypatch):
    """
    Every publish to the broker fails, as with Redis down. The outbox then pauses
    dispatching for a while (module state); monkeypatch puts that back after the test
    so the tests that follow publish (eagerly) again.
    """

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    monkeypatch.setattr(outbox, "_broker_paused_until", outbox._broker_paused_until)
