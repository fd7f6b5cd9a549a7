"""
Seller Central's cancellation pages (sellercentral/views/cancel.py, requests.py,
bulk_cancel.py): Cancel order → review → Confirm, the requests queue with Approve and
Decline, bulk cancel, the nav badge and the order list's flags; access and bad input
change nothing.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cancellations.models import (
    Cancellation,
    CancellationRequest,
    CancellationRequestLine,
    Reason,
)
from cancellations.services.cancel import cancel_items
from cancellations.services.requests import request_cancellation, withdraw_request
from catalog.models import Listing
from orders.actors import Actor
from orders.models import OrderStatus
from tests.cancellations.conftest import age, ship
from tests.factories import ListingFactory, OrderFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place):
    return place()


@pytest.fixture
def pending(place, buyer):
    """An order (2 units) whose buyer asked, 2 hours after placing it, to cancel 1."""
    order = age(place(), hours=2)
    return request_cancellation(
        order_id=order.pk,
        quantities={order.lines.get().pk: 1},
        reason=Reason.FOUND_CHEAPER,
        note="Saw it for less",
        actor=Actor.buyer(buyer),
    )


def cancel_url(order):
    return reverse("sellercentral:cancel_order", args=[order.number])


def cancel_items_url(order):
    return reverse("sellercentral:cancel_items", args=[order.number])


def confirm_url(order):
    return reverse("sellercentral:confirm_cancel", args=[order.number])


def approve_url(cancellation_request):
    return reverse("sellercentral:approve_request", args=[cancellation_request.pk])


def decline_url(cancellation_request):
    return reverse("sellercentral:decline_request", args=[cancellation_request.pk])


BULK_URL = "/seller/orders/bulk-cancel/"
BULK_CONFIRM_URL = "/seller/orders/bulk-cancel/confirm/"
REQUESTS_URL = "/seller/cancellation-requests/"
HOME_URL = "/seller/"


def hidden_fields(response) -> dict:
    html = response.content.decode()
    form = html[html.index('action="' + "/seller/orders/") :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def review(client, order, **data):
    line = order.lines.get()
    post = {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "2",
        "reason": Reason.CUSTOMER_EXCHANGE.value,
        "note": "",
    }
    post.update(data)
    return client.post(cancel_url(order), post)


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def nothing_changed(order):
    order.refresh_from_db()
    return (
        order.status == OrderStatus.UNSHIPPED
        and all(line.quantity_cancelled == 0 for line in order.lines.all())
        and not Cancellation.objects.exists()
    )


# --- Cancel order → review → Confirm -----------------------------------------------------------
def test_order_page_offers_cancel_order_and_cancel_items(signed_in, order):
    html = signed_in.get(order.get_seller_url()).content.decode()
    assert f'href="{cancel_url(order)}">Cancel order</a>' in html
    assert f'href="{cancel_items_url(order)}">Cancel items</a>' in html


def test_cancel_items_starts_with_nothing_ticked_and_says_so(signed_in, place, seller):
    """
    Given an order of two items, Cancel order ticks both and is titled so; Cancel items
    ticks none, is titled "Cancel items", and keeps its title when the seller ticks none.
    """
    pen = ListingFactory(seller=seller, title="Pen", price="2.50", stock=10)
    ink = ListingFactory(seller=seller, title="Ink", price="7.00", stock=10)
    order = place({pen: 2, ink: 1})

    whole = signed_in.get(cancel_url(order)).content.decode()
    items = signed_in.get(cancel_items_url(order)).content.decode()
    none_ticked = signed_in.post(cancel_items_url(order), {"reason": "customer_exchange"})
    one_ticked = signed_in.post(
        cancel_items_url(order),
        {
            f"line_{order.lines.get(title='Ink').pk}": "on",
            f"qty_{order.lines.get(title='Ink').pk}": "1",
            "reason": "customer_exchange",
        },
    )

    checkbox = r'<input type="checkbox"[^>]*name="line_\d+"[^>]*>'
    assert re.search(r"<h1>Cancel order ", whole) and "<title>Cancel order " in whole
    assert all(" checked" in box for box in re.findall(checkbox, whole))
    assert re.search(r"<h1>Cancel items of order ", items) and "<title>Cancel items" in items
    assert not any(" checked" in box for box in re.findall(checkbox, items))
    assert "No item is chosen yet" in items
    assert f'action="{cancel_items_url(order)}"' in items
    assert none_ticked.status_code == 400
    assert "Tick at least one item to cancel." in none_ticked.content.decode()
    assert "<h1>Cancel items of order " in none_ticked.content.decode()
    assert "Review your cancellation" in one_ticked.content.decode()
    assert f'href="{cancel_items_url(order)}">Change</a>' in one_ticked.content.decode()
    assert nothing_changed(order)


def test_cancel_form_chooses_every_open_unit_and_lists_seller_reasons(signed_in, order):
    line = order.lines.get()
    response = signed_in.get(cancel_url(order))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert f'name="line_{line.pk}"' in html and "checked" in html
    assert 'value="2"' in html
    assert "No inventory" in html and "Pricing error" in html
    assert "Order created by mistake" not in html  # a buyer's reason
    assert '<label for="id_note"' in html or 'for="id_note"' in html


def test_review_states_units_money_stock_and_rate_then_confirm_cancels(
    signed_in, order, django_capture_on_commit_callbacks, mailoutbox
):
    """The review changes nothing and says what will happen; Confirm does exactly that."""
    page = review(signed_in, order, reason=Reason.PRICING_ERROR.value, note="Wrong price, sorry")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 items will be cancelled" in html
    assert "The $25.00 hold on your card ending 4242 will be released" in html
    assert "2 back in stock." in html
    assert "This counts toward your cancellation rate" in html
    assert "Wrong price, sorry" in html
    assert nothing_changed(order)

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(confirm_url(order), hidden_fields(page), follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    cancellation = Cancellation.objects.get()
    assert (cancellation.reason, cancellation.note) == ("pricing_error", "Wrong price, sorry")
    assert "Cancelled 2 items of order" in response.content.decode()
    assert "It counts toward your cancellation rate" in response.content.decode()
    assert any("Wrong price, sorry" in m.body for m in mailoutbox if m.to == ["bea@example.com"])


def test_the_buyer_sees_the_sellers_memo_on_the_order_page(client, signed_in, order, buyer):
    page = review(signed_in, order, reason=Reason.GENERAL_ADJUSTMENT.value, note="Discontinued")
    signed_in.post(confirm_url(order), hidden_fields(page))
    client.force_login(buyer)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Note from the seller: “Discontinued”" in html


def test_no_inventory_review_warns_that_the_listing_goes_off_sale(signed_in, place, seller):
    listing = ListingFactory(seller=seller, stock=10, title="Lamp")
    first = place({listing: 1})
    first_review = review(
        signed_in, first, reason="no_inventory", **{f"qty_{first.lines.get().pk}": "1"}
    )
    assert "Stock set to 0" in first_review.content.decode()
    assert "goes off sale" not in first_review.content.decode()
    signed_in.post(confirm_url(first), hidden_fields(first_review))
    Listing.objects.filter(pk=listing.pk).update(stock=5)

    second = place({listing: 1})
    second_review = review(
        signed_in, second, reason="no_inventory", **{f"qty_{second.lines.get().pk}": "1"}
    )
    assert "the listing goes off sale until you update its stock" in second_review.content.decode()
    signed_in.post(confirm_url(second), hidden_fields(second_review))

    listing.refresh_from_db()
    assert listing.is_active is False
    inventory = signed_in.get(reverse("catalog:inventory")).content.decode()
    assert "“No inventory” cancellations in 30 days" in inventory


def test_with_a_pending_request_the_reason_is_fixed_and_nothing_counts(signed_in, pending):
    order = pending.order
    form = signed_in.get(cancel_url(order)).content.decode()
    assert "Cancelling exactly these approves their request" in form
    assert '<option value="buyer_cancelled"' in form
    assert '<option value="no_inventory"' not in form

    page = review(
        signed_in, order, reason="buyer_cancelled", **{f"qty_{order.lines.get().pk}": "1"}
    )
    assert "does not count" in page.content.decode()
    signed_in.post(confirm_url(order), hidden_fields(page))

    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.APPROVED
    assert Cancellation.objects.get().counts_against_seller is False


def test_a_review_that_does_not_cover_the_request_is_refused(signed_in, pending):
    """The buyer asked for 1 unit; reviewing 2 as "Buyer cancelled" is a form error."""
    order = pending.order
    response = review(
        signed_in, order, reason="buyer_cancelled", **{f"qty_{order.lines.get().pk}": "2"}
    )
    assert response.status_code == 400
    assert "The buyer&#x27;s request is answered whole" in response.content.decode()


def test_confirm_after_the_buyer_withdrew_the_request_changes_nothing(signed_in, pending, buyer):
    """
    Given the seller's review of the buyer's request, the buyer withdraws it; Confirm
    answers 409 with why, and nothing is cancelled (it would count against the seller).
    """
    order = pending.order
    page = review(
        signed_in, order, reason="buyer_cancelled", **{f"qty_{order.lines.get().pk}": "1"}
    )
    withdraw_request(request_id=pending.pk, actor=Actor.buyer(buyer))

    response = signed_in.post(confirm_url(order), hidden_fields(page))

    assert response.status_code == 409
    assert "was withdrawn after you reviewed it" in response.content.decode()
    assert not Cancellation.objects.exists()
    assert order.lines.get().quantity_cancelled == 0


def test_confirm_twice_cancels_once(signed_in, order):
    data = hidden_fields(review(signed_in, order, **{f"qty_{order.lines.get().pk}": "1"}))
    signed_in.post(confirm_url(order), data)
    response = signed_in.post(confirm_url(order), data, follow=True)
    assert "already submitted" in response.content.decode()
    assert Cancellation.objects.count() == 1


def test_confirm_after_the_units_shipped_is_refused_with_the_reason(signed_in, order, seller):
    data = hidden_fields(review(signed_in, order))
    ship(order, seller, {order.lines.get().pk: 1})
    response = signed_in.post(confirm_url(order), data)
    assert response.status_code == 400
    assert "You can cancel at most 1 of this item." in response.content.decode()
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"reason": ""},
        {"reason": "bogus"},
        {"reason": "found_cheaper"},  # a buyer's reason
        {"reason": "shipping_delay"},  # the system's
        {"reason": "general_adjustment", "note": ""},
        {"reason": "pricing_error", "note": "   "},
        {"note": "x" * 501},
        {"note": "nul\x00"},
        {"qty": "0"},
        {"qty": "-1"},
        {"qty": "3"},
        {"qty": "1.5"},
        {"qty": "two"},
        {"qty": "١"},  # Arabic-Indic digit one
        {"qty": "0_1"},
        {"qty": str(10**30)},
        {"unticked": True},
        {"unknown_line": True},
        {"foreign_line": True},
    ],
)
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_bad_input_is_a_form_error_and_changes_nothing(signed_in, order, place, change, step):
    line = order.lines.get()
    data = {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "1",
        "reason": "customer_exchange",
        "note": "",
    }
    if step == "confirm":
        data["idempotency_key"] = "b" * 32
    change = dict(change)
    if "qty" in change:
        data[f"qty_{line.pk}"] = change.pop("qty")
    if change.pop("unticked", False):
        del data[f"line_{line.pk}"]
    if change.pop("unknown_line", False):
        data.update({"line_99999999": "on", "qty_99999999": "1"})
    if change.pop("foreign_line", False):
        other = place({ListingFactory(): 1}, who=UserFactory()).lines.get()
        data.update({f"line_{other.pk}": "on", f"qty_{other.pk}": "1"})
    data.update(change)

    response = signed_in.post(confirm_url(order) if step == "confirm" else cancel_url(order), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "is-invalid" in html or "alert-danger" in html
    assert nothing_changed(order)


@pytest.mark.parametrize("key", ["", "x" * 32, "a" * 31 + "\x00", "A" * 32])
def test_confirm_with_a_bad_key_changes_nothing(signed_in, order, key):
    data = hidden_fields(review(signed_in, order))
    data["idempotency_key"] = key
    assert signed_in.post(confirm_url(order), data).status_code == 400
    assert nothing_changed(order)


def test_a_closed_order_has_no_cancel_form(signed_in, place, seller):
    shipped = place()
    ship(shipped, seller, {shipped.lines.get().pk: 2})
    assert cancel_url(shipped) not in signed_in.get(shipped.get_seller_url()).content.decode()
    response = signed_in.get(cancel_url(shipped))
    assert response.status_code == 302
    assert signed_in.post(confirm_url(shipped), {"reason": "no_inventory"}).status_code == 302
    assert not Cancellation.objects.exists()


# --- Requests -----------------------------------------------------------------------------------
def test_requests_page_lists_the_pending_request_with_time_left(signed_in, pending):
    """Order, items, the buyer's reason and note, its age and the time left of 48 hours."""
    CancellationRequest.objects.filter(pk=pending.pk).update(
        created_at=pending.created_at - timedelta(hours=2)
    )
    response = signed_in.get(REQUESTS_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Cancellation requests</h1>" in html
    assert pending.order.number in html
    assert "1 × " in html
    assert "Found cheaper somewhere else" in html and "Saw it for less" in html
    assert "2 hours ago" in html
    assert "in 1 day, 21 hours" in html  # 48 h less the 2 h since it was asked
    assert f'action="{approve_url(pending)}"' in html
    assert f'action="{decline_url(pending)}"' in html
    assert 'for="id_r' in html  # the decline note is labelled


def test_nav_badge_counts_pending_requests_for_the_seller_only(signed_in, pending, client):
    assert 'data-testid="request-badge">1<' in signed_in.get(HOME_URL).content.decode()
    other = Client()
    other.force_login(SellerFactory().user)
    assert "request-badge" not in other.get(HOME_URL).content.decode()


def test_order_list_flags_orders_with_a_pending_request(signed_in, pending, place):
    quiet = place()
    html = signed_in.get(reverse("sellercentral:orders")).content.decode()
    rows = html.split('data-testid="order-row"')[1:]
    flagged = [row for row in rows if 'data-testid="request-flag"' in row]
    assert len(flagged) == 1
    assert pending.order.number in flagged[0]
    assert quiet.number not in flagged[0]


def test_approve_from_the_queue(signed_in, pending):
    response = signed_in.post(approve_url(pending))
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.APPROVED
    assert "The buyer's request is approved" in messages_of(response)
    assert "does not count toward your cancellation rate" in messages_of(response)
    assert response.url == REQUESTS_URL


def test_approve_from_the_order_page_returns_there(signed_in, pending):
    response = signed_in.post(approve_url(pending), {"from": "order"})
    assert response.url == pending.order.get_seller_url()


def test_approving_twice_says_so(signed_in, pending):
    signed_in.post(approve_url(pending))
    response = signed_in.post(approve_url(pending), follow=True)
    assert "already answered: approved" in response.content.decode()
    assert Cancellation.objects.count() == 1


def test_approving_after_shipment_says_decline_instead(signed_in, pending, seller):
    ship(pending.order, seller, {pending.order.lines.get().pk: 2})
    response = signed_in.post(approve_url(pending), follow=True)
    assert "can only be declined" in response.content.decode()
    assert not Cancellation.objects.exists()


def test_decline_with_a_note_and_the_buyer_reads_it(client, signed_in, pending, buyer):
    note = f"r{pending.pk}-note"
    response = signed_in.post(decline_url(pending), {note: "Already packed, shipping today"})
    assert response.status_code == 302
    assert "You declined the request" in messages_of(response)
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.DECLINED

    client.force_login(buyer)
    html = client.get(pending.order.get_absolute_url()).content.decode()
    assert "declined — the seller says “Already packed, shipping today”" in html


@pytest.mark.parametrize("note", [None, "", "   ", "x" * 501, "a\x00b"])
def test_decline_without_a_usable_note_is_a_form_error(signed_in, pending, note):
    data = {} if note is None else {f"r{pending.pk}-note": note}
    response = signed_in.post(decline_url(pending), data)
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.PENDING


def test_declining_an_answered_request_changes_nothing(signed_in, pending):
    signed_in.post(approve_url(pending))
    response = signed_in.post(decline_url(pending), {f"r{pending.pk}-note": "No"}, follow=True)
    assert "already answered" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.APPROVED


# --- Bulk cancel → review → Confirm -----------------------------------------------------------
def bulk_review(client, *orders, reason="customer_exchange", note=""):
    return client.post(BULK_URL, {"orders": [o.pk for o in orders], "reason": reason, "note": note})


def confirm_fields(review_response) -> list[tuple[str, str]]:
    """The review's Confirm form as the browser posts it (``orders`` once per order)."""
    html = review_response.content.decode()
    form = html[html.index(f'action="{BULK_CONFIRM_URL}"') :]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)


