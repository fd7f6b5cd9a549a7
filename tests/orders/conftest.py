"""Fixtures shared by the orders tests: the people of an order and a plain order."""

import pytest

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
