import pytest

# Seller Central shows the orders' and the cancellations' people and orders: the same
# buyer, sellers and checkout as their tests.
from tests.cancellations.conftest import age, place  # noqa: F401
from tests.orders.conftest import buyer, order, seller, seller2  # noqa: F401


@pytest.fixture
def signed_in(client, seller):  # noqa: F811 - the imported fixture, by name
    client.force_login(seller.user)
    return client