def bulk_confirm(client, review_response):
    data: dict[str, list[str]] = {}
    for name, value in confirm_fields(review_response):
        data.setdefault(name, []).append(value)
    return client.post(BULK_CONFIRM_URL, data, follow=True)


def test_bulk_cancel_reviews_each_order_before_anything_changes(
    signed_in, place, seller, buyer, pending
):
    """
    Given two fresh orders, a shipped one and one whose buyer asked to cancel, when the
    seller ticks all four and asks to cancel them, then a review lists the two with their
    units, money, stock and rate, leaves out the other two and says why, and nothing changed.
    """
    first, second, shipped = place(), place(), place()
    ship(shipped, seller, {shipped.lines.get().pk: 2})
    stock_before = Listing.objects.get(pk=first.lines.get().listing_id).stock

    response = bulk_review(signed_in, first, second, shipped, pending.order)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Review your bulk cancellation</h1>" in html
    assert "Nothing has changed yet" in html
    reviewed = re.findall(r'data-testid="bulk-order".*?</tr>', html, re.S)
    assert len(reviewed) == 2
    for order, row in zip([second, first], reviewed, strict=True):  # newest first
        assert order.number in row
        assert "2 × " in row and "back in stock" in row
        assert "$25.00: the hold on the buyer&#x27;s card is released" in row
        assert re.search(r'data-testid="rate-effect">\s*Counts', row)
    assert "2 orders, 4 items, $50.00 will be cancelled" in html
    left_out = html[html.index('data-testid="left-out"') :]
    assert f"{shipped.number}</a>: It has shipped" in left_out
    assert f"{pending.order.number}</a>: The buyer has asked to cancel" in left_out
    assert "Customer exchange" in html
    assert Cancellation.objects.count() == 0
    assert Listing.objects.get(pk=first.lines.get().listing_id).stock == stock_before
    first.refresh_from_db()
    assert first.status == OrderStatus.UNSHIPPED
    fields = dict(confirm_fields(response))
    assert fields[f"seen_{first.pk}"] == f"{first.lines.get().pk}:2"
    assert f"seen_{shipped.pk}" not in fields


