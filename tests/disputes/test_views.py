"""Resolution Center pages: access, CSRF, GET changes nothing, bad input is a form error."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from disputes import services, views
from disputes.models import Dispute, DisputeMessage
from orders.actors import Actor
from orders.models import ActorRole
from payments.models import Payment
from tests.disputes import as_shown
from tests.factories import OrderFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Dispute.Status


def url(name, case):
    return reverse(f"disputes:{name}", args=[case.pk])


def open_url(order):
    return reverse("disputes:open_case", args=[order.number])


def text(response):
    return response.content.decode()


def accept_fields(page):
    """The Accept form's hidden fields as the case page rendered them."""
    return dict(re.findall(r'<input type="hidden" name="(offer|refund)" value="([^"]*)"', page))


def snapshot(case):
    case = Dispute.objects.get(pk=case.pk)
    return (case.status, case.offer_amount, case.updated_at, DisputeMessage.objects.count())


# --- Open a case -----------------------------------------------------------------------------
def test_the_order_page_links_to_open_a_case_then_to_the_case(
    client, buyer, delivered_order, open_case
):
    """Given a delivered order, its page offers "Open a case"; once open, it links to the case."""
    client.force_login(buyer)
    page = text(client.get(delivered_order.get_absolute_url()))
    assert open_url(delivered_order) in page

    case = open_case()

    page = text(client.get(delivered_order.get_absolute_url()))
    assert case.get_absolute_url() in page
    assert open_url(delivered_order) not in page


def test_the_buyer_opens_a_case_from_the_form(client, buyer, delivered_order):
    client.force_login(buyer)
    assert client.get(open_url(delivered_order)).status_code == 200

    response = client.post(
        open_url(delivered_order),
        {"reason": "not_as_described", "description": "Wrong colour"},
        follow=True,
    )

    case = Dispute.objects.get()
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert "Case opened" in text(response)
    assert case.description == "Wrong colour" and case.status == Status.OPEN


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"reason": "nope", "description": "x"},
        {"reason": "not_as_described", "description": ""},
        {"reason": "not_as_described", "description": "x" * 2001},
        {"reason": "not_as_described", "description": "nul\x00byte"},
        {"reason": "item_not_received", "description": "not yet due"},
    ],
)
def test_bad_input_on_the_open_form_is_a_form_error(client, buyer, place, ship, data):
    """A bad reason, text, or a rule that says no: the form again with its error, never a 500."""
    order = ship(place())  # shipped, still due to arrive
    client.force_login(buyer)

    response = client.post(open_url(order), data)

    assert response.status_code == 400
    assert 'class="invalid-feedback' in text(response) or "alert" in text(response)
    assert not Dispute.objects.exists()


