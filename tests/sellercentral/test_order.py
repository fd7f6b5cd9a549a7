"""Seller Central's order page: start preparing, confirm shipment, messages."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import format_html

from orders import events
from orders.events import Reader
from orders.models import (
    ActorRole,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
)
from orders.services import OrderError
from payments.models import PaymentTransaction
from tests.factories import (
    ListingFactory,
    OrderFactory,
)

pytestmark = pytest.mark.django_db

S = OrderStatus
SHIP = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}


# --- Fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture
def placed(place, seller):
    """An authorized order through checkout: 3 pens at $2.50 and 1 ink at $7.00 ($14.50)."""
    pen = ListingFactory(seller=seller, title="Pen", price=Decimal("2.50"), stock=10)
    ink = ListingFactory(seller=seller, title="Ink", price=Decimal("7.00"), stock=10)
    placed_order = place({pen: 3, ink: 1})
    assert placed_order.status == S.UNSHIPPED
    return placed_order


def body(response) -> str:
    return response.content.decode()


def flash(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def rows(response) -> int:
    return body(response).count('data-testid="order-row"')


def detail_url(order) -> str:
    return reverse("sellercentral:order", args=[order.number])


def prepare_url(order) -> str:
    return reverse("sellercentral:start_preparing", args=[order.number])


def ship_url(order) -> str:
    return reverse("sellercentral:confirm_shipment", args=[order.number])


def message_url(order) -> str:
    return reverse("sellercentral:order_message", args=[order.number])


def list_url(order=None) -> str:
    return reverse("sellercentral:orders")


def lines_of(order) -> dict[str, tuple[int, int]]:
    """Title → (shipped, cancelled), read from the database."""
    return {
        line.title: (line.quantity_shipped, line.quantity_cancelled)
        for line in OrderLine.objects.filter(order=order)
    }


def ship_data(order, quantities: dict[str, object], **extra) -> dict:
    """The confirm-shipment POST: quantities by line title, then carrier and tracking."""
    by_title = {line.title: line.pk for line in OrderLine.objects.filter(order=order)}
    data = {f"line_{by_title[title]}": qty for title, qty in quantities.items()}
    return {**data, **SHIP, **extra}


def nothing_shipped(order) -> bool:
    return (
        Order.objects.get(pk=order.pk).status == S.UNSHIPPED
        and not Shipment.objects.exists()
        and not ShipmentLine.objects.exists()
        and not PaymentTransaction.objects.filter(kind="capture").exists()
        and all(shipped == 0 for shipped, _ in lines_of(order).values())
    )


# --- Who may open what ------------------------------------------------------------------------
@pytest.mark.parametrize("url_of", [detail_url, ship_url, list_url])
def test_the_seller_opens_their_own_pages(client, seller, placed, url_of):
    """The order's seller sees the list, the order page and the shipment form."""
    client.force_login(seller.user)

    response = client.get(url_of(placed))

    assert response.status_code == 200
    assert placed.number in body(response)


@pytest.mark.parametrize("url_of", [detail_url, ship_url])
def test_another_seller_gets_404_on_the_order_pages(client, seller2, placed, url_of):
    """A seller cannot open another store's order, nor learn that it exists."""
    client.force_login(seller2.user)

    response = client.get(url_of(placed))

    assert response.status_code == 404
    assert placed.number not in body(response)


def test_another_seller_does_not_see_the_order_in_their_list(client, seller2, placed):
    """The list is scoped to the signed-in seller's store."""
    OrderFactory(seller=seller2)
    client.force_login(seller2.user)

    response = client.get(list_url())

    assert placed.number not in body(response)
    assert rows(response) == 1