def test_bulk_review_says_when_no_inventory_takes_a_listing_off_sale(signed_in, place, seller):
    """Two orders of one listing under "No inventory": stock to 0, and the listing goes off sale."""
    listing = ListingFactory(seller=seller, title="Lamp", stock=10, price="30.00")
    first, second = place({listing: 1}), place({listing: 1})

    html = bulk_review(signed_in, first, second, reason="no_inventory").content.decode()

    assert html.count("Lamp: stock set to 0.") == 2
    assert "Goes off sale until you update its stock." in html
    assert nothing_changed(first)


def test_bulk_confirm_cancels_what_was_reviewed_once(signed_in, place, seller):
    """
    When the seller confirms the review, each reviewed order is cancelled, restocked and
    released; a second click on the same Confirm cancels nothing more.
    """
    first, second = place(), place()
    listing = Listing.objects.get(pk=first.lines.get().listing_id)
    review = bulk_review(signed_in, first, second)

    response = bulk_confirm(signed_in, review)
    again = bulk_confirm(signed_in, review)

    assert f"Cancelled 2 orders: {first.number}, {second.number}" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("sellercentral:orders")
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
    assert Cancellation.objects.count() == 2
    assert set(Cancellation.objects.values_list("reason", "counts_against_seller")) == {
        ("customer_exchange", True)
    }
    assert Listing.objects.get(pk=listing.pk).stock == listing.stock + 2
    assert "Already cancelled by this same confirmation" in again.content.decode()
    assert Cancellation.objects.count() == 2


