"""
The case page from the page cache (core.pagecache): served while the case's, its order's
and its return's rows are unchanged and no deadline has passed, and never stale: what the
other party, staff, the beat job or the outbox change shows on the next view.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disputes import services
from disputes.admin import DisputeAdmin
from disputes.models import Dispute
from orders.actors import Actor
from payments.models import PaymentTransaction
from payments.services import execute_transaction
from tests.disputes import as_shown
from tests.factories import SellerFactory, UserFactory
from tests.pagecache import assert_served_as_rendered, at_moment, long_sessions, walk

pytestmark = pytest.mark.django_db


def signed_in(settings, user) -> Client:
    long_sessions(settings)
    client = Client()
    client.force_login(user)
    return client


def words(response) -> str:
    """The page's text with its whitespace as the reader sees it."""
    return " ".join(response.content.decode().split())


def offer(case, seller, amount="10.00"):
    return services.make_offer(
        dispute_id=case.pk, kind="partial", amount=Decimal(amount), actor=Actor.seller(seller.user)
    )


# --- Served from the cache, and never stale ---------------------------------------------------
def test_each_party_is_served_their_own_page_from_the_cache(settings, buyer, seller, open_case):
    """Viewed twice with nothing changed, each party's page is a hit, and each is their own."""
    case = open_case()
    as_buyer, as_seller = signed_in(settings, buyer), signed_in(settings, seller.user)
    url = case.get_absolute_url()
    assert not getattr(as_buyer.get(url), "from_page_cache", False)
    assert not getattr(as_seller.get(url), "from_page_cache", False)

    buyer_page, seller_page = as_buyer.get(url), as_seller.get(url)

    assert buyer_page.from_page_cache and seller_page.from_page_cache
    assert "Withdraw case" in buyer_page.content.decode()
    assert "Offer a refund" not in buyer_page.content.decode()
    assert "Offer a refund" in seller_page.content.decode()
    assert "Withdraw case" not in seller_page.content.decode()


def test_a_message_from_the_other_party_shows_on_the_next_view(settings, buyer, seller, open_case):
    case = open_case()
    as_buyer, as_seller = signed_in(settings, buyer), signed_in(settings, seller.user)
    url = case.get_absolute_url()
    as_buyer.get(url), as_seller.get(url)

    services.post_message(
        dispute_id=case.pk, body="Sending a new one", actor=Actor.seller(seller.user)
    )
    services.post_message(dispute_id=case.pk, body="Thank you", actor=Actor.buyer(buyer))

    assert "Sending a new one" in as_buyer.get(url).content.decode()
    assert "Thank you" in as_seller.get(url).content.decode()


def test_a_new_offer_shows_with_the_accept_fields_it_carries(settings, buyer, seller, open_case):
    """The Accept form carries the offer the page shows: a replaced offer is never served stale."""
    case = open_case()
    as_buyer = signed_in(settings, buyer)
    url = case.get_absolute_url()
    offer(case, seller, "10.00")
    assert 'name="refund" value="10.00"' in as_buyer.get(url).content.decode()
    assert as_buyer.get(url).from_page_cache

    offer(case, seller, "12.00")

    page = as_buyer.get(url).content.decode()
    assert 'name="offer" value="2"' in page
    assert 'name="refund" value="12.00"' in page


def test_the_beat_jobs_escalation_and_staffs_question_show(
    settings, buyer, seller, staff, open_case
):
    case = open_case()
    as_seller = signed_in(settings, seller.user)
    url = case.get_absolute_url()
    as_seller.get(url)

    later = case.respond_by + timedelta(minutes=1)
    with at_moment(later):
        assert services.escalate_unresponsive(dispute_id=case.pk, now=later)
        assert "Under review by the marketplace" in as_seller.get(url).content.decode()
        services.ask_seller_for_information(
            dispute_id=case.pk, note="Photos, please", actor=Actor.staff(staff)
        )
        assert "Photos, please" in as_seller.get(url).content.decode()


