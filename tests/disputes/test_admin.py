"""Cases in Django admin: filters, search, a read-only status, and permission-guarded decisions."""

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_when
from disputes import services
from disputes.models import Dispute
from orders.actors import Actor
from payments.models import Payment
from payments.services import schedule_release
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = Dispute.Status
CHANGELIST = reverse("admin:disputes_dispute_changelist")
BUTTONS = ["resolve_for_buyer", "resolve_for_seller", "ask_seller", "add_note"]


def change_url(case):
    return reverse("admin:disputes_dispute_change", args=[case.pk])


def button_url(name, case):
    return reverse(f"admin:disputes_dispute_{name}", args=[case.pk])


def as_confirmed(client, case, data):
    """``data`` posted with the figures the confirmation page carries, as it renders them now."""
    form = client.get(button_url("resolve_for_buyer", case)).context["form"]
    return {**{name: form[name].value() for name in ("refundable_seen", "unshipped_seen")}, **data}


def listed(client, **query):
    """The case ids a changelist query shows."""
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return sorted(case.pk for case in response.context["cl"].result_list)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def two_cases(open_case, place, ship, buyer, seller):
    """An escalated case of the seller unresponsive, and a fresh open one from another buyer."""
    from .conftest import past_due

    escalated = open_case()
    Dispute.objects.filter(pk=escalated.pk).update(
        respond_by=timezone.now() - timedelta(hours=1),
        created_at=timezone.now() - timedelta(days=3),
    )
    services.escalate_unresponsive(dispute_id=escalated.pk)
    other_buyer = UserFactory(username="otto", email="otto@example.org")
    other_order = ship(place(who=other_buyer))
    past_due(other_order)
    fresh = services.open_dispute(
        order_id=other_order.pk,
        reason=Dispute.Reason.ITEM_NOT_RECEIVED,
        description="Never came",
        actor=Actor.buyer(other_buyer),
    )
    return Dispute.objects.get(pk=escalated.pk), fresh


def test_filters_find_the_cases_staff_look_for(staff_client, two_cases):
    escalated, fresh = two_cases
    assert listed(staff_client, status="under_review") == [escalated.pk]
    assert listed(staff_client, status="open") == [fresh.pk]
    assert listed(staff_client, escalated__exact="1") == [escalated.pk]
    assert listed(staff_client, seller_unresponsive__exact="1") == [escalated.pk]
    assert listed(staff_client, status="all", reason="item_not_received") == [fresh.pk]
    assert listed(staff_client, status="all", age="lt2") == [fresh.pk]
    assert listed(staff_client, status="all", age="2to7") == [escalated.pk]
    assert listed(staff_client, status="all", age="gt30") == []


def test_the_list_opens_on_the_under_review_queue_and_all_is_one_click(staff_client, two_cases):
    """Staff's queue first: the bare list shows the cases under review; "All" shows both."""
    escalated, fresh = two_cases

    response = staff_client.get(CHANGELIST)

    assert sorted(case.pk for case in response.context["cl"].result_list) == [escalated.pk]
    page = response.content.decode()
    assert '<li class="selected">\n    <a href="?status=under_review"' in page
    assert 'href="?status=all"' in page
    # Django's "Show all" beside the count would reopen the queue: it asks for every case
    assert '<a href="?status=all" data-testid="show-all-cases">Show all cases</a>' in page
    assert listed(staff_client, status="all") == sorted([escalated.pk, fresh.pk])
    # The other filters keep to the queue until staff choose another status
    assert listed(staff_client, reason="item_not_received") == []


def test_a_search_looks_through_every_case_whatever_its_status(staff_client, two_cases):
    """An order number typed in the search finds its case even when it is not under review."""
    _escalated, fresh = two_cases
    assert listed(staff_client, q=fresh.order.number) == [fresh.pk]


@pytest.mark.parametrize(
    ("query", "which"),
    [("bea", 0), ("otto@example.org", 1), ("sam", None), ("Sam's", None)],
)
def test_search_by_buyer_seller_and_store(staff_client, two_cases, query, which):
    expected = sorted(c.pk for c in two_cases) if which is None else [two_cases[which].pk]
    assert listed(staff_client, q=query) == expected


def test_search_by_order_number(staff_client, two_cases):
    escalated, _fresh = two_cases
    assert listed(staff_client, q=escalated.order.number) == [escalated.pk]