def test_another_buyers_order_is_a_404(client, delivered_order):
    client.force_login(UserFactory())
    assert client.get(open_url(delivered_order)).status_code == 404
    assert client.post(open_url(delivered_order), {"reason": "not_as_described"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, open_case):
    case = open_case()
    for page in (reverse("disputes:case_list"), url("case_detail", case)):
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


# --- The list and the case page -----------------------------------------------------------
def test_the_list_shows_each_partys_cases_with_the_deadline(client, buyer, seller, open_case):
    case = open_case()
    for user in (buyer, seller.user):
        client.force_login(user)
        page = text(client.get(reverse("disputes:case_list")))
        assert case.get_absolute_url() in page
        assert "Seller responds by" in page
    client.force_login(UserFactory())
    assert case.get_absolute_url() not in text(client.get(reverse("disputes:case_list")))


def test_another_users_case_is_a_404_for_every_page(client, open_case):
    """Another buyer, and another seller, find nothing, and their POSTs change nothing."""
    case = open_case()
    before = snapshot(case)
    for stranger in (UserFactory(), SellerFactory().user):
        client.force_login(stranger)
        assert client.get(url("case_detail", case)).status_code == 404
        for name in ("reply", "offer", "accept_offer", "withdraw", "escalate"):
            assert client.post(url(name, case), {"body": "hi"}).status_code == 404
    assert snapshot(case) == before


def test_staff_reach_cases_only_through_admin(client, open_case, staff):
    case = open_case()
    client.force_login(staff)
    assert client.get(url("case_detail", case)).status_code == 404


def test_internal_notes_never_show_on_the_case_page(client, buyer, seller, staff, open_case):
    case = open_case()
    services.post_message(
        dispute_id=case.pk,
        body="Staff only: seller flagged",
        actor=Actor.staff(staff),
        internal=True,
    )
    for user in (buyer, seller.user):
        client.force_login(user)
        assert "Staff only" not in text(client.get(url("case_detail", case)))


def test_html_in_messages_shows_as_text(client, buyer, seller, open_case):
    case = open_case()
    services.post_message(
        dispute_id=case.pk, body="<script>alert(1)</script>", actor=Actor.seller(seller.user)
    )
    client.force_login(buyer)
    page = text(client.get(url("case_detail", case)))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_get_on_an_action_changes_nothing(client, buyer, seller, open_case):
    case = open_case()
    services.make_offer(dispute_id=case.pk, kind="full", actor=Actor.seller(seller.user))
    before = snapshot(case)
    client.force_login(buyer)
    for name in ("reply", "offer", "accept_offer", "withdraw", "escalate"):
        assert client.get(url(name, case)).status_code == 405
    assert client.get(url("case_detail", case)).status_code == 200
    assert snapshot(case) == before


def test_actions_need_the_csrf_token(buyer, open_case):
    case = open_case()
    before = snapshot(case)
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(url("withdraw", case))

    assert response.status_code == 403
    assert snapshot(case) == before


# --- The parties' actions -------------------------------------------------------------------
def test_seller_offers_buyer_accepts_and_sees_the_refund(
    client, buyer, seller, open_case, django_capture_on_commit_callbacks
):
    case = open_case()
    client.force_login(seller.user)
    page = text(client.get(url("case_detail", case)))
    assert "Offer a refund" in page and "Accept offer" not in page
    response = client.post(
        url("offer", case), {"kind": "partial", "amount": "7.50", "message": "Sorry"}, follow=True
    )
    assert "Offer sent" in text(response)

    client.force_login(buyer)
    page = text(client.get(url("case_detail", case)))
    assert "Accept offer" in page and "$7.50" in page
    assert accept_fields(page) == {"offer": "1", "refund": "7.50"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("accept_offer", case), accept_fields(page), follow=True)

    assert "You accepted the offer" in text(response)
    assert Dispute.objects.get().status == Status.RESOLVED_BY_AGREEMENT
    assert Payment.objects.get(pk=case.order.payment_id).amount_refunded == Decimal("7.50")
    order_page = text(client.get(case.order.get_absolute_url()))
    assert "$7.50 refunded" in order_page


def test_accepting_an_offer_the_seller_replaced_shows_the_new_one(client, buyer, seller, open_case):
    """The buyer loaded "Full refund: $25.00"; the seller then offered $0.01."""
    case = open_case()
    services.make_offer(dispute_id=case.pk, kind="full", actor=Actor.seller(seller.user))
    client.force_login(buyer)
    loaded = text(client.get(url("case_detail", case)))
    assert "Full refund: $25.00" in loaded
    services.make_offer(
        dispute_id=case.pk, kind="partial", amount="0.01", actor=Actor.seller(seller.user)
    )

    response = client.post(url("accept_offer", case), accept_fields(loaded))

    assert response.status_code == 409
    page = text(response)
    assert "The seller changed the offer: review it before you accept." in page
    assert "Partial refund: $0.01" in page
    assert accept_fields(page) == {"offer": "2", "refund": "0.01"}
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED
    assert Payment.objects.get(pk=case.order.payment_id).amount_refunded == 0


@pytest.mark.parametrize(
    "fields", [{}, {"offer": "1"}, {"offer": "x", "refund": "25"}, {"offer": "1", "refund": "-1"}]
)
def test_an_accept_without_the_offer_it_saw_is_refused(client, buyer, seller, open_case, fields):
    case = open_case()
    services.make_offer(dispute_id=case.pk, kind="full", actor=Actor.seller(seller.user))
    client.force_login(buyer)

    response = client.post(url("accept_offer", case), fields)

    assert response.status_code == 400
    assert "We could not tell which offer you accepted" in text(response)
    assert Dispute.objects.get().status == Status.SELLER_RESPONDED


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "partial"},
        {"kind": "partial", "amount": "0"},
        {"kind": "partial", "amount": "-1"},
        {"kind": "partial", "amount": "1.001"},
        {"kind": "partial", "amount": "99999"},
        {"kind": "partial", "amount": "abc"},
        {"kind": "partial", "amount": "٥.٠٠"},  # Arabic-Indic digits
        {"kind": "partial", "amount": "1_0"},
        {"kind": "sideways", "amount": "1"},
        {"kind": "full", "message": "x" * 2001},
    ],
)
def test_bad_offers_are_form_errors(client, seller, open_case, data):
    case = open_case()
    before = snapshot(case)
    client.force_login(seller.user)

    response = client.post(url("offer", case), data)

    assert response.status_code == 400
    assert "invalid-feedback" in text(response) or "alert-danger" in text(response)
    assert snapshot(case) == before


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001, "a\x00b"])
def test_bad_messages_are_form_errors(client, buyer, open_case, body):
    case = open_case()
    client.force_login(buyer)

    response = client.post(url("reply", case), {"body": body})

    assert response.status_code == 400
    assert DisputeMessage.objects.count() == 1