def test_a_decision_and_the_outbox_settling_its_refund_show(settings, buyer, staff, open_case):
    """Staff decide for the buyer (the refund pending), then the outbox settles the refund."""
    case = open_case()
    as_buyer = signed_in(settings, buyer)
    url = case.get_absolute_url()
    as_buyer.get(url)

    as_shown.resolve_for_buyer(dispute_id=case.pk, note="Scuffed", actor=Actor.staff(staff))
    page = as_buyer.get(url).content.decode()
    assert "Decided for the buyer" in page
    assert "Refund on its way" in page
    assert as_buyer.get(url).from_page_cache

    refund = PaymentTransaction.objects.get(
        payment__order=case.order, kind=PaymentTransaction.Kind.REFUND
    )
    execute_transaction(transaction_id=refund.pk)

    page = as_buyer.get(url).content.decode()
    assert "Refund on its way" not in page
    assert " ".join(page.split()).count("$25.00") >= 3  # total, charged, refunded


def test_units_shipped_after_the_case_opened_show_on_the_sellers_page(
    settings, seller, place, ship, open_case
):
    """Charged at checkout, one of two units shipped: shipping the other changes the figures."""
    from .conftest import past_due

    settings.PAYMENT_CAPTURE = "checkout"
    order = ship(place(quantity=2), units=1)
    past_due(order)
    case = open_case(order)
    as_seller = signed_in(settings, seller.user)
    url = case.get_absolute_url()
    assert "paid for items not yet shipped" in words(as_seller.get(url))
    assert as_seller.get(url).from_page_cache

    ship(order)

    page = words(as_seller.get(url))
    assert "paid for items not yet shipped" not in page
    assert "Up to $25.00 can be refunded." in page


def test_the_buyer_may_ask_staff_once_the_sellers_window_closes(settings, buyer, open_case):
    """No row changes when the seller's time runs out: the page names that instant."""
    case = open_case()
    as_buyer = signed_in(settings, buyer)
    url = case.get_absolute_url()
    with at_moment(case.respond_by - timedelta(minutes=1)):
        assert "Ask marketplace staff to decide" not in as_buyer.get(url).content.decode()
        assert as_buyer.get(url).from_page_cache

    with at_moment(case.respond_by + timedelta(seconds=1)):
        assert "Ask marketplace staff to decide" in as_buyer.get(url).content.decode()


def test_the_store_name_and_the_buyers_name_show(settings, buyer, seller, open_case):
    """Each party's own name is in their page's key; the other party's is a row it shows."""
    case = open_case()
    as_buyer, as_seller = signed_in(settings, buyer), signed_in(settings, seller.user)
    url = case.get_absolute_url()
    as_buyer.get(url), as_seller.get(url)

    seller.store_name = "Sam's Paper"
    seller.save(update_fields=["store_name"])
    assert "Sam&#x27;s Paper" in words(as_buyer.get(url))

    as_seller.get(url)
    buyer.first_name = "Beatrix"
    buyer.save(update_fields=["first_name"])
    assert "by Beatrix about order" in words(as_seller.get(url))


# --- The page as served is the page rendered, as time goes by ---------------------------------
def test_the_open_case_is_served_as_rendered_to_each_party(settings, buyer, seller, open_case):
    case = open_case()
    url = case.get_absolute_url()
    assert assert_served_as_rendered(signed_in(settings, buyer), url, settings, at=walk()) > 0
    assert assert_served_as_rendered(signed_in(settings, seller.user), url, settings, at=walk()) > 0


def test_an_offered_and_a_decided_case_are_served_as_rendered(
    settings, buyer, seller, staff, open_case, run_outbox
):
    case = open_case()
    url = case.get_absolute_url()
    as_buyer = signed_in(settings, buyer)
    offer(case, seller)
    assert assert_served_as_rendered(as_buyer, url, settings, at=walk()) > 0

    run_outbox(as_shown.accept_offer, dispute_id=case.pk, actor=Actor.buyer(buyer))
    assert Dispute.objects.get(pk=case.pk).status == Dispute.Status.RESOLVED_BY_AGREEMENT
    assert assert_served_as_rendered(as_buyer, url, settings, at=walk()) > 0
    as_seller = signed_in(settings, seller.user)
    assert assert_served_as_rendered(as_seller, url, settings, at=walk(days=10)) > 0


