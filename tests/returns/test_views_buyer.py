"""
Your Orders → Return items → review → Confirm, the return's page (tracking, withdraw) and
what the order page and the cards say of returns, through the browser's eyes (the test
client): each outcome in the database, another buyer's return a 404, GET changes nothing,
every POST needs its CSRF token.
"""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from orders.actors import Actor
from orders.models import OrderStatus
from returns import services
from returns.models import CloseReason, ItemCondition, ReturnReason, ReturnRequest, ReturnStatus
from tests.factories import UserFactory, shipped_order

from .conftest import back_date

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(delivered):
    """Two notebooks at $12.50, delivered today."""
    return delivered(quantity=2)


@pytest.fixture
def signed_in(client, buyer):
    client.force_login(buyer)
    return client


def form_url(order):
    return reverse("returns:return_items", args=[order.number])


def confirm_url(order):
    return reverse("returns:confirm", args=[order.number])


def detail_url(the_return):
    return reverse("returns:detail", args=[the_return.pk])


def choices(order, **data):
    line = order.lines.get()
    post = {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "1",
        "reason": ReturnReason.DEFECTIVE.value,
        "opened": "yes",
    }
    post.update(data)
    return post


def review(client, order, **data):
    return client.post(form_url(order), choices(order, **data))


def confirm_data(response):
    """The hidden fields of the review page, as the browser would post them."""
    html = response.content.decode()
    form = html[html.index('action="/your-orders/') :]
    return dict(re.findall(r'<input type="hidden"\s+name="([^"]+)"\s+value="([^"]*)"', form))


def file_return(buyer, order, *, units=1, reason=ReturnReason.DEFECTIVE, opened=False):
    return services.request_return(
        order_id=order.pk,
        quantities={order.lines.get().pk: units},
        reason=reason,
        note="",
        opened=opened,
        actor=Actor.buyer(buyer),
    )


def authorize(seller, the_return):
    return services.authorize_return(return_id=the_return.pk, actor=Actor.seller(seller.user))


def body(response):
    return response.content.decode()


# --- Where "Return items" is offered ----------------------------------------------------------
def test_a_delivered_order_offers_return_items_on_its_page_and_card(signed_in, order):
    """Where Cancel Items was: a link (GET) on the order page and on the Your Orders card."""
    page = body(signed_in.get(order.get_absolute_url()))
    cards = body(signed_in.get(reverse("orders:your_orders")))

    assert f'href="{form_url(order)}"' in page and "Return items" in page
    assert "You can return items until" in page
    assert f'href="{form_url(order)}"' in cards
    assert "Cancel Items" not in page + cards


def test_a_shipped_order_says_items_return_once_delivered(signed_in, buyer, seller):
    """Shipped, not delivered: a note on the order page, no button anywhere."""
    shipped = shipped_order(buyer=buyer, seller=seller)

    page = body(signed_in.get(shipped.get_absolute_url()))
    cards = body(signed_in.get(reverse("orders:your_orders")))

    assert "You can return items once they are delivered." in page
    assert form_url(shipped) not in page + cards


def test_past_the_window_the_page_says_when_it_closed(signed_in, delivered):
    """31 days after delivery: no button; the order page says when the window closed."""
    late = delivered(days_ago=31)

    page = body(signed_in.get(late.get_absolute_url()))
    cards = body(signed_in.get(reverse("orders:your_orders"), {"tab": "all"}))

    assert "Return window closed on" in page
    assert form_url(late) not in page + cards


def test_the_form_of_an_order_past_its_window_sends_back_to_the_order(signed_in, delivered):
    late = delivered(days_ago=31)

    response = signed_in.get(form_url(late), follow=True)

    assert response.redirect_chain[-1][0] == late.get_absolute_url()
    assert "The return window closed" in body(response)


# --- Form, review, confirm -------------------------------------------------------------------
def test_the_form_lists_returnable_units_and_the_reasons(signed_in, order):
    response = signed_in.get(form_url(order))
    html = body(response)
    line = order.lines.get()

    assert response.status_code == 200
    assert f'name="qty_{line.pk}"' in html and "2 can be returned" in html
    assert "Defective or does not work" in html and "Not as described" in html
    assert "Was the item opened?" in html