@pytest.mark.parametrize(
    ("url_of", "data"),
    [
        (prepare_url, {}),
        (ship_url, {"carrier": "UPS", "tracking_number": "1Z999"}),
        (message_url, {"body": "Shipping today"}),
    ],
)
def test_another_sellers_posts_are_404_and_change_nothing(
    client, seller2, placed, url_of, data, django_capture_on_commit_callbacks
):
    """Start preparing, shipping or writing on another store's order is refused."""
    client.force_login(seller2.user)
    events_before = placed.events.count()
    mail.outbox.clear()  # the checkout's own emails

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url_of(placed), data)

    assert response.status_code == 404
    assert nothing_shipped(placed)
    assert not Message.objects.exists()
    assert placed.events.count() == events_before
    assert mail.outbox == []


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_of", [list_url, detail_url, ship_url, prepare_url, message_url])
def test_buyers_without_a_store_get_403_in_seller_central(client, buyer, placed, method, url_of):
    """Seller Central is for sellers: the order's own buyer gets 403 and changes nothing."""
    client.force_login(buyer)

    response = getattr(client, method)(
        url_of(placed), {"body": "hi", **SHIP} if method == "post" else None
    )

    assert response.status_code == 403
    assert nothing_shipped(placed)
    assert not Message.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_of", [list_url, detail_url, ship_url, prepare_url, message_url])
def test_anonymous_visitors_are_sent_to_sign_in(client, placed, method, url_of):
    """Every Seller Central order page and action asks an anonymous visitor to sign in."""
    url = url_of(placed)

    response = getattr(client, method)(url, {"body": "hi", **SHIP} if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next={url}"
    assert nothing_shipped(placed)
    assert not Message.objects.exists()


@pytest.mark.parametrize("url_of", [prepare_url, message_url])
def test_get_on_post_only_urls_is_405_and_changes_nothing(client, seller, placed, url_of):
    """Start preparing and messages change state, so they answer POST only."""
    client.force_login(seller.user)

    response = client.get(url_of(placed))

    assert response.status_code == 405
    assert Order.objects.get(pk=placed.pk).status == S.UNSHIPPED
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("url_of", "data"),
    [(prepare_url, {}), (ship_url, SHIP), (message_url, {"body": "Hello"})],
)
def test_posts_without_a_csrf_token_are_refused(seller, placed, url_of, data):
    """A forged cross-site POST is a 403 and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller.user)

    response = client.post(url_of(placed), data)

    assert response.status_code == 403
    assert nothing_shipped(placed)
    assert not Message.objects.exists()


# --- The order page ---------------------------------------------------------------------------
def test_the_order_page_shows_lines_address_timeline_messages_and_actions(client, seller, placed):
    """The seller sees what to pack, where to send it, the history and the buttons."""
    Message.objects.create(order=placed, author=placed.buyer, author_role="buyer", body="Gift?")
    client.force_login(seller.user)

    response = client.get(detail_url(placed))

    html = body(response)
    assert html.count("<h1") == 1
    assert "Pen" in html and "Ink" in html and "$14.50" in html
    assert "1 Main Street" in html and "Springfield" in html
    # The timeline in the seller's voice (orders/events.py), not the buyer's stored summary
    for event in placed.events.all():
        assert events.render(event, Reader.SELLER).replace("'", "&#x27;") in html
    assert "The buyer placed the order" in html and "Order placed with" not in html
    assert "Gift?" in html
    assert f'action="{prepare_url(placed)}"' in html
    assert f'href="{ship_url(placed)}"' in html
    assert f'action="{message_url(placed)}"' in html
    assert html.count("csrfmiddlewaretoken") == 3  # sign out, start preparing, message


def test_the_order_page_renders_the_seller_panels(client, seller, placed, monkeypatch):
    """Other apps' panels (cancel order, requests) come under the heading."""
    monkeypatch.setattr(
        "sellercentral.views.order.seller_panels",
        lambda request, order: format_html('<section id="test-panel">{}</section>', order.number),
    )
    client.force_login(seller.user)

    html = body(client.get(detail_url(placed)))

    assert html.index("<h1") < html.index('id="test-panel"') < html.index('id="items-heading"')