def test_a_stale_bulk_review_is_refused_for_the_order_that_changed(signed_in, place, buyer, seller):
    """
    Given a review of two orders, when the buyer cancels an item of one before the seller
    confirms, then that order is refused with why (nothing more cancelled in it) and the
    other is cancelled.
    """
    changed, unchanged = place(), place()
    review = bulk_review(signed_in, changed, unchanged)
    cancel_items(
        order_id=changed.pk,
        quantities={changed.lines.get().pk: 1},
        reason=Reason.CREATED_BY_MISTAKE,
        actor=Actor.buyer(buyer),
    )

    response = bulk_confirm(signed_in, review)

    text = messages_of(response)
    assert f"Cancelled 1 order: {unchanged.number}" in text
    assert f"{changed.number} changed after you reviewed it: the buyer cancelled items" in text
    assert ": 1 left to cancel, not 2), so nothing in it was cancelled" in text
    changed.refresh_from_db()
    assert changed.lines.get().quantity_cancelled == 1  # the buyer's unit only
    assert changed.cancellations.get().initiator == "buyer"
    unchanged.refresh_from_db()
    assert unchanged.status == OrderStatus.CANCELLED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda fields, order: [(k, v) for k, v in fields if k != f"seen_{order.pk}"],
        lambda fields, order: [
            (k, "1:2;DROP" if k == f"seen_{order.pk}" else v) for k, v in fields
        ],
        lambda fields, order: [(k, "9" * 30 if k == "idempotency_key" else v) for k, v in fields],
        lambda fields, order: [(k, v) for k, v in fields if k != "reason"],
    ],
)
def test_bulk_confirm_with_a_tampered_review_changes_nothing(signed_in, order, tamper):
    """A Confirm missing what its review showed (or its key, or its reason) is an error."""
    fields = tamper(confirm_fields(bulk_review(signed_in, order)), order)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)

    response = signed_in.post(BULK_CONFIRM_URL, data, follow=True)

    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert nothing_changed(order)


