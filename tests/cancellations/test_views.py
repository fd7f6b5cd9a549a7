"""Your Orders → Cancel Items → review → Confirm, through the browser's eyes."""

import pytest
from django.test import Client
from django.urls import reverse

from cancellations.models import Cancellation, CancellationRequest
from orders.models import OrderStatus
from tests.factories import ListingFactory, UserFactory

from .conftest import age, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place):
    return place()


@pytest.fixture
def signed_in(client, buyer):
    client.force_login(buyer)
    return client


def cancel_url(order):
    return reverse("cancellations:cancel_items", args=[order.number])


def confirm_url(order):
    return reverse("cancellations:confirm", args=[order.number])


def review(client, order, **data):
    line = order.lines.get()
    post = {f"line_{line.pk}": "on", f"qty_{line.pk}": "1", "reason": "created_by_mistake"}
    post.update(data)
    return client.post(cancel_url(order), post)


def confirm_data(response):
    """The hidden fields of the review page, as the browser would post them."""
    import re

    html = response.content.decode()
    form = html[html.index('action="/your-orders/') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def nothing_changed(order):
    line = order.lines.get()
    return (
        line.quantity_cancelled == 0
        and not Cancellation.objects.exists()
        and not CancellationRequest.objects.exists()
    )


def test_order_page_offers_cancel_items_on_a_fresh_order(signed_in, order):
    body = signed_in.get(order.get_absolute_url()).content.decode()
    assert cancel_url(order) in body
    assert "Cancel Items" in body


def test_cancel_form_lists_open_lines_with_their_quantities(signed_in, order):
    response = signed_in.get(cancel_url(order))
    line = order.lines.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="qty_{line.pk}"' in body
    assert 'value="2"' in body  # defaults to all that is open
    assert "Order created by mistake" in body
    assert "cancel right away" in body


def test_review_then_confirm_cancels_and_says_what_is_refunded(
    signed_in, order, django_capture_on_commit_callbacks, mailoutbox
):
    review_page = review(signed_in, order)
    assert review_page.status_code == 200
    assert "These items will be cancelled now" in review_page.content.decode()
    assert "hold on your card ending 4242 will be released" in review_page.content.decode()
    assert nothing_changed(order)  # the review changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(confirm_url(order), confirm_data(review_page), follow=True)

    line = order.lines.get()
    assert line.quantity_cancelled == 1
    assert Cancellation.objects.get().reason == "created_by_mistake"
    body = response.content.decode()
    assert "Cancelled 1 item" in body
    assert "line-cancelled" in body
    assert any("cancelled" in m.subject.lower() for m in mailoutbox)


def test_submitting_the_confirm_twice_says_it_was_already_done(signed_in, order):
    data = confirm_data(review(signed_in, order))
    signed_in.post(confirm_url(order), data)
    response = signed_in.post(confirm_url(order), data, follow=True)
    assert "already submitted" in response.content.decode()
    assert order.lines.get().quantity_cancelled == 1
    assert Cancellation.objects.count() == 1


def test_an_older_order_files_a_request_instead(signed_in, order):
    age(order, hours=2)
    review_page = review(signed_in, order)
    assert "We will ask the seller to cancel these items" in review_page.content.decode()
    response = signed_in.post(confirm_url(order), confirm_data(review_page), follow=True)
    cancellation_request = CancellationRequest.objects.get()
    assert cancellation_request.status == "pending"
    assert order.lines.get().quantity_cancelled == 0
    body = response.content.decode()
    assert "We asked the seller to cancel" in body
    assert "Cancellation request pending" in body
    assert (
        reverse("cancellations:withdraw_request", args=[order.number, cancellation_request.pk])
        in body
    )


def test_withdraw_request(signed_in, order):
    age(order, hours=2)
    signed_in.post(confirm_url(order), confirm_data(review(signed_in, order)))
    cancellation_request = CancellationRequest.objects.get()
    url = reverse("cancellations:withdraw_request", args=[order.number, cancellation_request.pk])
    assert signed_in.get(url).status_code == 405
    response = signed_in.post(url, follow=True)
    cancellation_request.refresh_from_db()
    assert cancellation_request.status == "withdrawn"
    assert "You withdrew your cancellation request" in response.content.decode()


def test_review_promised_direct_but_the_window_closed(signed_in, order):
    """The confirm re-checks under the lock and asks for a new review; nothing changes."""
    data = confirm_data(review(signed_in, order))
    age(order, hours=2)
    response = signed_in.post(confirm_url(order), data, follow=True)
    assert "no longer be cancelled directly" in response.content.decode()
    assert nothing_changed(order)


@pytest.mark.parametrize(
    "change",
    [
        {"reason": ""},
        {"reason": "no_inventory"},
        {"reason": "other", "note": ""},
        {"note": "x" * 501},
        {"note": "bad\x00byte"},
        {"qty": "0"},
        {"qty": "-1"},
        {"qty": "1.5"},
        {"qty": "abc"},
        {"qty": "١"},  # Arabic-Indic digit one
        {"qty": "0_1"},
        {"qty": "3"},
        {"qty": str(10**20)},
        {"unticked": True},
        {"unknown_line": True},
        {"foreign_line": True},
        {"twice": True},
    ],
)
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_bad_input_is_a_form_error_and_changes_nothing(signed_in, order, place, change, step):
    line = order.lines.get()
    data = (
        confirm_data(review(signed_in, order))
        if step == "confirm"
        else {
            f"line_{line.pk}": "on",
            f"qty_{line.pk}": "1",
            "reason": "created_by_mistake",
        }
    )
    change = dict(change)
    if "qty" in change:
        data[f"qty_{line.pk}"] = change.pop("qty")
    if change.pop("unticked", False):
        del data[f"line_{line.pk}"]
    if change.pop("unknown_line", False):
        data["line_999999"] = "on"
        data["qty_999999"] = "1"
    if change.pop("foreign_line", False):
        other = place().lines.get()
        data[f"line_{other.pk}"] = "on"
        data[f"qty_{other.pk}"] = "1"
    if change.pop("twice", False):
        data[f"qty_{line.pk}"] = ["1", "1"]
    data.update(change)
    url = confirm_url(order) if step == "confirm" else cancel_url(order)

    response = signed_in.post(url, data)

    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert nothing_changed(order)


def test_shipped_line_posted_anyway_is_refused(signed_in, place, seller):
    """A line that shipped since the review is named in the error; nothing is cancelled."""
    shipped_listing, other_listing = ListingFactory(seller=seller), ListingFactory(seller=seller)
    order = place({shipped_listing: 2, other_listing: 1})
    shipped = order.lines.get(listing=shipped_listing)
    review_page = signed_in.post(
        cancel_url(order),
        {f"line_{shipped.pk}": "on", f"qty_{shipped.pk}": "2", "reason": "created_by_mistake"},
    )
    data = confirm_data(review_page)
    ship(order, seller, {shipped.pk: 2})

    response = signed_in.post(confirm_url(order), data)

    assert response.status_code == 400
    assert "has already shipped or been cancelled" in response.content.decode()
    assert not Cancellation.objects.exists()
    assert all(line.quantity_cancelled == 0 for line in order.lines.all())


def test_get_on_confirm_is_refused(signed_in, order):
    assert signed_in.get(confirm_url(order)).status_code == 405
    assert nothing_changed(order)


def test_confirm_without_csrf_token_is_refused(buyer, order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    line = order.lines.get()
    response = client.post(
        confirm_url(order),
        {
            f"line_{line.pk}": "on",
            f"qty_{line.pk}": "1",
            "reason": "created_by_mistake",
            "mode": "direct",
            "idempotency_key": "a" * 32,
        },
    )
    assert response.status_code == 403
    assert nothing_changed(order)


@pytest.mark.parametrize("who", ["other_buyer", "seller", "anonymous"])
@pytest.mark.parametrize("url_name", ["cancel_items", "confirm"])
def test_another_persons_order_is_not_found(client, order, seller, who, url_name):
    url = reverse(f"cancellations:{url_name}", args=[order.number])
    if who == "other_buyer":
        client.force_login(UserFactory())
    elif who == "seller":
        client.force_login(seller.user)
    line = order.lines.get()
    data = {f"line_{line.pk}": "on", f"qty_{line.pk}": "1", "reason": "created_by_mistake"}
    response = client.post(url, data)
    if who == "anonymous":
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    else:
        assert response.status_code == 404
    assert nothing_changed(order)


def test_cancelled_order_has_no_cancel_button(signed_in, order):
    signed_in.post(
        confirm_url(order),
        confirm_data(review(signed_in, order, **{f"qty_{order.lines.get().pk}": "2"})),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    body = signed_in.get(order.get_absolute_url()).content.decode()
    assert cancel_url(order) not in body
    assert signed_in.get(cancel_url(order)).status_code == 302


def test_too_many_units_is_said_in_the_products_words(signed_in, order):
    """Past the open quantity the form says what the buyer may do, not Django's bound."""
    line = order.lines.get()

    response = review(signed_in, order, **{f"qty_{line.pk}": "3"})

    body = response.content.decode()
    assert response.status_code == 400
    assert "You can cancel at most 2 of this item." in body
    assert "Ensure this value" not in body
    assert nothing_changed(order)


def test_a_quick_cancel_window_closing_within_the_minute_is_still_ahead(signed_in, order):
    """38 seconds before the window closes, the form says so: never "(just now)"."""
    from django.conf import settings

    age(order, minutes=settings.BUYER_DIRECT_CANCEL_MINUTES, seconds=-38)

    body = signed_in.get(cancel_url(order)).content.decode()

    assert "(in under a minute)" in body
    assert "(just now)" not in body