def test_the_buyer_replies_escalates_and_withdraws(client, buyer, seller, open_case):
    case = open_case()
    client.force_login(buyer)

    assert "Message sent" in text(
        client.post(url("reply", case), {"body": "Any news?"}, follow=True)
    )
    services.post_message(dispute_id=case.pk, body="Soon.", actor=Actor.seller(seller.user))
    assert "staff will review" in text(client.post(url("escalate", case), follow=True))
    assert Dispute.objects.get().status == Status.UNDER_REVIEW
    assert "withdrew" in text(client.post(url("withdraw", case), follow=True))
    assert Dispute.objects.get().status == Status.WITHDRAWN


def test_a_refused_action_is_a_message_not_an_error(client, buyer, seller, open_case):
    """Accepting no offer, a seller withdrawing: each told why, nothing changes."""
    case = open_case()
    before = snapshot(case)
    client.force_login(buyer)
    response = client.post(url("accept_offer", case), {"offer": "0", "refund": "0"}, follow=True)
    assert "not made an offer" in text(response)
    client.force_login(seller.user)
    response = client.post(url("withdraw", case), follow=True)
    assert response.status_code == 200 and "alert-danger" in text(response)
    assert snapshot(case) == before


def test_the_seller_order_page_links_to_the_case(client, seller, open_case):
    case = open_case()
    client.force_login(seller.user)
    assert case.get_absolute_url() in text(client.get(case.order.get_seller_url()))


def test_the_order_panel_makes_a_fixed_number_of_queries(
    rf, buyer, delivered_order, open_case, django_assert_num_queries
):
    """The panel on the order page costs one query, however many cases the order had."""
    from disputes.panels import buyer_case_panel
    from orders.selectors import order_for_buyer

    for _ in range(3):
        services.withdraw(dispute_id=open_case().pk, actor=Actor.buyer(buyer))
    request = rf.get("/")
    request.user = buyer
    hasattr(buyer, "seller")  # the nav's "is a seller?" query, made once per request
    delivered_order = order_for_buyer(buyer=buyer, number=delivered_order.number)
    with django_assert_num_queries(1):
        html = buyer_case_panel(request, delivered_order)
    assert html.count("Case ") == 3


def test_the_seller_sees_that_unshipped_items_are_refunded_by_cancelling(
    client, settings, seller, place, ship, open_case
):
    """Charged at checkout, one of two units shipped: the offer box counts the shipped one only."""
    from .conftest import past_due

    settings.PAYMENT_CAPTURE = "checkout"
    order = ship(place(quantity=2), units=1)
    past_due(order)
    case = open_case(order)
    client.force_login(seller.user)

    page = " ".join(text(client.get(url("case_detail", case))).split())

    assert "Up to $12.50 can be refunded." in page
    assert "The $12.50 paid for items not yet shipped goes back to the buyer when you" in page


