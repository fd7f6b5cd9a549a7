"""
disputes.notifications: every case email is written for its reader (the buyer reads
"You opened a case", the seller "The buyer opened a case"), subjects too; each has an
HTML part; a closed case's email points to the case without asking for an answer.
"""

from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Profile
from core.formatting import format_when
from disputes import services
from orders.actors import Actor
from tests.disputes import as_shown

pytestmark = pytest.mark.django_db


def to(mailoutbox, user):
    (message,) = [m for m in mailoutbox if m.to == [user.email]]
    return message


def html_of(message) -> str:
    """The HTML part, its entities read as the characters a mail client shows."""
    (alternative,) = message.alternatives
    assert alternative.mimetype == "text/html"
    return unescape(alternative.content)


def test_opening_a_case_tells_the_buyer_you_and_the_seller_the_buyer(
    open_case, buyer, seller, mailoutbox, settings
):
    """The buyer reads what they did; the seller reads what the buyer did, and when to answer."""
    settings.SITE_URL = "https://shop.example"
    mailoutbox.clear()

    dispute = open_case()

    number = dispute.order.number
    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert to_buyer.subject == f"Case {dispute.pk}, order {number}: You opened a case"
    assert to_seller.subject == f"Case {dispute.pk}, order {number}: The buyer opened a case"
    link = f"https://shop.example/resolution-center/cases/{dispute.pk}/"
    for text in (to_buyer.body, html_of(to_buyer)):
        assert "Hello Bea," in text
        assert f"You opened a case about order {number}: Item not as described." in text
        assert "The buyer opened" not in text
        assert "Waiting for the seller's answer" in text
        assert "The seller is asked to answer by" in text
        assert "The notebook has 80 pages, not 160." in text
        assert link in text
    for text in (to_seller.body, html_of(to_seller)):
        assert "Hello Sam's," in text
        assert f"The buyer opened a case about order {number}: Item not as described." in text
        assert "You opened" not in text
        assert "Waiting for your answer" in text
        assert "Please answer by" in text
        assert link in text
    # The case waits for the seller: the seller is asked to answer, the buyer to look
    for text in (to_seller.body, html_of(to_seller)):
        assert "Read and answer the case" in text
    for text in (to_buyer.body, html_of(to_buyer)):
        assert "See the case" in text
        assert "Read and answer" not in text


def test_the_buyers_reply_tells_the_seller_the_buyer_responded(
    open_case, buyer, seller, run_outbox, mailoutbox
):
    """After the seller answered, a buyer's message is "the buyer responded", not the status."""
    dispute = open_case()
    run_outbox(
        services.post_message, dispute_id=dispute.pk, body="Hi", actor=Actor.seller(seller.user)
    )
    mailoutbox.clear()

    run_outbox(
        services.post_message,
        dispute_id=dispute.pk,
        body="Still 80 pages.",
        actor=Actor.buyer(buyer),
    )

    (message,) = mailoutbox
    assert message.to == [seller.user.email]
    assert message.subject.endswith(": The buyer responded")
    assert "seller responded" not in message.subject.lower()
    assert "The buyer wrote:" in message.body and "Still 80 pages." in message.body
    assert "You responded" in message.body  # the case's state, in the seller's words
    assert "Read and answer the case" in message.body  # the buyer's message waits on them