def test_the_cancellation_panel_comes_before_the_other_apps_panels(
    client, seller, placed, monkeypatch
):
    """
    Given another app's panel registered (a case), then the order page shows Seller
    Central's cancellation panel (Cancel order, Cancel items) first, then that panel.
    """
    monkeypatch.setattr(
        "sellercentral.views.order.render_seller_panels",
        lambda request, order: format_html('<section id="test-panel">{}</section>', order.number),
    )
    client.force_login(seller.user)

    html = body(client.get(detail_url(placed)))

    cancel_order = reverse("sellercentral:cancel_order", args=[placed.number])
    assert html.index(f'href="{cancel_order}"') < html.index('id="test-panel"')


@pytest.mark.parametrize("status", [S.SHIPPED, S.CANCELLED])
def test_a_closed_order_offers_no_fulfilment_buttons(client, seller, status):
    """Nothing left to ship: neither "Start preparing" nor "Confirm shipment"."""
    closed = OrderFactory(seller=seller, status=status)
    client.force_login(seller.user)

    html = body(client.get(detail_url(closed)))

    assert prepare_url(closed) not in html
    assert ship_url(closed) not in html


@pytest.mark.parametrize("extra", [0, 6])
def test_the_order_page_makes_a_fixed_number_of_queries(
    client, buyer, seller, monkeypatch, django_assert_num_queries, extra
):
    """More lines, events, messages and shipments cost no extra queries."""
    # The page's own queries: the panels of other apps are pinned by their own tests.
    monkeypatch.setattr("sellercentral.views.order.seller_panels", lambda request, order: "")
    order = OrderFactory(buyer=buyer, seller=seller, lines=[(None, 1)] * (1 + extra))
    for i in range(1 + extra):
        OrderEvent.objects.create(order=order, type="placed", actor_role="buyer", summary=f"E{i}")
        Message.objects.create(order=order, author=buyer, author_role="buyer", body=f"M{i}")
        shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number=f"1Z{i}")
        shipment.lines.create(line=order.lines.all()[i], quantity=1)
    client.force_login(seller.user)

    # session, user, seller, order + parties + payment, lines, events, messages,
    # shipments, shipment lines with their order lines, the payment's money rows (the
    # order summary), the nav's request badge
    with django_assert_num_queries(11):
        response = client.get(detail_url(order))

    assert response.status_code == 200


# --- Start preparing --------------------------------------------------------------------------
def test_start_preparing_moves_an_unshipped_order_on(client, seller, placed):
    """The order becomes "preparing", with a timeline row by the seller."""
    client.force_login(seller.user)

    response = client.post(prepare_url(placed))

    assert response.status_code == 302
    assert response["Location"] == placed.get_seller_url()
    assert Order.objects.get(pk=placed.pk).status == S.PREPARING
    event = placed.events.get(type=OrderEvent.Type.PREPARING)
    assert (event.actor_role, event.actor_user) == (ActorRole.SELLER, seller.user)
    assert f"Order {placed.number} is now being prepared." in flash(response)


@pytest.mark.parametrize("status", [S.PREPARING, S.SHIPPED, S.CANCELLED, S.PAYMENT_FAILED])
def test_start_preparing_twice_or_too_late_is_a_message(client, seller, status):
    """The service says no; the seller reads why and nothing changes."""
    order = OrderFactory(seller=seller, status=status)
    client.force_login(seller.user)

    response = client.post(prepare_url(order))

    assert response.status_code == 302
    assert "Only an unshipped order can start preparing." in flash(response)
    assert Order.objects.get(pk=order.pk).status == status
    assert not order.events.exists()


# --- Confirm shipment -------------------------------------------------------------------------
def test_the_shipment_form_has_a_quantity_per_open_line(client, seller, placed):
    """Each line still to ship gets a labelled quantity, defaulting to what is open."""
    pen = placed.lines.get(title="Pen")
    OrderLine.objects.filter(pk=pen.pk).update(quantity_cancelled=1)
    client.force_login(seller.user)

    response = client.get(ship_url(placed))

    html = body(response)
    form = response.context["form"]
    assert [field.initial for field in form.fields.values()][:2] == [2, 1]
    assert f'for="id_line_{pen.pk}"' in html
    assert f'name="line_{pen.pk}" value="2" min="0" max="2"' in html
    for carrier in ("UPS", "USPS", "FedEx", "DHL", "Other"):
        assert f'<option value="{carrier}"' in html
    assert 'for="id_tracking_number"' in html


