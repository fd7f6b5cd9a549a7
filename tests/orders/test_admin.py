"""Orders in Django admin: staff read orders and timelines; status and money are never edited."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Message, Order, OrderEvent, OrderStatus, Shipment
from tests.factories import ListingFactory, OrderFactory, PaymentFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

S = OrderStatus


@pytest.fixture
def order():
    """An order with a line, a timeline row, a shipment and a message."""
    buyer = UserFactory(username="bea")
    seller = SellerFactory(store_name="Sam's Paper")
    listing = ListingFactory(seller=seller, title="Fountain pen", price=Decimal("12.50"))
    placed = OrderFactory(
        buyer=buyer,
        seller=seller,
        total=Decimal("25.00"),
        payment=PaymentFactory(amount=Decimal("25.00")),
        lines=[(listing, 2)],
    )
    OrderEvent.objects.create(
        order=placed, type="placed", actor_role="buyer", actor_user=buyer, summary="Order placed."
    )
    Shipment.objects.create(order=placed, carrier="UPS", tracking_number="1Z42")
    Message.objects.create(order=placed, author=buyer, author_role="buyer", body="Gift wrap?")
    return placed


def change_url(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def test_the_changelist_renders_with_its_columns(admin_client, order):
    """Staff see number, buyer, seller, status, dates and total, and can filter and search."""
    OrderFactory()  # a second seller, so the seller filter has a choice to offer

    response = admin_client.get(reverse("admin:orders_order_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    for text in (order.number, "bea", "Sam&#x27;s Paper", "Unshipped", "25.00"):
        assert text in html
    assert 'name="q"' in html  # search box
    assert "By status" in html and "By seller" in html


def test_search_by_number_and_buyer_username(admin_client, order):
    """The search finds an order by its number or its buyer's username."""
    other = OrderFactory()
    url = reverse("admin:orders_order_changelist")

    by_number = admin_client.get(url, {"q": order.number})
    by_username = admin_client.get(url, {"q": "bea"})

    for response in (by_number, by_username):
        assert list(response.context["cl"].result_list) == [order]
    assert other.number not in by_number.content.decode()


def test_the_change_page_shows_lines_timeline_shipments_and_messages(admin_client, order):
    """The change page holds the whole order story, read-only."""
    response = admin_client.get(change_url(order))

    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Fountain pen", "The buyer placed the order.", "1Z42", "Gift wrap?"):
        assert text in html
    # Inline rows are displayed, never editable (only their hidden keys are in the form).
    inline_inputs = re.findall(r'name="(?:lines|events|messages|shipments)-0-(\w+)"', html)
    assert set(inline_inputs) == {"id", "order"}


def test_status_and_money_are_read_only_on_the_change_page(admin_client, order):
    """No input for status, total or the payment: only the services change them."""
    response = admin_client.get(change_url(order))

    html = response.content.decode()
    for field in ("status", "total", "payment", "buyer", "seller", "number", "ship_by"):
        assert f'name="{field}"' not in html
    assert "Unshipped" in html
    assert 'name="ship_to_line1"' in html  # staff may correct an address


def test_posting_a_status_through_admin_changes_nothing_but_the_address(admin_client, order):
    """A forged POST with a status and total is ignored; the address correction is saved."""
    page = admin_client.get(change_url(order))
    data = {
        "ship_to_name": "Bea Buyer",
        "ship_to_line1": "2 Side Street",
        "ship_to_line2": "",
        "ship_to_city": "Springfield",
        "ship_to_postcode": "12345",
        "ship_to_country": "US",
        "status": S.CANCELLED,
        "total": "0.01",
        "_save": "Save",
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {f"{management.prefix}-{key}": value for key, value in management.initial.items()}
        )

    response = admin_client.post(change_url(order), data)

    assert response.status_code == 302
    after = Order.objects.get(pk=order.pk)
    assert after.ship_to_line1 == "2 Side Street"
    assert after.status == S.UNSHIPPED
    assert after.total == Decimal("25.00")


def test_orders_cannot_be_added_or_deleted_in_admin(admin_client, order):
    """Orders come from checkout only, and stay for the record."""
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    )
    assert Order.objects.filter(pk=order.pk).exists()


def test_the_event_log_is_a_read_only_list(admin_client, order):
    """The audit log lists every order's events; nothing can be added, changed or deleted."""
    event = order.events.get()

    listing = admin_client.get(reverse("admin:orders_orderevent_changelist"))
    page = admin_client.get(reverse("admin:orders_orderevent_change", args=[event.pk]))
    added = admin_client.get(reverse("admin:orders_orderevent_add"))
    edited = admin_client.post(
        reverse("admin:orders_orderevent_change", args=[event.pk]), {"summary": "Rewritten"}
    )

    assert listing.status_code == 200
    assert "The buyer placed the order." in listing.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert added.status_code == 403
    assert edited.status_code == 403
    assert OrderEvent.objects.get(pk=event.pk).summary == "Order placed."


def test_staff_read_the_timeline_in_the_staff_voice_never_the_buyers_you(admin_client, order):
    """
    Given a buyer's cancellation stored in the buyer's words ("You cancelled…"), when staff
    open the order and the event log, then both say "The buyer cancelled…" instead.
    """
    OrderEvent.objects.create(
        order=order,
        type=OrderEvent.Type.ITEMS_CANCELLED,
        actor_role="buyer",
        actor_user=order.buyer,
        summary="You cancelled 1 × Fountain pen.",
        payload={"items": "1 × Fountain pen", "refund": "12.50"},
    )

    pages = [
        admin_client.get(change_url(order)).content.decode(),
        admin_client.get(reverse("admin:orders_orderevent_changelist")).content.decode(),
    ]

    for html in pages:
        assert "You cancelled" not in html
        assert "The buyer cancelled 1 × Fountain pen. $12.50 goes back to the buyer." in html


def test_non_staff_users_are_kept_out_of_admin(client, order):
    """A buyer signed in to the shop is sent to the admin sign-in, not the order."""
    client.force_login(order.buyer)

    response = client.get(change_url(order))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