@pytest.mark.parametrize("count", [1, 6])
def test_the_bulk_review_makes_the_same_queries_for_1_and_6_orders(
    signed_in, place, seller, django_assert_num_queries, count
):
    """
    Session, user, seller; the ticked orders with their payments, their lines, which wait
    on a buyer's request, the listings' recent "No inventory" cancellations; the nav's
    request badge.
    """
    listing = ListingFactory(seller=seller, stock=100, price="12.50")
    orders = [place({listing: 1}) for _ in range(count)]

    with django_assert_num_queries(8):
        response = bulk_review(signed_in, *orders, reason="no_inventory")

    assert response.content.decode().count('data-testid="bulk-order"') == count


def test_bulk_review_with_nothing_to_cancel_offers_no_confirm(signed_in, place, seller):
    shipped = place()
    ship(shipped, seller, {shipped.lines.get().pk: 2})

    html = bulk_review(signed_in, shipped).content.decode()

    assert "None of the ticked orders can be cancelled." in html
    assert "It has shipped" in html
    assert "Confirm" not in html


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "no_inventory"},  # no orders ticked
        {"orders": ["abc"], "reason": "no_inventory"},
        {"orders": ["-1"], "reason": "no_inventory"},
        {"orders": ["1" * 40], "reason": "no_inventory"},
        {"orders": ["1\x00"], "reason": "no_inventory"},
        {"orders": [str(i) for i in range(1, 200)], "reason": "no_inventory"},
        {"orders": "ORDER", "reason": "bogus"},
        {"orders": "ORDER", "reason": "general_adjustment", "note": ""},
        {"orders": "ORDER", "reason": "customer_exchange", "note": "x" * 501},
    ],
)
def test_bulk_cancel_bad_input_changes_nothing(signed_in, order, data):
    data = dict(data)
    if data.get("orders") == "ORDER":
        data["orders"] = [order.pk]
    response = signed_in.post(BULK_URL, data, follow=True)
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert nothing_changed(order)