def test_the_case_page_is_read_only_with_thread_timeline_and_money(staff_client, two_cases, staff):
    escalated, _fresh = two_cases
    services.post_message(
        dispute_id=escalated.pk,
        body="<b>check</b> the seller",
        actor=Actor.staff(staff),
        internal=True,
    )

    page = staff_client.get(change_url(escalated)).content.decode()

    assert 'name="status"' not in page and 'name="_save"' not in page
    assert "Under review by the marketplace" in page
    assert 'data-testid="payment-summary"' in page and "Still refundable" in page
    assert "$25.00" in page
    assert 'data-testid="order-timeline"' in page and "did not respond in time" in page
    assert "&lt;b&gt;check&lt;/b&gt; the seller" in page  # the internal note, as text
    for name in BUTTONS:
        assert button_url(name, escalated) in page


def test_admin_dates_read_like_the_portals_with_the_zone_named(staff_client, two_cases, settings):
    """Admin's own date fields, the list and the timeline: "Nov 28, 2026, 2:05 PM EST"."""
    settings.DISPLAY_TIME_ZONE = "America/New_York"
    escalated, _fresh = two_cases

    page = staff_client.get(change_url(escalated)).content.decode()
    listing = staff_client.get(CHANGELIST, {"status": "all"}).content.decode()

    with timezone.override(ZoneInfo("America/New_York")):
        opened = format_when(escalated.created_at)
        first_event = format_when(escalated.order.events.earliest("created_at").created_at)
    assert opened.endswith((" EST", " EDT"))
    assert opened in page  # the "created at" read-only field, formatted by Django
    assert first_event in page  # the order timeline
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", listing)
    for text in (page, listing):
        assert "a.m." not in text and "p.m." not in text and "midnight" not in text


def test_admin_pages_carry_the_portals_favicon(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page


def test_no_add_or_delete_and_no_status_edit(two_cases):
    escalated, _fresh = two_cases
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert admin.get(reverse("admin:disputes_dispute_add")).status_code == 403
    assert (
        admin.get(reverse("admin:disputes_dispute_delete", args=[escalated.pk])).status_code == 403
    )
    response = admin.post(change_url(escalated), {"status": "resolved_for_seller"})
    assert response.status_code == 403
    assert Dispute.objects.get(pk=escalated.pk).status == Status.UNDER_REVIEW


def test_staff_without_the_permission_see_no_buttons_and_get_403(client, clerk, two_cases):
    """A clerk may read the case, but every decision page and POST is 403 and changes nothing."""
    escalated, _fresh = two_cases
    client.force_login(clerk)

    page = client.get(change_url(escalated)).content.decode()

    assert "Resolve for buyer" not in page
    for name in BUTTONS:
        assert client.get(button_url(name, escalated)).status_code == 403
        assert (
            client.post(button_url(name, escalated), {"note": "x", "refund": "full"}).status_code
            == 403
        )
    escalated.refresh_from_db()
    assert escalated.status == Status.UNDER_REVIEW and escalated.messages.count() == 1


def test_the_marketplace_staff_group_may_resolve(client, two_cases):
    """The data migration gave the group the permission the walk-through's staff needs."""
    escalated, _fresh = two_cases
    member = UserFactory(username="member", is_staff=True)
    member.groups.add(Group.objects.get(name="Marketplace staff"))
    assert member.has_perm("disputes.resolve_dispute")
    client.force_login(member)
    assert client.get(button_url("resolve_for_buyer", escalated)).status_code == 200


def test_resolve_for_buyer_confirms_first_then_refunds_in_full(
    staff_client, two_cases, django_capture_on_commit_callbacks, mailoutbox
):
    escalated, _fresh = two_cases
    confirm = staff_client.get(button_url("resolve_for_buyer", escalated))
    assert confirm.status_code == 200
    assert 'name="note"' in confirm.content.decode()
    assert Dispute.objects.get(pk=escalated.pk).status == Status.UNDER_REVIEW  # GET changed nothing
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            button_url("resolve_for_buyer", escalated),
            as_confirmed(staff_client, escalated, {"refund": "full", "note": "Not as described."}),
            follow=True,
        )

    assert "decided for the buyer" in response.content.decode()
    escalated.refresh_from_db()
    assert escalated.status == Status.RESOLVED_FOR_BUYER
    assert Payment.objects.get(pk=escalated.order.payment_id).amount_refunded == Decimal("25.00")
    assert all("Not as described." in mail.body for mail in mailoutbox) and len(mailoutbox) == 2