def test_review_shows_the_terms_and_changes_nothing(signed_in, order):
    """Buyer's remorse on an opened item: the buyer pays the parcel, the fee is at most 20 %."""
    page = review(signed_in, order, reason=ReturnReason.NO_LONGER_NEEDED.value)
    html = body(page)

    assert page.status_code == 200
    assert "Review your return" in html
    assert "1 × " in html
    assert re.search(r'data-testid="max-fee">\s*−\$2\.50', html)
    assert re.search(r'data-testid="refund-at-least">\s*\$10\.00', html)
    assert re.search(r'data-testid="shipping-paid-by">\s*Paid by you', html)
    assert confirm_data(page)["expected_refund"] == "10.00"
    assert not ReturnRequest.objects.exists()


def test_a_seller_fault_review_promises_a_full_refund_and_free_shipping(signed_in, order):
    html = body(review(signed_in, order))

    assert re.search(r'data-testid="refund-at-least">\s*\$12\.50', html)
    assert "The seller's to pay, as the reason is their fault" in html
    assert "you are refunded in full" in html


def test_confirm_files_the_return_and_shows_its_page(signed_in, order, buyer):
    """Confirm: one return of one unit, waiting for the seller; its page says until when."""
    data = confirm_data(review(signed_in, order))

    response = signed_in.post(confirm_url(order), data, follow=True)

    the_return = ReturnRequest.objects.get()
    assert the_return.status == ReturnStatus.REQUESTED
    assert the_return.buyer == buyer and the_return.reason == ReturnReason.DEFECTIVE
    assert the_return.opened is True
    assert [(rl.order_line_id, rl.quantity) for rl in the_return.lines.all()] == [
        (order.lines.get().pk, 1)
    ]
    assert response.redirect_chain[-1][0] == detail_url(the_return)
    html = body(response)
    assert f"Return {the_return.number} requested" in html
    assert "The seller has until" in html


def test_confirming_twice_files_one_return(signed_in, order):
    data = confirm_data(review(signed_in, order))

    signed_in.post(confirm_url(order), data)
    response = signed_in.post(confirm_url(order), data, follow=True)

    assert "already submitted" in body(response)
    assert ReturnRequest.objects.count() == 1


def test_a_returnless_store_refunds_at_once(signed_in, order, seller):
    """Under the store's threshold: "You keep the item", refunded on Confirm."""
    seller.returnless_refund_under = Decimal("20.00")
    seller.save()

    page = review(signed_in, order)
    assert "You keep the item: refunded now." in body(page)
    response = signed_in.post(confirm_url(order), confirm_data(page), follow=True)

    the_return = ReturnRequest.objects.get()
    assert the_return.status == ReturnStatus.REFUNDED and the_return.returnless
    assert the_return.refund_amount == Decimal("12.50")
    assert "you keep the item" in body(response)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": ""}, "This field is required."),
        ({"reason": ReturnReason.NOT_AS_DESCRIBED.value}, "what differs from the description"),
        ({"qty_LINE": "3"}, "You can return at most 2 of this item."),
        ({"opened": ""}, "Say whether you opened the item."),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(signed_in, order, data, error):
    line = order.lines.get()
    data = {key.replace("LINE", str(line.pk)): value for key, value in data.items()}

    response = review(signed_in, order, **data)

    assert response.status_code == 400
    assert error in body(response)
    assert not ReturnRequest.objects.exists()


def test_a_forged_confirm_is_refused_with_the_form(signed_in, order):
    """Units beyond those returnable, posted straight to Confirm: form errors, nothing filed."""
    data = confirm_data(review(signed_in, order))
    data[f"qty_{order.lines.get().pk}"] = "5"

    response = signed_in.post(confirm_url(order), data)

    assert response.status_code == 400
    assert "You can return at most 2 of this item." in body(response)
    assert not ReturnRequest.objects.exists()


def test_a_stale_review_is_refused_with_the_services_words(signed_in, order):
    """The refund the review showed no longer holds: the service's message, nothing filed."""
    data = confirm_data(review(signed_in, order))
    data["expected_refund"] = "11.00"

    response = signed_in.post(confirm_url(order), data)

    assert response.status_code == 409
    assert "changed since you reviewed it" in body(response)
    assert not ReturnRequest.objects.exists()


def test_the_confirm_url_refuses_get(signed_in, order):
    assert signed_in.get(confirm_url(order)).status_code == 405
    assert not ReturnRequest.objects.exists()