def test_an_offer_and_its_acceptance_are_worded_for_each_side(
    open_case, buyer, seller, run_outbox, mailoutbox
):
    """The seller reads "You offered", the buyer "You accepted the seller's offer"."""
    dispute = open_case()
    mailoutbox.clear()

    run_outbox(
        services.make_offer,
        dispute_id=dispute.pk,
        kind="partial",
        amount="5",
        actor=Actor.seller(seller.user),
    )

    assert to(mailoutbox, seller.user).subject.endswith(": You offered a partial refund of $5.00")
    assert "You offered the buyer a partial refund of $5.00." in to(mailoutbox, seller.user).body
    assert to(mailoutbox, buyer).subject.endswith(": The seller offered a partial refund of $5.00")
    assert "The seller offered you a partial refund of $5.00." in to(mailoutbox, buyer).body
    assert "The seller offered" not in to(mailoutbox, seller.user).body
    mailoutbox.clear()

    run_outbox(as_shown.accept_offer, dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert to_buyer.subject.endswith(": You accepted the seller's offer")
    assert "You accepted the seller's offer: $5.00 is refunded to your card." in to_buyer.body
    assert "The buyer accepted" not in to_buyer.body
    assert to_seller.subject.endswith(": The buyer accepted your offer")
    assert "The buyer accepted your offer: $5.00 is refunded to the buyer." in to_seller.body


def test_a_closed_case_email_points_to_the_case_without_asking_for_an_answer(
    open_case, buyer, seller, run_outbox, mailoutbox
):
    """A withdrawn case: "See the case", never "Read and answer the case", in both parts."""
    dispute = open_case()
    mailoutbox.clear()

    run_outbox(services.withdraw, dispute_id=dispute.pk, actor=Actor.buyer(buyer))

    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert to_buyer.subject.endswith(": You withdrew the case")
    assert to_seller.subject.endswith(": The buyer withdrew the case")
    for message in (to_buyer, to_seller):
        for text in (message.body, html_of(message)):
            assert "See the case" in text
            assert "answer the case" not in text
    assert "Withdrawn by you" in to_buyer.body
    assert "Withdrawn by the buyer" in to_seller.body


def test_a_decision_for_the_buyer_is_worded_for_each_side(
    open_case, buyer, seller, staff, run_outbox, mailoutbox
):
    """Staff's decision: "decided for you" to the buyer, the defect rate to the seller."""
    dispute = open_case()
    services.escalate(dispute_id=dispute.pk, actor=Actor.seller(seller.user))
    mailoutbox.clear()

    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=dispute.pk,
        note="The listing promised 160 pages.",
        actor=Actor.staff(staff),
    )

    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert to_buyer.subject.endswith(": Decided for you")
    assert "Marketplace staff decided the case for you: $25.00 is returned to you." in (
        to_buyer.body
    )
    assert to_seller.subject.endswith(": Decided for the buyer")
    assert "counts toward your order defect rate" in to_seller.body
    assert "See the case" in to_seller.body


def test_escalating_tells_who_asked_you_and_the_other_party_who(
    open_case, buyer, seller, run_outbox, mailoutbox
):
    """The seller who escalates reads "You asked…"; the buyer reads "The seller asked…"."""
    dispute = open_case()
    mailoutbox.clear()

    run_outbox(services.escalate, dispute_id=dispute.pk, actor=Actor.seller(seller.user))

    assert to(mailoutbox, seller.user).subject.endswith(
        ": You asked marketplace staff to review the case"
    )
    assert to(mailoutbox, buyer).subject.endswith(
        ": The seller asked marketplace staff to review the case"
    )
    assert "Under review by marketplace staff" in to(mailoutbox, buyer).body


def test_each_reader_gets_the_answer_by_time_in_their_own_zone(
    open_case, buyer, seller, mailoutbox
):
    """Bea reads Tokyo time, Sam Berlin time: one deadline, each in the reader's zone."""
    Profile.objects.create(user=buyer, time_zone="Asia/Tokyo")
    Profile.objects.create(user=seller.user, time_zone="Europe/Berlin")
    mailoutbox.clear()

    dispute = open_case()

    to_buyer, to_seller = to(mailoutbox, buyer), to(mailoutbox, seller.user)
    assert f"answer by {as_local(dispute.respond_by, 'Asia/Tokyo')}" in to_buyer.body
    assert f"answer by {as_local(dispute.respond_by, 'Europe/Berlin')}" in to_seller.body


def as_local(moment, zone) -> str:
    with timezone.override(ZoneInfo(zone)):
        return format_when(moment)