def test_bulk_cancel_of_another_sellers_order_changes_nothing(client, order):
    """Another seller's order is left out of the review, unnamed, and refused at Confirm."""
    client.force_login(SellerFactory().user)
    review = client.post(BULK_URL, {"orders": [order.pk], "reason": "no_inventory"})
    confirm = client.post(
        BULK_CONFIRM_URL,
        {
            "orders": [order.pk],
            f"seen_{order.pk}": f"{order.lines.get().pk}:2",
            "reason": "no_inventory",
            "idempotency_key": "c" * 32,
        },
        follow=True,
    )
    assert "It is not one of your orders." in review.content.decode()
    assert order.number not in review.content.decode()
    assert "not an order of your store" in confirm.content.decode()
    assert nothing_changed(order)


# --- Access -------------------------------------------------------------------------------------
def seller_urls(order, cancellation_request):
    return {
        "home": ("get", HOME_URL),
        "cancel": ("post", cancel_url(order)),
        "confirm": ("post", confirm_url(order)),
        "requests": ("get", REQUESTS_URL),
        "approve": ("post", approve_url(cancellation_request)),
        "decline": ("post", decline_url(cancellation_request)),
        "bulk": ("post", BULK_URL),
        "bulk_confirm": ("post", BULK_CONFIRM_URL),
        "cancel_items": ("post", cancel_items_url(order)),
    }


