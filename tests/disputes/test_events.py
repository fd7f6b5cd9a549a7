"""The case events of the order timeline, in each reader's voice (``disputes.events``)."""

import pytest

from disputes.models import DisputeEvent
from orders.events import Reader, render
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def event(order, type_, role, summary="Stored words.", **payload):
    return OrderEvent.objects.create(
        order=order, type=type_, actor_role=role, summary=summary, payload={"dispute": 7, **payload}
    )


def test_the_seller_reads_their_own_silence_and_staffs_question_as_you(delivered_order):
    silence = event(delivered_order, DisputeEvent.ESCALATED, "system", by="system")
    question = event(delivered_order, DisputeEvent.INFORMATION_REQUESTED, "staff")

    assert render(silence, Reader.SELLER) == (
        "You did not respond in time, so case 7 went to marketplace staff for review."
    )
    assert render(silence, Reader.BUYER).startswith("The seller did not respond in time")
    assert render(question, Reader.SELLER) == (
        "Marketplace staff asked you for more information in case 7."
    )
    assert render(question, Reader.BUYER) == "Stored words."


def test_decisions_and_withdrawals_name_each_reader(delivered_order):
    for_buyer = event(delivered_order, DisputeEvent.RESOLVED_FOR_BUYER, "staff", refund="25.00")
    for_seller = event(delivered_order, DisputeEvent.RESOLVED_FOR_SELLER, "staff", refund="0")
    withdrawn = event(delivered_order, DisputeEvent.WITHDRAWN, "buyer", refund="0")

    assert render(for_buyer, Reader.BUYER) == (
        "Marketplace staff decided case 7 for you. $25.00 is returned to you."
    )
    assert render(for_buyer, Reader.SELLER) == (
        "Marketplace staff decided case 7 for the buyer. $25.00 is returned to the buyer."
    )
    assert render(for_seller, Reader.SELLER) == "Marketplace staff decided case 7 for you."
    assert render(for_seller, Reader.BUYER) == "Marketplace staff decided case 7 for the seller."
    assert render(withdrawn, Reader.BUYER) == "You withdrew case 7."
    assert render(withdrawn, Reader.SELLER) == "The buyer withdrew case 7."
    # Staff read the stored third person
    assert render(for_buyer, Reader.STAFF) == "Stored words."
