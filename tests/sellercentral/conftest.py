import pytest

# Seller Central shows the orders', the cancellations' and the returns' people and orders:
# the same buyer, sellers, checkout and delivered orders as their tests.
from tests.cancellations.conftest import age, place  # noqa: F401
from tests.orders.conftest import buyer, order, seller, seller2  # noqa: F401
from tests.returns.conftest import delivered  # noqa: F401


@pytest.fixture
def signed_in(client, seller):  # noqa: F811 - the imported fixture, by name
    client.force_login(seller.user)
    return client