def valid_post(order, cancellation_request):
    line = order.lines.get()
    return {
        f"line_{line.pk}": "on",
        f"qty_{line.pk}": "1",
        "reason": "buyer_cancelled",
        "idempotency_key": "c" * 32,
        "orders": [order.pk],
        f"seen_{order.pk}": f"{line.pk}:2",
        f"r{cancellation_request.pk}-note": "No",
    }


@pytest.mark.parametrize("who", ["other_seller", "buyer", "anonymous"])
@pytest.mark.parametrize(
    "name",
    [
        "home",
        "cancel",
        "cancel_items",
        "confirm",
        "requests",
        "approve",
        "decline",
        "bulk",
        "bulk_confirm",
    ],
)
def test_nobody_else_changes_anything(client, pending, buyer, who, name):
    """
    Another seller: 404 (the bulk review: the order left out, unnamed; its Confirm: refused
    by name); the buyer: 403; anonymous: sign in.
    """
    order = pending.order
    method, url = seller_urls(order, pending)[name]
    if who == "other_seller":
        client.force_login(SellerFactory().user)
    elif who == "buyer":
        client.force_login(buyer)

    response = getattr(client, method)(url, valid_post(order, pending))

    if who == "anonymous":
        assert response.status_code == 302 and reverse("login") in response["Location"]
    elif who == "buyer":
        assert response.status_code == 403
    elif name in ("home", "requests", "bulk"):
        assert response.status_code == 200
        assert order.number not in response.content.decode()
    elif name == "bulk_confirm":
        assert response.status_code == 302
    else:
        assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.PENDING
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize("name", ["confirm", "approve", "decline", "bulk", "bulk_confirm"])
def test_get_on_a_post_url_is_405(signed_in, pending, name):
    _method, url = seller_urls(pending.order, pending)[name]
    assert signed_in.get(url).status_code == 405
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.PENDING


@pytest.mark.parametrize(
    "name", ["cancel_items", "confirm", "approve", "decline", "bulk", "bulk_confirm"]
)
def test_posts_without_csrf_are_refused(seller, pending, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller.user)
    _method, url = seller_urls(pending.order, pending)[name]
    assert client.post(url, valid_post(pending.order, pending)).status_code == 403
    pending.refresh_from_db()
    assert pending.status == CancellationRequest.Status.PENDING
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize("request_id", ["999999", str(2**63), "9" * 30])
def test_unknown_request_ids_are_404(signed_in, request_id):
    url = f"/seller/cancellation-requests/{request_id}/approve/"
    assert signed_in.post(url).status_code == 404