# --- Nobody else --------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["another buyer", "another seller"])
def test_another_account_never_gets_the_page(settings, buyer, open_case, who):
    case = open_case()
    url = case.get_absolute_url()
    stranger = UserFactory() if who == "another buyer" else SellerFactory().user
    as_stranger = signed_in(settings, stranger)
    assert as_stranger.get(url).status_code == 404

    as_buyer = signed_in(settings, buyer)
    as_buyer.get(url)
    assert as_buyer.get(url).from_page_cache

    assert as_stranger.get(url).status_code == 404


# --- Queries ----------------------------------------------------------------------------------
def test_the_case_page_makes_a_fixed_number_of_queries(
    settings, buyer, seller, open_case, django_assert_num_queries
):
    case = open_case()
    offer(case, seller)
    for body in ("One", "Two", "Three"):
        services.post_message(dispute_id=case.pk, body=body, actor=Actor.buyer(buyer))
    as_buyer = signed_in(settings, buyer)
    url = reverse("disputes:case_detail", args=[case.pk])

    # session, user, seller check, the rows' versions (core.rowversions), the case with
    # its parties, order, payment and return, the order's lines, the messages and their
    # authors, the payment's pending transactions
    with django_assert_num_queries(8):
        assert as_buyer.get(url).status_code == 200
    # Asked again with nothing changed: session, user, seller check, the rows' versions.
    with django_assert_num_queries(4):
        assert as_buyer.get(url).from_page_cache
    assert timezone.now() < case.respond_by


# --- The dispute list in admin ------------------------------------------------------------------
CHANGELIST = reverse("admin:disputes_dispute_changelist")


def listing(client, query="") -> tuple[str, bool]:
    """The list's text and whether it came from the page cache."""
    response = client.get(f"{CHANGELIST}{query}")
    assert response.status_code == 200
    return words(response), getattr(response, "from_page_cache", False)


def test_the_list_is_served_from_the_cache_with_admins_never_cache_headers(
    settings, staff, open_case
):
    """A hit still tells browsers and proxies never to keep an admin page."""
    open_case()
    as_staff = signed_in(settings, staff)
    as_staff.get(CHANGELIST, {"status": "all"})

    again = as_staff.get(CHANGELIST, {"status": "all"})

    assert again.from_page_cache
    assert "no-store" in again["Cache-Control"] and "private" in again["Cache-Control"]


def test_what_parties_jobs_and_staff_change_shows_on_the_list(
    settings, buyer, seller, staff, open_case, place, ship
):
    """A new case, the beat job's escalation, a renamed store and a decision show at once."""
    case = open_case()
    as_staff = signed_in(settings, staff)
    page, _hit = listing(as_staff, "?status=all")
    assert "1 result" in page
    assert listing(as_staff, "?status=all")[1]

    second = services.open_dispute(
        order_id=ship(place()).pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="Torn",
        actor=Actor.buyer(buyer),
    )
    assert f"Case {second.pk}" in listing(as_staff, "?status=all")[0]
    assert f"Case {case.pk}" not in listing(as_staff)[0]  # staff's queue: under review

    later = case.respond_by + timedelta(minutes=1)
    assert services.escalate_unresponsive(dispute_id=case.pk, now=later)
    assert f"Case {case.pk}" in listing(as_staff)[0]

    seller.store_name = "Sam's Paper"
    seller.save(update_fields=["store_name"])
    assert "Sam&#x27;s Paper" in listing(as_staff)[0]
    buyer.username = "renamed-buyer"
    buyer.save(update_fields=["username"])
    assert "renamed-buyer" in listing(as_staff)[0]

    services.resolve_for_seller(dispute_id=case.pk, note="Fine", actor=Actor.staff(staff))
    assert f"Case {case.pk}" not in listing(as_staff)[0]
    assert "Decided for the seller" in listing(as_staff, "?status=all")[0]


