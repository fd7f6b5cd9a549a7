"""What a case says of itself, read from its own fields."""

import pytest

from disputes.models import Dispute

Status = Dispute.Status


AWAITS_BUYER = {Status.SELLER_RESPONDED}


@pytest.mark.parametrize("status", list(Status))
def test_a_case_awaits_the_buyer_once_the_seller_responded(status):
    """The order page's panel puts the case first while the buyer's answer moves it on:
    only after the seller responded; not while open, escalated or closed."""
    case = Dispute(status=status)

    assert case.awaits_buyer is (status in AWAITS_BUYER)
