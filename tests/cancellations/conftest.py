import pytest

from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory


@pytest.fixture
def buyer():
    return UserFactory(username="bea")


@pytest.fixture
def seller():
    return SellerFactory(user=UserFactory(username="sam"), store_name="Sam's")


@pytest.fixture
def place(buyer, seller, django_capture_on_commit_callbacks):
    """Place an order through checkout: ``place({listing: qty}, card=...)``."""

    def place_order(items=None, *, card=GOOD_CARD, who=None):
        if items is None:
            items = {ListingFactory(seller=seller, stock=10, price="12.50"): 2}
        with django_capture_on_commit_callbacks(execute=True):
            (order,) = place_orders(
                buyer=who or buyer,
                items={listing.pk: qty for listing, qty in items.items()},
                address=ADDRESS,
                card_number=card,
            )
        return order

    return place_order
