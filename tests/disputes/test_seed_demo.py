"""seed_demo's Resolution Center: a case in each state, ready for the walk-through."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from disputes.models import Dispute
from orders.actors import Actor
from tests.disputes import as_shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True  # seed_demo is a laptop command
    call_command("seed_demo", history=False, verbosity=0)


def test_a_case_in_each_state(seeded):
    assert set(Dispute.objects.values_list("status", flat=True)) == set(Dispute.Status.values)


def test_an_offer_waits_for_buyer_and_an_escalated_case_for_staff(seeded):
    """`buyer` can accept the waiting offer; `staff` can resolve the escalated case."""
    User = get_user_model()
    offer = Dispute.objects.get(status=Dispute.Status.SELLER_RESPONDED)
    assert offer.buyer.username == "buyer" and offer.offer_kind == "partial"
    escalated = Dispute.objects.get(status=Dispute.Status.UNDER_REVIEW)
    assert escalated.seller_unresponsive

    as_shown.resolve_for_buyer(
        dispute_id=escalated.pk,
        note="Refunded",
        actor=Actor.staff(User.objects.get(username="staff")),
    )
    as_shown.accept_offer(dispute_id=offer.pk, actor=Actor.buyer(offer.buyer))

    assert Dispute.objects.filter(status__in=Dispute.Status.values[:3]).count() == 1  # the open one


def test_seeding_twice_adds_no_case(seeded):
    count = Dispute.objects.count()
    call_command("seed_demo", history=False, verbosity=0)
    assert Dispute.objects.count() == count