def test_shipping_some_units_partially_ships_and_schedules_their_capture(
    client, buyer, seller, placed, django_capture_on_commit_callbacks
):
    """Two of three pens ship: lines, shipment, state, capture of $5.00 and the buyer's email."""
    client.force_login(seller.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ship_url(placed), ship_data(placed, {"Pen": 2, "Ink": 0}))

    assert response.status_code == 302
    assert response["Location"] == placed.get_seller_url()
    assert lines_of(placed) == {"Pen": (2, 0), "Ink": (0, 0)}
    order = Order.objects.get(pk=placed.pk)
    assert order.status == S.PARTIALLY_SHIPPED
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number) == ("UPS", "1Z999AA10123456784")
    capture = order.payment.transactions.get(kind=PaymentTransaction.Kind.CAPTURE)
    assert capture.amount == Decimal("5.00")
    assert capture.idempotency_key == f"capture:shipment:{shipment.pk}"
    event = order.events.get(type=OrderEvent.Type.SHIPPED)
    assert (event.actor_role, event.actor_user) == (ActorRole.SELLER, seller.user)
    assert [m.to for m in mail.outbox if "shipped" in m.subject.lower()] == [[buyer.email]]


def test_shipping_everything_left_ships_the_order(client, seller, placed):
    """The rest of the units ship: the order is shipped and every unit is captured."""
    client.force_login(seller.user)
    client.post(ship_url(placed), ship_data(placed, {"Pen": 1, "Ink": 0}))

    response = client.post(ship_url(placed), ship_data(placed, {"Pen": 2, "Ink": 1}))

    assert response.status_code == 302
    order = Order.objects.get(pk=placed.pk)
    assert order.status == S.SHIPPED
    assert lines_of(placed) == {"Pen": (3, 0), "Ink": (1, 0)}
    captures = order.payment.transactions.filter(kind=PaymentTransaction.Kind.CAPTURE)
    assert sorted(c.amount for c in captures) == [Decimal("2.50"), Decimal("12.00")]


@pytest.mark.parametrize(
    "quantities",
    [
        {"Pen": 4, "Ink": 1},  # more than is open
        {"Pen": -1, "Ink": 1},
        {"Pen": "1.5", "Ink": 1},
        {"Pen": "two", "Ink": 1},
        {"Pen": 10**20, "Ink": 1},
        {"Pen": "9" * 5000, "Ink": 1},
        {"Pen": "", "Ink": 1},
        {"Pen": 0, "Ink": 0},  # nothing to ship
    ],
)
def test_bad_quantities_are_form_errors_and_nothing_ships(client, seller, placed, quantities):
    """Every impossible quantity comes back as a form error; no line, shipment or money moves."""
    client.force_login(seller.user)

    response = client.post(ship_url(placed), ship_data(placed, quantities))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert nothing_shipped(placed)


def test_a_line_of_another_order_is_a_form_error_and_nothing_ships(client, seller, placed):
    """
    Given the seller's two orders, when the shipment form of one also posts a quantity
    for a line of the other, then it is refused with a form error and neither ships.
    """
    other = OrderFactory(seller=seller, lines=[(ListingFactory(seller=seller), 2)])
    other_line = other.lines.get()
    client.force_login(seller.user)

    response = client.post(
        ship_url(placed), {**ship_data(placed, {"Pen": 1, "Ink": 1}), f"line_{other_line.pk}": 2}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "An item you chose is not part of this order."
    ]
    assert nothing_shipped(placed)
    other_line.refresh_from_db()
    assert other_line.quantity_shipped == 0


@pytest.mark.parametrize("field", ["line_999999999", "line_x", "line_"])
def test_an_unknown_line_is_a_form_error(client, seller, placed, field):
    client.force_login(seller.user)

    response = client.post(ship_url(placed), {**ship_data(placed, {"Pen": 1, "Ink": 1}), field: 1})

    assert response.context["form"].non_field_errors() == [
        "An item you chose is not part of this order."
    ]
    assert nothing_shipped(placed)