def test_a_case_on_another_page_shows_in_the_count(
    settings, monkeypatch, buyer, staff, open_case, place, ship
):
    """The first page's rows stay as they were; the count and the pager say there is more."""
    monkeypatch.setattr(DisputeAdmin, "list_per_page", 1)
    case = open_case()
    as_staff = signed_in(settings, staff)
    by_number = "?status=all&o=0"  # oldest case first: a new one goes to the last page
    assert "1 result" in listing(as_staff, by_number)[0]

    services.open_dispute(
        order_id=ship(place()).pk,
        reason=Dispute.Reason.NOT_AS_DESCRIBED,
        description="Torn",
        actor=Actor.buyer(buyer),
    )

    page, hit = listing(as_staff, by_number)
    assert not hit and "2 results" in page and f"Case {case.pk}" in page


def test_a_case_leaves_the_age_band_as_it_ages(settings, staff, open_case):
    """No row changes when a case turns two days old: a list by age is rendered each time."""
    case = open_case()
    as_staff = signed_in(settings, staff)
    assert f"Case {case.pk}" in listing(as_staff, "?status=all&age=lt2")[0]
    assert not listing(as_staff, "?status=all&age=lt2")[1]

    with at_moment(case.created_at + timedelta(days=2, minutes=1)):
        assert f"Case {case.pk}" not in listing(as_staff, "?status=all&age=lt2")[0]
        assert f"Case {case.pk}" in listing(as_staff, "?status=all&age=2to7")[0]


def test_a_permission_given_or_taken_shows_on_the_next_view(settings, staff, open_case):
    """Admin's sidebar lists what the staff member may view: a group's permission adds Orders."""
    open_case()
    as_staff = signed_in(settings, staff)
    assert 'href="/admin/orders/order/"' not in listing(as_staff)[0]
    assert listing(as_staff)[1]

    group = Group.objects.create(name="Order desk")
    group.permissions.add(Permission.objects.get(codename="view_order"))
    staff.groups.add(group)
    assert 'href="/admin/orders/order/"' in listing(as_staff)[0]

    staff.user_permissions.remove(Permission.objects.get(codename="view_dispute"))
    assert as_staff.get(CHANGELIST).status_code == 403


def test_the_list_is_served_as_rendered_as_time_goes_by(settings, staff, open_case):
    case = open_case()
    as_staff = signed_in(settings, staff)
    hits = assert_served_as_rendered(as_staff, f"{CHANGELIST}?status=all", settings, at=walk())
    assert hits > 0
    with at_moment(case.respond_by + timedelta(minutes=1)):
        services.escalate_unresponsive(dispute_id=case.pk)
    assert assert_served_as_rendered(as_staff, CHANGELIST, settings, at=walk()) > 0


def test_another_staff_member_gets_their_own_list_or_none(settings, staff, clerk, open_case):
    """A clerk's list is their own; staff who may not view cases get 403; others sign in."""
    open_case()
    as_staff = signed_in(settings, staff)
    nobody = signed_in(settings, UserFactory(is_staff=True))
    customer = signed_in(settings, UserFactory())
    assert nobody.get(CHANGELIST).status_code == 403
    as_staff.get(CHANGELIST), as_staff.get(CHANGELIST)

    assert nobody.get(CHANGELIST).status_code == 403
    assert customer.get(CHANGELIST).status_code == 302
    clerks, hit = listing(signed_in(settings, clerk))
    assert not hit and clerk.get_short_name() in clerks


def test_facet_counts_are_never_served_from_the_cache(settings, staff, open_case):
    """Facets count the whole table, which the list's rows do not cover."""
    open_case()
    as_staff = signed_in(settings, staff)
    listing(as_staff, "?_facets=True")
    assert not listing(as_staff, "?_facets=True")[1]


def test_the_list_makes_a_fixed_number_of_queries(
    settings, staff, open_case, django_assert_num_queries
):
    open_case()
    as_staff = signed_in(settings, staff)

    # session, user, admin's savepoint and its release (marketplace.admin), the versions
    # of every case (disputes.changelog) and of the staff member's permission rows, the
    # bounded count, the page of cases with their orders, buyers and stores, the seller
    # check, the permissions (the user's, their groups')
    with django_assert_num_queries(11):
        assert as_staff.get(CHANGELIST, {"status": "all"}).status_code == 200
    # Asked again with nothing changed: session, user, savepoint, the two versions, seller
    # check, release: no count, no page of cases.
    with django_assert_num_queries(7):
        assert as_staff.get(CHANGELIST, {"status": "all"}).from_page_cache