# --- The return's page ------------------------------------------------------------------------
def test_the_page_of_an_authorized_return_shows_where_and_by_when(signed_in, order, buyer, seller):
    the_return = authorize(seller, file_return(buyer, order))

    html = body(signed_in.get(detail_url(the_return)))

    assert "Authorized: ship it back" in html
    assert "1 Return Road" in html
    assert the_return.number in html
    assert "Ship it back by" in html
    assert reverse("returns:tracking", args=[the_return.pk]) in html
    assert reverse("returns:withdraw", args=[the_return.pk]) in html


def test_tracking_ships_it_back_and_can_be_corrected(signed_in, order, buyer, seller):
    the_return = authorize(seller, file_return(buyer, order))
    url = reverse("returns:tracking", args=[the_return.pk])

    signed_in.post(url, {"carrier": "UPS", "tracking_number": "1Z111"})
    response = signed_in.post(url, {"carrier": "USPS", "tracking_number": "9400222"}, follow=True)

    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.SHIPPED_BACK
    assert (the_return.carrier, the_return.tracking_number) == ("USPS", "9400222")
    assert "9400222" in body(response)
    assert reverse("returns:withdraw", args=[the_return.pk]) not in body(response)


def test_bad_tracking_is_a_form_error(signed_in, order, buyer, seller):
    the_return = authorize(seller, file_return(buyer, order))

    response = signed_in.post(
        reverse("returns:tracking", args=[the_return.pk]),
        {"carrier": "UPS", "tracking_number": "1Z 1"},
    )

    assert response.status_code == 400
    assert "Use letters and digits only" in body(response)
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.AUTHORIZED and the_return.tracking_number == ""


def test_tracking_before_authorization_says_why_and_changes_nothing(signed_in, order, buyer):
    the_return = file_return(buyer, order)

    response = signed_in.post(
        reverse("returns:tracking", args=[the_return.pk]),
        {"carrier": "UPS", "tracking_number": "1Z111"},
        follow=True,
    )

    assert "not waiting for a parcel" in body(response)
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.REQUESTED


def test_withdraw_closes_the_return_and_frees_its_units(signed_in, order, buyer):
    the_return = file_return(buyer, order, units=2)

    response = signed_in.post(reverse("returns:withdraw", args=[the_return.pk]), follow=True)

    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.CLOSED
    assert the_return.close_reason == CloseReason.WITHDRAWN
    assert f"You withdrew return {the_return.number}" in body(response)
    assert "2 can be returned" in body(signed_in.get(form_url(order)))


def test_withdrawing_a_shipped_return_is_refused(signed_in, order, buyer, seller):
    the_return = authorize(seller, file_return(buyer, order))
    services.add_tracking(
        return_id=the_return.pk, carrier="UPS", tracking_number="1Z1", actor=Actor.buyer(buyer)
    )

    response = signed_in.post(reverse("returns:withdraw", args=[the_return.pk]), follow=True)

    assert "can no longer be withdrawn" in body(response)
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.SHIPPED_BACK


def test_a_refunded_return_shows_the_refund_and_the_fee(signed_in, order, buyer, seller):
    """Opened, no longer needed: the seller kept $2.50; the page says so."""
    the_return = authorize(
        seller, file_return(buyer, order, reason=ReturnReason.NO_LONGER_NEEDED, opened=True)
    )
    services.add_tracking(
        return_id=the_return.pk, carrier="UPS", tracking_number="1Z1", actor=Actor.buyer(buyer)
    )
    services.receive_return(
        return_id=the_return.pk,
        condition=ItemCondition.SELLABLE,
        restocking_fee=Decimal("2.50"),
        actor=Actor.seller(seller.user),
    )

    html = body(signed_in.get(detail_url(the_return)))
    page = body(signed_in.get(order.get_absolute_url()))

    assert re.search(r'data-testid="restocking-fee">\s*−\$2\.50', html)
    assert re.search(r'data-testid="refund-amount">\s*\$10\.00', html)
    assert "$10.00 refunded" in page
    assert re.search(r'data-testid="summary-total-now">\s*\$15\.00', page)