def test_a_line_posted_twice_is_a_form_error(client, seller, placed):
    client.force_login(seller.user)

    response = client.post(ship_url(placed), ship_data(placed, {"Pen": ["1", "2"], "Ink": 1}))

    assert response.context["form"].non_field_errors() == ["Each item may appear only once."]
    assert nothing_shipped(placed)


def test_a_line_already_cancelled_is_a_form_error(client, seller, placed):
    """A stale page posts a line cancelled since: named, and nothing ships."""
    OrderLine.objects.filter(order=placed, title="Ink").update(quantity_cancelled=1)
    client.force_login(seller.user)

    response = client.post(ship_url(placed), ship_data(placed, {"Pen": 1, "Ink": 1}))

    assert response.context["form"].non_field_errors() == [
        "“Ink” has already shipped or been cancelled."
    ]
    assert nothing_shipped(placed)


@pytest.mark.parametrize(
    "extra",
    [
        {"tracking_number": ""},
        {"tracking_number": "1Z9"},
        {"tracking_number": "1Z 999"},
        {"tracking_number": "1Z<script>"},
        {"tracking_number": "A" * 41},
        {"carrier": "Pigeon"},
    ],
)
def test_bad_carrier_or_tracking_number_is_a_form_error(client, seller, placed, extra):
    """Tracking numbers are 4–40 letters and digits; the carrier comes from the list."""
    client.force_login(seller.user)

    response = client.post(ship_url(placed), ship_data(placed, {"Pen": 1, "Ink": 1}, **extra))

    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(extra)
    assert nothing_shipped(placed)


def test_a_refusal_from_the_service_is_a_form_error(client, seller, placed, monkeypatch):
    """When the order changed since the form loaded, the service's reason shows on the form."""

    def refuse(**kwargs):
        raise OrderError("“Pen”: you can ship at most 0 more.")

    monkeypatch.setattr("orders.services.confirm_shipment", refuse)
    client.force_login(seller.user)

    response = client.post(ship_url(placed), ship_data(placed, {"Pen": 1, "Ink": 1}))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["“Pen”: you can ship at most 0 more."]
    assert nothing_shipped(placed)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("status", [S.SHIPPED, S.CANCELLED, S.PAYMENT_FAILED])
def test_an_order_that_cannot_ship_sends_the_seller_back(client, seller, status, method):
    """No form for a closed or unpaid order; posting one changes nothing."""
    order = OrderFactory(seller=seller, status=status)
    client.force_login(seller.user)
    line = order.lines.get()

    response = getattr(client, method)(ship_url(order), {f"line_{line.pk}": 1, **SHIP})

    assert response.status_code == 302
    assert response["Location"] == order.get_seller_url()
    assert Order.objects.get(pk=order.pk).status == status
    assert not Shipment.objects.exists()


# --- Messages ---------------------------------------------------------------------------------
def test_the_seller_answers_the_buyer_who_gets_an_email(
    client, buyer, seller, order, django_capture_on_commit_callbacks
):
    """The message is saved as the seller's, and the buyer is emailed."""
    client.force_login(seller.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(message_url(order), {"body": "Ships tomorrow."})

    assert response.status_code == 302
    assert response["Location"] == f"{order.get_seller_url()}#messages"
    message = Message.objects.get()
    assert (message.order, message.author, message.author_role) == (
        order,
        seller.user,
        ActorRole.SELLER,
    )
    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert "Ships tomorrow." in mail.outbox[0].body


@pytest.mark.parametrize("text", ["", "\n\t ", "x" * 2001])
def test_an_empty_or_too_long_answer_is_a_form_error(
    client, seller, order, django_capture_on_commit_callbacks, text
):
    """The order page comes back with the error; nothing is saved or sent."""
    client.force_login(seller.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(message_url(order), {"body": text})

    assert response.status_code == 200
    assert response.context["message_form"].errors["body"]
    assert not Message.objects.exists()
    assert mail.outbox == []
