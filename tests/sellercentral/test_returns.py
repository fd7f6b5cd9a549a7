"""
Seller Central → Returns (sellercentral/views/returns.py): the queue and its badge, a
return's page, and its three actions (authorize, close, mark received), each with its
success, its refusal, another seller's 404 and a GET that changes nothing.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Listing
from orders.actors import Actor
from returns import services
from returns.models import CloseReason, ItemCondition, ReturnRequest, ReturnStatus
from sellercentral.selectors import WaitingCounts, waiting_counts
from tests.factories import SellerFactory

pytestmark = pytest.mark.django_db

RETURNS_URL = reverse("sellercentral:returns")
ADDRESS = {
    "return_name": "Sam Seller",
    "return_line1": "1 Return Road",
    "return_city": "Springfield",
    "return_postcode": "12345",
}


@pytest.fixture
def store_address(seller):
    for name, value in ADDRESS.items():
        setattr(seller, name, value)
    seller.save()
    return seller


def ask(order, buyer, *, units=1, reason="defective", opened=False, note=""):
    return services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: units},
        reason=reason,
        note=note,
        opened=opened,
        actor=Actor.buyer(buyer),
    )


def authorized(item, seller):
    return services.authorize_return(return_id=item.pk, actor=Actor.seller(seller.user))


def shipped(item, buyer):
    return services.add_tracking(
        return_id=item.pk, carrier="UPS", tracking_number="1ZBACK", actor=Actor.buyer(buyer)
    )


def delivered_back(item):
    return services.mark_delivered_back(return_id=item.pk, actor=Actor.system())


def url(name, item):
    return reverse(f"sellercentral:{name}", args=[item.pk])


def fresh(item):
    return ReturnRequest.objects.get(pk=item.pk)


def group(html, slug):
    return html.split(f'data-testid="group-{slug}"', 1)[1].split("</section>", 1)[0]


# --- The queue --------------------------------------------------------------------------------
def test_queue_groups_open_returns_by_what_they_wait_for(
    signed_in, delivered, buyer, seller, store_address
):
    """
    A request waits for the seller (with its answer-by time), an authorized and a shipped
    return are on the way, a delivered one waits to be marked received; a closed one is on
    the second tab only, and another seller's return is on neither.
    """
    waiting = ask(delivered(), buyer)
    on_the_way = authorized(ask(delivered(), buyer), seller)
    in_transit = shipped(authorized(ask(delivered(), buyer), seller), buyer)
    arrived = delivered_back(shipped(authorized(ask(delivered(), buyer), seller), buyer))
    closed = services.close_return(
        return_id=ask(delivered(), buyer).pk,
        reason=CloseReason.NOT_SOLD_HERE,
        note="Not ours.",
        actor=Actor.seller(seller.user),
    )

    html = signed_in.get(RETURNS_URL).content.decode()

    assert waiting.number in group(html, "waiting")
    assert "Answer by" in group(html, "waiting")
    assert on_the_way.number in group(html, "on-the-way")
    assert in_transit.number in group(html, "on-the-way")
    assert "1ZBACK" in group(html, "on-the-way")
    assert arrived.number in group(html, "delivered")
    assert closed.number not in html
    finished = signed_in.get(RETURNS_URL + "?tab=closed").content.decode()
    assert closed.number in finished
    assert "Closed: Item not sold in this order" in finished
    assert waiting.number not in finished


def test_queue_shows_only_the_sellers_own_returns(client, delivered, buyer):
    """Another seller's Returns page lists nothing of this seller's."""
    item = ask(delivered(), buyer)
    client.force_login(SellerFactory().user)
    html = client.get(RETURNS_URL).content.decode()
    assert item.number not in html
    assert html.count("None.") == 3


def test_badge_counts_requests_and_parcels_to_mark_received(
    signed_in, delivered, buyer, seller, store_address, django_assert_num_queries
):
    """
    A request to answer and a parcel delivered back need the seller (2); an authorized
    return waits for the buyer (not counted). One query counts all the badges.
    """
    ask(delivered(), buyer)
    authorized(ask(delivered(), buyer), seller)
    delivered_back(shipped(authorized(ask(delivered(), buyer), seller), buyer))

    with django_assert_num_queries(1):
        counts = waiting_counts(seller_id=seller.pk)

    assert counts == WaitingCounts(requests=0, messages=0, returns=2)
    html = signed_in.get(reverse("sellercentral:home")).content.decode()
    assert 'data-testid="return-badge">2<' in html
    assert 'data-testid="seller-central-badge">2<' in html
    assert f'<a href="{RETURNS_URL}">2 returns</a>' in html
    assert waiting_counts(seller_id=SellerFactory().pk).returns == 0


# --- A return's page -------------------------------------------------------------------------
def test_return_page_shows_what_comes_back_and_changes_nothing(
    signed_in, delivered, buyer, store_address
):
    item = ask(delivered(), buyer, reason="not_as_described", note="Blue, not red.", opened=True)
    before = fresh(item).status

    html = signed_in.get(url("return", item)).content.decode()

    assert f"Return {item.number}" in html
    assert "1 × " in html and "Not as described" in html and "Blue, not red." in html
    assert "Yes: the buyer opened it" in html
    assert "Authorize the return" in html and "Close the return" in html
    assert "may open a case" in html
    assert fresh(item).status == before == ReturnStatus.REQUESTED


@pytest.mark.parametrize("name", ["return", "authorize_return", "close_return", "receive_return"])
def test_another_sellers_return_is_a_404(client, delivered, buyer, name):
    item = ask(delivered(), buyer)
    client.force_login(SellerFactory().user)
    response = client.post(url(name, item)) if name != "return" else client.get(url(name, item))
    assert response.status_code == 404
    assert fresh(item).status == ReturnStatus.REQUESTED


@pytest.mark.parametrize("name", ["authorize_return", "close_return", "receive_return"])
def test_actions_refuse_get(signed_in, delivered, buyer, name):
    item = ask(delivered(), buyer)
    assert signed_in.get(url(name, item)).status_code == 405
    assert fresh(item).status == ReturnStatus.REQUESTED


def test_a_return_id_past_bigint_is_a_404(signed_in):
    assert signed_in.get(reverse("sellercentral:return", args=[2**63])).status_code == 404


def test_a_buyer_without_a_store_gets_403(client, delivered, buyer):
    item = ask(delivered(), buyer)
    client.force_login(buyer)
    assert client.get(RETURNS_URL).status_code == 403
    assert client.post(url("authorize_return", item)).status_code == 403
    assert fresh(item).status == ReturnStatus.REQUESTED


# --- Authorize ----------------------------------------------------------------------------------
def test_authorize_gives_the_buyer_the_stores_return_address(
    signed_in, delivered, buyer, store_address
):
    item = ask(delivered(), buyer)

    response = signed_in.post(url("authorize_return", item), follow=True)

    item = fresh(item)
    assert item.status == ReturnStatus.AUTHORIZED
    assert item.authorized_by == "seller"
    assert "1 Return Road" in item.return_address
    assert f"Return {item.number} authorized" in response.content.decode()


def test_authorize_without_a_return_address_is_refused_and_links_to_the_store(
    signed_in, delivered, buyer
):
    """The store has no return address: the page says so and links to the Store page."""
    item = ask(delivered(), buyer)

    page = signed_in.get(url("return", item)).content.decode()
    response = signed_in.post(url("authorize_return", item), follow=True)

    assert 'data-testid="no-return-address"' in page
    assert f'href="{reverse("sellercentral:store")}"' in page
    assert "Authorize the return" not in page
    assert "no return address" in response.content.decode()
    assert fresh(item).status == ReturnStatus.REQUESTED


def test_authorize_twice_says_it_was_already_answered(signed_in, delivered, buyer, store_address):
    item = ask(delivered(), buyer)
    signed_in.post(url("authorize_return", item))
    response = signed_in.post(url("authorize_return", item), follow=True)
    assert "already answered" in response.content.decode()
    assert fresh(item).status == ReturnStatus.AUTHORIZED


# --- Close ------------------------------------------------------------------------------------
def test_close_with_a_reason_and_a_note_the_buyer_reads(signed_in, delivered, buyer):
    item = ask(delivered(), buyer)

    response = signed_in.post(
        url("close_return", item),
        {"reason": CloseReason.OUTSIDE_WINDOW, "note": "  The window ended on May 2.  "},
        follow=True,
    )

    item = fresh(item)
    assert (item.status, item.close_reason, item.close_note) == (
        ReturnStatus.CLOSED,
        CloseReason.OUTSIDE_WINDOW,
        "The window ended on May 2.",
    )
    assert "may open a case" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": CloseReason.OUTSIDE_WINDOW, "note": "   "}, "Tell the buyer why"),
        ({"reason": CloseReason.NOT_SHIPPED_BACK, "note": "x"}, "Choose one of the reasons"),
        ({"reason": CloseReason.WITHDRAWN, "note": "x"}, "Choose one of the reasons"),
        ({"note": "x"}, "Choose why you close"),
        ({"reason": CloseReason.NOT_SOLD_HERE, "note": "x" * 501}, "at most 500"),
    ],
)
def test_close_refusals_are_form_errors_and_change_nothing(
    signed_in, delivered, buyer, data, error
):
    item = ask(delivered(), buyer)

    response = signed_in.post(url("close_return", item), data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert fresh(item).status == ReturnStatus.REQUESTED


def test_close_after_authorizing_is_refused(signed_in, delivered, buyer, seller, store_address):
    """An answered return (authorized meanwhile, in another tab) cannot be closed."""
    item = authorized(ask(delivered(), buyer), seller)

    response = signed_in.post(
        url("close_return", item),
        {"reason": CloseReason.NOT_SOLD_HERE, "note": "Not ours."},
        follow=True,
    )

    assert response.redirect_chain == [(url("return", item), 302)]
    assert "already answered" in response.content.decode()
    assert fresh(item).status == ReturnStatus.AUTHORIZED


# --- Mark received ------------------------------------------------------------------------------
def test_mark_received_sellable_refunds_in_full_and_restocks(
    signed_in, delivered, buyer, seller, store_address, django_capture_on_commit_callbacks
):
    """One of two units, defective (the seller's fault): no fee offered; back in stock."""
    item = delivered_back(shipped(authorized(ask(delivered(quantity=2), buyer), seller), buyer))
    stock = Listing.objects.get().stock
    page = signed_in.get(url("return", item)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url("receive_return", item), {"condition": ItemCondition.SELLABLE}, follow=True
        )

    item = fresh(item)
    assert "No restocking fee" in page and 'name="restocking_fee"' not in page
    assert (item.status, item.refund_amount, item.restocked) == (
        ReturnStatus.REFUNDED,
        Decimal("12.50"),
        True,
    )
    assert Listing.objects.get().stock == stock + 1
    assert "refunded $12.50" in response.content.decode()


def test_mark_received_with_a_restocking_fee_up_to_the_max(
    signed_in, delivered, buyer, seller, store_address
):
    """
    Opened and no longer needed: the form offers a fee up to 20 % of $12.50 and says why;
    $2.50 is taken, damaged units are not restocked.
    """
    item = shipped(
        authorized(ask(delivered(), buyer, reason="no_longer_needed", opened=True), seller), buyer
    )
    stock = Listing.objects.get().stock
    page = signed_in.get(url("return", item)).content.decode()

    signed_in.post(
        url("receive_return", item),
        {"condition": ItemCondition.DAMAGED, "refund": "fee", "restocking_fee": "2.50"},
    )

    item = fresh(item)
    assert "Up to $2.50: 20 % of $12.50" in page and 'name="restocking_fee"' in page
    assert (item.status, item.restocking_fee, item.refund_amount, item.restocked) == (
        ReturnStatus.REFUNDED,
        Decimal("2.50"),
        Decimal("10.00"),
        False,
    )
    assert Listing.objects.get().stock == stock


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"condition": "sellable", "refund": "fee", "restocking_fee": "2.51"}, "at most $2.50"),
        ({"condition": "sellable", "refund": "fee", "restocking_fee": ""}, "Enter the restocking"),
        ({"condition": "sellable", "refund": "fee", "restocking_fee": "-1"}, "0.01 or more"),
        ({"condition": "sellable", "refund": "fee", "restocking_fee": "1٫5"}, "digits 0 to 9"),
        ({"refund": "full"}, "Choose the condition"),
        ({"condition": "broken", "refund": "full"}, "Select a valid choice"),
    ],
)
def test_mark_received_refusals_are_form_errors_and_change_nothing(
    signed_in, delivered, buyer, seller, store_address, data, error
):
    item = shipped(
        authorized(ask(delivered(), buyer, reason="no_longer_needed", opened=True), seller), buyer
    )

    response = signed_in.post(url("receive_return", item), data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert fresh(item).status == ReturnStatus.SHIPPED_BACK


def test_mark_received_before_it_was_shipped_is_refused(
    signed_in, delivered, buyer, seller, store_address
):
    item = authorized(ask(delivered(), buyer), seller)

    response = signed_in.post(url("receive_return", item), {"condition": "sellable"}, follow=True)

    assert response.redirect_chain == [(url("return", item), 302)]
    assert "not waiting to be received" in response.content.decode()
    assert fresh(item).status == ReturnStatus.AUTHORIZED


# --- The store's returnless refunds --------------------------------------------------------------
def test_store_page_saves_the_returnless_refund_price(signed_in, seller, store_address):
    data = {
        "store_name": seller.store_name,
        **ADDRESS,
        "return_line2": "",
        "return_state": "",
        "return_country": "US",
        "default_handling_days": "2",
        "policies": "",
    }
    store = reverse("sellercentral:store")

    signed_in.post(store, {**data, "returnless_refund_under": "15.00"})
    seller.refresh_from_db()
    assert seller.returnless_refund_under == Decimal("15.00")

    response = signed_in.post(store, {**data, "returnless_refund_under": "-3"})
    assert "0.01 or more" in response.content.decode()
    signed_in.post(store, {**data, "returnless_refund_under": ""})
    seller.refresh_from_db()
    assert seller.returnless_refund_under is None


def test_a_refusal_under_the_lock_is_a_message_and_changes_nothing(
    signed_in, delivered, buyer, seller, store_address, monkeypatch
):
    """
    The page saw a parcel to receive; under the lock the service finds the auto-refund job
    got there first: the seller reads its sentence on the return's page.
    """
    item = shipped(authorized(ask(delivered(), buyer), seller), buyer)

    def refused(**kwargs):
        raise services.ReturnError("This return is not waiting to be received.")

    monkeypatch.setattr("sellercentral.views.returns.receive_return", refused)
    response = signed_in.post(url("receive_return", item), {"condition": "sellable"}, follow=True)

    assert response.redirect_chain == [(url("return", item), 302)]
    assert "not waiting to be received" in response.content.decode()
    assert fresh(item).status == ReturnStatus.SHIPPED_BACK


@pytest.mark.parametrize("count", [1, 4])
def test_queue_makes_the_same_queries_for_one_return_as_for_many(
    signed_in, delivered, buyer, seller, store_address, django_assert_num_queries, count
):
    """Session, user, seller, the badges (one query); the returns and orders, their lines."""
    for _ in range(count):
        ask(delivered(), buyer)

    with django_assert_num_queries(7):
        html = signed_in.get(RETURNS_URL).content.decode()

    assert html.count('data-testid="return-row"') == count
