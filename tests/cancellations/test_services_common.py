"""
What the writers share (cancellations/services/common.py): the request lock and its
pending check, and the note check.
"""

import pytest

from cancellations.models import Reason
from cancellations.services.common import AlreadyDone, CancellationError, lock_request
from cancellations.services.requests import request_cancellation, withdraw_request
from cancellations.services.seller import check_seller_choice
from orders.actors import Actor

from .conftest import age

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(place, buyer):
    order = age(place(), hours=2)
    line = order.lines.get()
    return request_cancellation(
        order_id=order.pk,
        quantities={line.pk: 1},
        reason=Reason.FOUND_CHEAPER,
        actor=Actor.buyer(buyer),
    )


def test_a_locked_request_reads_its_order_and_lines_from_the_lock(asked):
    locked = lock_request(asked.pk)
    assert locked.request.order is locked.order
    assert [line.pk for line in locked.lines] == [line.pk for line in asked.order.lines.all()]
    assert locked.still_pending
    locked.check_pending()  # pending: no refusal


def test_a_request_answered_meanwhile_is_refused_with_its_status(asked, buyer):
    """Given a withdrawn request, when it is locked to be answered, then it says so."""
    withdraw_request(request_id=asked.pk, actor=Actor.buyer(buyer))
    locked = lock_request(asked.pk)
    assert not locked.still_pending
    with pytest.raises(AlreadyDone, match="already answered: withdrawn"):
        locked.check_pending()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("nul\x00", "The memo contains a character that cannot be saved."),
        ("x" * 501, "The memo must be at most 500 characters."),
    ],
)
def test_a_memo_that_cannot_be_saved_is_refused_in_the_memos_words(note, message):
    with pytest.raises(CancellationError) as refusal:
        check_seller_choice(reason=Reason.CUSTOMER_EXCHANGE, note=note)
    assert str(refusal.value) == message