def test_resolve_for_buyer_with_a_partial_amount(staff_client, two_cases):
    escalated, _fresh = two_cases
    staff_client.post(
        button_url("resolve_for_buyer", escalated),
        as_confirmed(staff_client, escalated, {"refund": "partial", "amount": "4.20", "note": "n"}),
    )
    assert Dispute.objects.get(pk=escalated.pk).refund_amount == Decimal("4.20")


@pytest.mark.parametrize(
    "data",
    [
        {"refund": "partial", "note": "n"},
        {"refund": "partial", "amount": "0", "note": "n"},
        {"refund": "partial", "amount": "25.01", "note": "n"},
        {"refund": "partial", "amount": "1.234", "note": "n"},
        {"refund": "partial", "amount": "x", "note": "n"},
        {"refund": "full", "note": ""},
        {"refund": "full", "note": "nul\x00"},
        {"refund": "everything", "note": "n"},
        {"refund": "full", "note": "n", "refundable_seen": "x"},
        {"refund": "full", "note": "n", "unshipped_seen": ""},
    ],
)
def test_bad_decisions_are_form_errors(staff_client, two_cases, data):
    escalated, _fresh = two_cases
    response = staff_client.post(
        button_url("resolve_for_buyer", escalated), as_confirmed(staff_client, escalated, {}) | data
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode() or "errornote" in response.content.decode()
    assert Dispute.objects.get(pk=escalated.pk).status == Status.UNDER_REVIEW


def test_a_decision_on_money_that_moved_shows_the_new_figures_first(
    staff_client, two_cases, django_capture_on_commit_callbacks
):
    """The page said $25.00 refundable; $5 was refunded meanwhile: 409, then decide again."""
    escalated, _fresh = two_cases
    data = as_confirmed(staff_client, escalated, {"refund": "full", "note": "Not as described."})
    assert data["refundable_seen"] == Decimal("25.00")
    with django_capture_on_commit_callbacks(execute=True):
        schedule_release(
            payment_id=escalated.order.payment_id, amount=Decimal("5"), idempotency_key="goodwill"
        )

    response = staff_client.post(button_url("resolve_for_buyer", escalated), data)

    assert response.status_code == 409
    page = response.content.decode()
    assert "still refundable is now $20.00" in page
    assert '<strong data-testid="refundable">$20.00</strong>' in page
    assert Dispute.objects.get(pk=escalated.pk).status == Status.UNDER_REVIEW
    form = response.context["form"]
    assert form["note"].value() == "Not as described."  # what staff wrote is kept
    again = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(button_url("resolve_for_buyer", escalated), again)
    assert Dispute.objects.get(pk=escalated.pk).refund_amount == Decimal("20.00")


def test_resolve_for_seller_and_ask_for_information(staff_client, two_cases):
    escalated, fresh = two_cases
    staff_client.post(button_url("ask_seller", fresh), {"note": "Tracking number?"})
    fresh.refresh_from_db()
    assert fresh.status == Status.UNDER_REVIEW and fresh.information_requested_at

    staff_client.post(button_url("resolve_for_seller", escalated), {"note": "Delivered, signed."})

    escalated.refresh_from_db()
    assert escalated.status == Status.RESOLVED_FOR_SELLER
    assert escalated.decision_note == "Delivered, signed."


def test_a_closed_case_offers_no_decision(staff_client, two_cases):
    escalated, _fresh = two_cases
    staff_client.post(button_url("resolve_for_seller", escalated), {"note": "Done"})
    page = staff_client.get(change_url(escalated)).content.decode()
    assert button_url("resolve_for_buyer", escalated) not in page
    response = staff_client.post(
        button_url("resolve_for_buyer", escalated),
        {"refund": "full", "note": "again", "refundable_seen": "25.00", "unshipped_seen": "0"},
        follow=True,
    )
    assert "This case is closed" in response.content.decode()
    assert Dispute.objects.get(pk=escalated.pk).status == Status.RESOLVED_FOR_SELLER


def test_internal_notes_from_admin(staff_client, two_cases):
    escalated, _fresh = two_cases
    staff_client.post(button_url("add_note", escalated), {"note": "Seller has history"})
    note = escalated.messages.get(internal=True)
    assert note.role == "staff" and note.body == "Seller has history"


def test_decision_pages_need_csrf(staff, two_cases):
    escalated, _fresh = two_cases
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(button_url("resolve_for_seller", escalated), {"note": "n"})
    assert response.status_code == 403
    assert Dispute.objects.get(pk=escalated.pk).status == Status.UNDER_REVIEW
