"""
The timeline writers of cancellations/events.py: each stores the facts of what happened and,
as the summary the buyer reads, the buyer's words for those facts.
"""

import pytest

from cancellations import events
from cancellations.models import Reason
from cancellations.services.requests import decline_request, request_cancellation
from orders.actors import Actor
from orders.events import Reader, render
from orders.models import OrderEvent
from tests.factories import ListingFactory

from .conftest import age

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(place, buyer):
    """A request for one unit of an order past quick cancel."""
    order = age(place(), hours=2)
    return request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )


def test_a_request_stores_its_facts_and_the_buyers_words(asked):
    """Given an order past quick cancel, when the buyer asks, then the row keeps the facts."""
    line = asked.order.lines.get()
    event = asked.order.events.get(type=OrderEvent.Type.CANCELLATION_REQUESTED)
    assert event.payload == {
        "request": asked.pk,
        "reason": Reason.FOUND_CHEAPER,
        "items": f"1 × {line.title}",
    }
    assert event.summary == (
        f"You asked the seller to cancel 1 × {line.title} (Found cheaper somewhere else)."
    )
    assert render(event, Reader.BUYER) == event.summary
    assert render(event, Reader.SELLER) == (
        f"The buyer asked you to cancel 1 × {line.title} (Found cheaper somewhere else)."
    )


def test_a_summary_longer_than_the_timeline_holds_is_shortened(place, buyer, seller):
    """
    Given two items with the longest titles, when the buyer asks to cancel both, then the
    summary fits its column and the facts keep every title whole.
    """
    listings = {ListingFactory(seller=seller, stock=5, title=letter * 200): 1 for letter in "AB"}
    order = age(place(listings), hours=2)
    request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1 for line in order.lines.all()},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )
    event = order.events.get(type=OrderEvent.Type.CANCELLATION_REQUESTED)
    assert len(event.summary) == events.SUMMARY_MAX_LENGTH
    assert event.summary.endswith("…")
    assert event.payload["items"] == f"1 × {'A' * 200}, 1 × {'B' * 200}"


def test_a_decline_keeps_the_sellers_note_as_a_fact(asked, seller):
    decline_request(
        request_id=asked.pk, note="  Packed already.  ", actor=Actor.seller(seller.user)
    )
    event = asked.order.events.get(type=OrderEvent.Type.CANCELLATION_REQUEST_DECLINED)
    assert event.payload == {"request": asked.pk, "note": "Packed already."}
    assert event.summary == "The seller declined the cancellation request: “Packed already.”"
    assert render(event, Reader.STAFF) == (
        "The seller declined the buyer's cancellation request: “Packed already.”"
    )