# --- What the open page offers --------------------------------------------------------------------
def reason_inputs(html) -> list[str]:
    return re.findall(r'<input[^>]*name="reason"[^>]*>', html)


def offered(html) -> list[str]:
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in reason_inputs(html)]


def not_offered(html) -> str:
    """The list of reasons not offered, as text in one line."""
    listed = re.search(r'data-testid="reasons-not-offered">(.*?)</ul>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", listed.group(1)).split()) if listed else ""


def test_the_open_page_offers_only_the_reasons_that_apply_and_chooses_none(
    client, buyer, delivered_order
):
    """Delivered and past its date: "not received" and "not as described"; the others say why."""
    client.force_login(buyer)

    html = text(client.get(open_url(delivered_order)))

    assert offered(html) == ["item_not_received", "not_as_described"]
    assert not any("checked" in tag for tag in reason_inputs(html))
    assert "Cancellation request declined: The seller has not declined" in not_offered(html)
    assert "Refund not received: No money has been returned on this order" in not_offered(html)


def test_a_fresh_order_offers_no_reason_and_says_why_for_each(client, buyer, place):
    """The repro: an order placed seconds ago, nothing shipped: no form, four reasons why not."""
    order = place()
    client.force_login(buyer)

    html = text(client.get(open_url(order)))

    assert offered(html) == []
    assert "None of the reasons applies to this order now" in html
    assert "Item not as described: Nothing from this order has shipped yet" in not_offered(html)
    response = client.post(open_url(order), {"reason": "not_as_described", "description": "x"})
    assert response.status_code == 400
    assert not Dispute.objects.exists()


def test_a_reason_not_offered_is_a_form_error(client, buyer, delivered_order):
    client.force_login(buyer)

    response = client.post(
        open_url(delivered_order), {"reason": "refund_not_received", "description": "Where?"}
    )

    assert response.status_code == 400
    assert "Choose one of the reasons offered above." in text(response)
    assert not Dispute.objects.exists()


def test_after_a_decision_the_page_says_that_reason_is_final(
    client, buyer, staff, delivered_order, open_case
):
    case = open_case()  # "not as described"
    services.resolve_for_seller(dispute_id=case.pk, note="As listed", actor=Actor.staff(staff))
    client.force_login(buyer)

    html = text(client.get(open_url(delivered_order)))

    assert offered(html) == ["item_not_received"]
    assert (
        "Item not as described: Marketplace staff decided an earlier case about this on this "
        "order, and their decision is final."
    ) in not_offered(html)


# --- Asking staff to step in ------------------------------------------------------------------
ESCALATE_BUTTON = "Ask marketplace staff to decide</button>"


def test_the_buyer_sees_when_they_may_ask_staff_not_a_button_that_would_be_refused(
    client, buyer, seller, open_case
):
    case = open_case()
    client.force_login(buyer)

    page = text(client.get(url("case_detail", case)))

    assert ESCALATE_BUTTON not in page
    assert 'data-testid="escalation-from"' in page
    response = client.post(url("escalate", case), follow=True)
    assert "The seller has until" in text(response)
    assert Dispute.objects.get().status == Status.OPEN

    services.post_message(dispute_id=case.pk, body="Checking.", actor=Actor.seller(seller.user))
    page = text(client.get(url("case_detail", case)))
    assert ESCALATE_BUTTON in page
    assert 'data-testid="escalation-from"' not in page


def test_the_seller_may_ask_staff_at_once(client, seller, open_case):
    case = open_case()
    client.force_login(seller.user)
    assert ESCALATE_BUTTON in text(client.get(url("case_detail", case)))


@pytest.mark.parametrize("earlier", [0, 3])
def test_the_open_page_makes_a_fixed_number_of_queries(
    client, buyer, delivered_order, open_case, django_assert_num_queries, earlier
):
    """Earlier cases cost no extra queries: the rules read them once, with the money given back."""
    for _ in range(earlier):
        services.withdraw(dispute_id=open_case().pk, actor=Actor.buyer(buyer))
    client.force_login(buyer)

    # session, user, seller check, order + parties + payment, lines, the order's cases (is
    # one open?), then the rules' facts: cases, a declined request, money given back,
    # returns refused
    with django_assert_num_queries(10):
        response = client.get(open_url(delivered_order))

    assert response.status_code == 200


# --- A case's refund in every total the buyer and seller read ----------------------------------
@pytest.mark.parametrize(
    ("amount", "total_now", "words"),
    [(Decimal("10"), "$15.00", "$10.00 refunded"), (None, "$0.00", "$25.00 refunded")],
    ids=["partial", "full"],
)
def test_a_case_refund_counts_in_every_total(
    client, buyer, seller, staff, open_case, run_outbox, amount, total_now, words
):
    """A $25.00 order, then staff refund $10.00 (or all of it): each page says what it costs now."""
    case = open_case()
    client.force_login(seller.user)
    assert "$25.00" in text(client.get(reverse("sellercentral:orders")))  # its row is cached
    client.force_login(buyer)
    assert "$25.00" in text(client.get(reverse("orders:your_orders"), {"tab": "all"}))
    run_outbox(
        as_shown.resolve_for_buyer,
        dispute_id=case.pk,
        amount=amount,
        note="Scuffed",
        actor=Actor.staff(staff),
    )
    order = case.order
    refunded = f"−${Decimal(25) - Decimal(total_now[1:]):.2f}"

    def summary(page, testid):
        match = re.search(rf'data-testid="{testid}">\s*([^<\s]+)', page)
        return match and match.group(1)

    client.force_login(buyer)
    page = text(client.get(order.get_absolute_url()))
    assert summary(page, "summary-total-now") == total_now
    assert summary(page, "summary-refunded-on-kept") == refunded
    assert summary(page, "lines-total-now") == total_now
    card = text(client.get(reverse("orders:your_orders"), {"tab": "all"}))
    assert summary(card, "order-total-now") == total_now
    assert f"was <del>$25.00</del>, {words}" in card
    opening = text(client.get(open_url(order)))
    assert f"({total_now}, was $25.00)" in opening

    client.force_login(seller.user)
    page = text(client.get(order.get_seller_url()))
    assert summary(page, "summary-total-now") == total_now
    row = text(client.get(reverse("sellercentral:orders")))
    assert summary(row, "order-total-now") == total_now


# --- Each reader's voice ---------------------------------------------------------------------
def test_the_case_page_speaks_to_each_party(client, buyer, seller, open_case, run_outbox):
    """The seller reads "Your offer"; the buyer reads "The seller's offer" and "by you"."""
    case = open_case()
    services.make_offer(
        dispute_id=case.pk, kind="partial", amount=Decimal("10.00"), actor=Actor.seller(seller.user)
    )

    client.force_login(seller.user)
    as_seller = " ".join(text(client.get(case.get_absolute_url())).split())
    client.force_login(buyer)
    as_buyer = " ".join(text(client.get(case.get_absolute_url())).split())

    assert '<h2 id="offer-heading" class="h5"> Your offer </h2>' in as_seller
    assert "The seller's offer" not in as_seller
    assert '<h2 id="offer-heading" class="h5"> The seller\'s offer </h2>' in as_buyer
    assert "Your offer" not in as_buyer
    assert f"by you about order {case.order.number}" in as_buyer
    assert f"by {buyer.first_name} about order {case.order.number}" in as_seller


def test_an_accepted_offer_is_refunded_to_you_for_the_buyer_only(
    client, buyer, seller, open_case, run_outbox
):
    """After the agreement the buyer reads "refunded to you", the seller "to the buyer",
    on the case page and in the order page's history alike."""
    case = open_case()
    services.make_offer(
        dispute_id=case.pk, kind="partial", amount=Decimal("10.00"), actor=Actor.seller(seller.user)
    )
    offer = Dispute.objects.get(pk=case.pk).offer_version
    run_outbox(
        services.accept_offer,
        dispute_id=case.pk,
        actor=Actor.buyer(buyer),
        offer_seen=offer,
        refund_seen=Decimal("10.00"),
    )

    client.force_login(buyer)
    case_page = " ".join(text(client.get(case.get_absolute_url())).split())
    order_page = unescape(text(client.get(case.order.get_absolute_url())))
    assert "$10.00 is refunded to you." in case_page
    assert "refunded to the buyer" not in case_page
    assert f"You accepted the seller's offer: case {case.pk} is resolved." in order_page
    assert "$10.00 is returned to you." in order_page
    assert f"You opened case {case.pk}" in order_page
    assert "The buyer" not in order_page

    client.force_login(seller.user)
    case_page = " ".join(text(client.get(case.get_absolute_url())).split())
    order_page = unescape(text(client.get(case.order.get_seller_url())))
    assert "$10.00 is refunded to the buyer." in case_page
    assert f"The buyer accepted your offer: case {case.pk} is resolved." in order_page
    assert f"You offered a partial refund of $10.00 in case {case.pk}." in order_page
    assert "$10.00 is returned to the buyer." in order_page


def test_asking_staff_to_decide_is_a_readable_button(client, seller, open_case):
    """Not yellow text on white (about 2:1): the outlined primary button, like "View order"."""
    case = open_case()
    client.force_login(seller.user)

    page = text(client.get(case.get_absolute_url()))

    assert 'class="btn btn-outline-primary">Ask marketplace staff to decide</button>' in page
    assert "btn-outline-warning" not in page


def test_each_party_views_a_case_in_their_actor_role(open_case, buyer, seller):
    """The buyer and the seller of a case each see it as their ``ActorRole``, not a string."""
    dispute = open_case()

    roles = (views.viewer_of(dispute, buyer), views.viewer_of(dispute, seller.user))

    assert roles == (ActorRole.BUYER, ActorRole.SELLER)
    assert all(isinstance(role, ActorRole) for role in roles)


# --- The list's pages ---------------------------------------------------------------------------
def closed_cases(buyer, seller, count: int) -> list[Dispute]:
    """``count`` withdrawn cases of the buyer's about the seller, newest first."""
    now = timezone.now()
    return [
        Dispute.objects.create(
            order=OrderFactory(buyer=buyer, seller=seller),
            buyer=buyer,
            seller=seller,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="Scratched",
            status=Dispute.Status.WITHDRAWN,
            respond_by=now,
            created_at=now - timedelta(hours=i),
            resolved_at=now,
        )
        for i in range(count)
    ]


def listed(response, section: str) -> list[int]:
    return [case.pk for case in response.context[section]]


def test_the_list_shows_25_cases_a_page_in_each_section(client, buyer, seller):
    """The buyer's cases and the store's cases each have their own pages."""
    opened = closed_cases(buyer, seller, 27)
    client.force_login(buyer)

    first = client.get(reverse("disputes:case_list"))
    second = client.get(reverse("disputes:case_list"), {"page": 2})
    client.force_login(seller.user)
    store = client.get(reverse("disputes:case_list"), {"store_page": 2})

    assert listed(first, "as_buyer") == [case.pk for case in opened[:25]]
    assert listed(second, "as_buyer") == [case.pk for case in opened[25:]]
    assert "?page=2" in text(first) and "Page 2 of 2" in text(second)
    assert first.context["as_seller"] is None  # a buyer without a store
    assert listed(store, "as_seller") == [case.pk for case in opened[25:]]
    assert "Page 2 of 2" in text(store)
    # The store's pager links its own parameter, under its own label.
    assert 'href="?store_page=1"' in text(store)
    assert 'aria-label="Pages of the cases about your orders"' in text(store)


@pytest.mark.parametrize("count", [26, 60])
def test_the_list_makes_the_same_queries_however_many_cases(
    client, buyer, seller, django_assert_num_queries, count
):
    """Session, user, seller check, the count and a page of cases with their parties."""
    closed_cases(buyer, seller, count)
    client.force_login(buyer)

    with django_assert_num_queries(5):
        response = client.get(reverse("disputes:case_list"))

    assert len(listed(response, "as_buyer")) == 25