# --- Buyer-facing copy stays true -------------------------------------------------------------
def test_buyer_pages_and_email_promise_automatic_approval_as_the_job_does_it(
    client, place, buyer, django_capture_on_commit_callbacks, mailoutbox
):
    """
    The request-deadline job (cancellations.jobs.answer_overdue_request) approves an
    unanswered request once nothing asked about has shipped: every buyer page and
    email of the request says so, with that condition.
    """
    order = age(place(), hours=2)
    client.force_login(buyer)
    line = order.lines.get()
    choices = {f"line_{line.pk}": "on", f"qty_{line.pk}": "1", "reason": "found_cheaper"}
    pages = [client.get(reverse("cancellations:cancel_items", args=[order.number]))]
    pages.append(client.post(reverse("cancellations:cancel_items", args=[order.number]), choices))
    data = dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', pages[-1].content.decode()
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        pages.append(
            client.post(reverse("cancellations:confirm", args=[order.number]), data, follow=True)
        )
    texts = [page.content.decode() for page in pages] + [m.body for m in mailoutbox]
    assert CancellationRequest.objects.filter(order=order).exists()
    buyer_mail = [
        m.body for m in mailoutbox if m.to == [buyer.email] and "asked the seller" in m.subject
    ]
    assert buyer_mail
    for text in [page.content.decode() for page in pages] + buyer_mail:
        assert re.search(r"approved\s+automatically", text), text
    assert len(texts) == len(pages) + len(mailoutbox)


# --- The queue's pages --------------------------------------------------------------------------
def waiting_request(seller, buyer, listing, **fields) -> CancellationRequest:
    """A pending request for 1 of an order's 2 units (written directly: many are needed)."""
    order = OrderFactory(buyer=buyer, seller=seller, lines=[(listing, 2)])
    item = CancellationRequest.objects.create(
        order=order, buyer=buyer, reason=Reason.FOUND_CHEAPER, **fields
    )
    CancellationRequestLine.objects.create(request=item, order_line=order.lines.get(), quantity=1)
    return item


@pytest.fixture
def queue(seller, buyer):
    """27 pending requests on the seller's orders, one a minute, the oldest first."""
    listing = ListingFactory(seller=seller)
    start = timezone.now() - timedelta(hours=30)
    return [
        waiting_request(seller, buyer, listing, created_at=start + timedelta(minutes=minute))
        for minute in range(27)
    ]


def queued(response) -> list[int]:
    return [item.pk for item, _form in response.context["requests"]]


def test_the_queue_shows_25_a_page_the_one_due_first_on_top(signed_in, queue):
    first = signed_in.get(REQUESTS_URL)
    second = signed_in.get(REQUESTS_URL, {"page": 2})

    assert queued(first) == [item.pk for item in queue[:25]]
    assert queued(second) == [item.pk for item in queue[25:]]
    assert "?page=2" in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_a_refused_decline_shows_the_page_its_request_is_on(signed_in, queue):
    """A decline without a note on page 2 comes back on page 2, with the note's error."""
    late = queue[26]

    response = signed_in.post(decline_url(late), {f"r{late.pk}-note": ""})

    assert response.status_code == 400
    assert late.pk in queued(response)
    assert response.context["page_obj"].number == 2
    forms = {item.pk: form for item, form in response.context["requests"]}
    assert forms[late.pk].errors


@pytest.mark.parametrize("waiting", [26, 60])
def test_the_queue_makes_the_same_queries_however_many_wait(
    signed_in, seller, buyer, django_assert_num_queries, waiting, page_cache_off
):
    """
    Session, user, seller, the count, a page of requests with orders and buyers, their
    lines, the nav's badges: the same for 26 requests waiting as for 60.
    """
    listing = ListingFactory(seller=seller)
    for _ in range(waiting):
        waiting_request(seller, buyer, listing)

    with django_assert_num_queries(7):
        response = signed_in.get(REQUESTS_URL)

    assert len(queued(response)) == 25


@pytest.mark.parametrize("waiting", [26, 60])
def test_the_queue_from_the_page_cache_makes_the_same_queries_however_many_wait(
    signed_in, seller, buyer, django_assert_num_queries, waiting
):
    """
    Rendered: the queries above and the seller's version (orders.changelog: the page
    cache's key). Served again with nothing changed: session, user, seller and that
    version; nothing about the queue itself, not even the nav's badges.
    """
    listing = ListingFactory(seller=seller)
    for _ in range(waiting):
        waiting_request(seller, buyer, listing)

    with django_assert_num_queries(8):
        rendered = signed_in.get(REQUESTS_URL)
    with django_assert_num_queries(4):
        served = signed_in.get(REQUESTS_URL)

    assert served.from_page_cache
    assert served.content.decode().count('data-testid="request"') == len(queued(rendered)) == 25