def test_a_return_closed_by_the_seller_offers_a_case(signed_in, order, buyer, seller):
    the_return = file_return(buyer, order)
    services.close_return(
        return_id=the_return.pk,
        reason=CloseReason.NOT_SOLD_HERE,
        note="That is not our notebook.",
        actor=Actor.seller(seller.user),
    )

    html = body(signed_in.get(detail_url(the_return)))

    assert "Item not sold in this order" in html
    assert "That is not our notebook." in html
    assert f'href="{order.get_absolute_url()}#cases-heading"' in html
    order_page = body(signed_in.get(order.get_absolute_url()))
    assert reverse("disputes:open_case", args=[order.number]) in order_page


def test_the_cards_say_where_each_return_stands(signed_in, order, buyer, seller):
    the_return = file_return(buyer, order)
    assert "Return requested" in body(signed_in.get(reverse("orders:your_orders")))

    authorize(seller, the_return)

    cards = body(signed_in.get(reverse("orders:your_orders")))
    assert "Return authorized" in cards and "ship by" in cards
    assert detail_url(the_return) in cards


# --- Who may see what -------------------------------------------------------------------------
def test_another_buyer_gets_404_everywhere(order, buyer, client):
    """Another signed-in buyer reaches neither the order's return pages nor the return."""
    the_return = file_return(buyer, order)
    client.force_login(UserFactory(username="eve"))
    urls = [
        ("get", form_url(order)),
        ("post", form_url(order)),
        ("post", confirm_url(order)),
        ("get", detail_url(the_return)),
        ("post", reverse("returns:tracking", args=[the_return.pk])),
        ("post", reverse("returns:withdraw", args=[the_return.pk])),
    ]

    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.REQUESTED


def test_the_seller_of_the_order_gets_404_on_the_buyers_page(order, buyer, seller, client):
    the_return = file_return(buyer, order)
    client.force_login(seller.user)

    assert client.get(detail_url(the_return)).status_code == 404


def test_get_changes_nothing(signed_in, order, buyer, seller):
    """GET on every return URL: nothing filed, tracked or withdrawn."""
    the_return = authorize(seller, file_return(buyer, order))
    for url in (
        form_url(order),
        detail_url(the_return),
        reverse("returns:tracking", args=[the_return.pk]) + "?carrier=UPS&tracking_number=1Z1",
        reverse("returns:withdraw", args=[the_return.pk]),
        confirm_url(order),
    ):
        signed_in.get(url)

    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.AUTHORIZED
    assert ReturnRequest.objects.count() == 1


def test_every_post_needs_its_csrf_token(order, buyer, seller):
    """Without the token: 403 and nothing changes, even with every field right."""
    the_return = authorize(seller, file_return(buyer, order))
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    posts = [
        (form_url(order), choices(order)),
        (confirm_url(order), {**choices(order), "expected_refund": "12.50"}),
        (
            reverse("returns:tracking", args=[the_return.pk]),
            {"carrier": "UPS", "tracking_number": "1Z1"},
        ),
        (reverse("returns:withdraw", args=[the_return.pk]), {}),
    ]

    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    the_return.refresh_from_db()
    assert the_return.status == ReturnStatus.AUTHORIZED
    assert ReturnRequest.objects.count() == 1


def test_an_order_not_shipped_has_no_returns_panel(signed_in, place_fresh):
    page = body(signed_in.get(place_fresh.get_absolute_url()))

    assert 'data-testid="returns-panel"' not in page
    assert place_fresh.status == OrderStatus.UNSHIPPED


@pytest.fixture
def place_fresh(buyer, seller):
    from orders.services import place_orders
    from tests.factories import ADDRESS, GOOD_CARD, ListingFactory

    listing = ListingFactory(seller=seller)
    (fresh,) = place_orders(
        buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
    )
    return fresh


def test_back_dated_delivery_moves_the_deadline(signed_in, delivered):
    """29 days after delivery the window is still open (the rule's edge is the core's test)."""
    recent = delivered()
    back_date(recent, days=29)

    assert form_url(recent) in body(signed_in.get(recent.get_absolute_url()))


def test_your_orders_reads_returns_and_deliveries_once_for_the_page(signed_in, delivered, buyer):
    """Delivered orders' cards (notes and "Return items") cost the same queries for 2 or 6."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cold_queries() -> int:
        cache.clear()  # every card rendered afresh
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("orders:your_orders"), {"tab": "all"})
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        file_return(buyer, delivered(quantity=2))
    two = cold_queries()
    for _ in range(4):
        file_return(buyer, delivered(quantity=2))

    assert cold_queries() == two
