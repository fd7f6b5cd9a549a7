"""Your Orders: the list, the order page, messages and "Revise payment" (views/buyer.py)."""

import html
import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from cancellations.models import Reason
from cancellations.services import cancel_items
from core.formatting import format_when
from disputes.models import Dispute
from disputes.services import open_dispute
from disputes.services import post_message as dispute_message
from orders.actors import Actor
from orders.models import ActorRole, Message, Order, OrderEvent, OrderLine, OrderStatus, Shipment
from orders.panels import needs_reader
from orders.services import confirm_shipment, place_orders
from payments.gateway import GatewayError, SandboxGateway, inject_timeouts
from payments.models import Payment
from tests.factories import (
    ADDRESS,
    DECLINED_CARD,
    GOOD_CARD,
    INSUFFICIENT_FUNDS_CARD,
    ListingFactory,
    OrderFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db

S = OrderStatus


# --- Fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture
def declined_order(buyer, seller, django_capture_on_commit_callbacks):
    """An order whose card was declined at checkout (status payment_failed)."""
    listing = ListingFactory(seller=seller, price=Decimal("12.50"), stock=10)
    with django_capture_on_commit_callbacks(execute=True):
        (placed,) = place_orders(
            buyer=buyer, items={listing.pk: 2}, address=ADDRESS, card_number=DECLINED_CARD
        )
    assert placed.status == S.PAYMENT_FAILED
    return placed


def body(response) -> str:
    return response.content.decode()


def flash(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def cards(response) -> int:
    return body(response).count('data-testid="order-card"')


def login_redirect(url: str) -> str:
    return f"{reverse(settings.LOGIN_URL)}?next={url}"


def order_url(order) -> str:
    return reverse("orders:order_detail", args=[order.number])


def message_url(order) -> str:
    return reverse("orders:order_message", args=[order.number])


def revise_url(order) -> str:
    return reverse("orders:revise_payment", args=[order.number])


def reload(order) -> Order:
    return Order.objects.select_related("payment").get(pk=order.pk)


# --- Who may open what ------------------------------------------------------------------------
@pytest.mark.parametrize("url_of", [order_url, revise_url])
def test_the_buyer_opens_their_own_order_pages(client, buyer, declined_order, url_of):
    """The order's buyer sees its page and its "Revise payment" form."""
    client.force_login(buyer)

    response = client.get(url_of(declined_order))

    assert response.status_code == 200
    assert response.context["order"] == declined_order


@pytest.mark.parametrize("who", ["buyer2", "seller", "seller2"])
@pytest.mark.parametrize("url_of", [order_url, revise_url])
def test_anyone_but_the_buyer_gets_404_on_the_order_pages(
    client, request, declined_order, who, url_of
):
    """Another buyer, and even the order's own seller, cannot open it in Your Orders."""
    viewer = request.getfixturevalue(who)
    client.force_login(viewer if who == "buyer2" else viewer.user)

    response = client.get(url_of(declined_order))

    assert response.status_code == 404
    assert declined_order.number not in body(response)


@pytest.mark.parametrize("who", ["buyer2", "seller"])
def test_posting_a_message_on_someone_elses_order_is_404_and_writes_nothing(
    client, request, order, who
):
    """A POST to another buyer's order thread is refused and leaves no message."""
    viewer = request.getfixturevalue(who)
    client.force_login(viewer if who == "buyer2" else viewer.user)

    response = client.post(message_url(order), {"body": "Where is my parcel?"})

    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize("who", ["buyer2", "seller"])
def test_revising_payment_on_someone_elses_order_is_404_and_changes_nothing(
    client, request, declined_order, who
):
    """Another user's card never reaches a stranger's declined order."""
    viewer = request.getfixturevalue(who)
    client.force_login(viewer if who == "buyer2" else viewer.user)

    response = client.post(revise_url(declined_order), {"card_number": GOOD_CARD})

    assert response.status_code == 404
    after = reload(declined_order)
    assert after.status == S.PAYMENT_FAILED
    assert after.payment_attempts == 1


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_of", [order_url, revise_url, message_url, None])
def test_anonymous_visitors_are_sent_to_sign_in(client, declined_order, method, url_of):
    """Every Your Orders page and action asks an anonymous visitor to sign in first."""
    url = url_of(declined_order) if url_of else reverse("orders:your_orders")

    data = {"body": "hi", "card_number": GOOD_CARD} if method == "post" else None

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)
    assert not Message.objects.exists()
    assert reload(declined_order).payment_attempts == 1


def test_get_on_the_message_url_is_405_and_writes_nothing(client, buyer, order):
    """Messages are only ever posted; a GET (a prefetching browser) changes nothing."""
    client.force_login(buyer)

    response = client.get(message_url(order), {"body": "Hello"})

    assert response.status_code == 405
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("url_of", "data"),
    [(message_url, {"body": "Hello"}), (revise_url, {"card_number": GOOD_CARD})],
)
def test_posts_without_a_csrf_token_are_refused(buyer, declined_order, url_of, data):
    """A forged cross-site POST is a 403 and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(url_of(declined_order), data)

    assert response.status_code == 403
    assert not Message.objects.exists()
    after = reload(declined_order)
    assert after.status == S.PAYMENT_FAILED
    assert after.payment_attempts == 1


# --- The order list ---------------------------------------------------------------------------
def test_your_orders_lists_only_the_buyers_own_orders(client, buyer, buyer2, seller):
    """Given orders of two buyers, each sees only theirs."""
    mine = OrderFactory(buyer=buyer, seller=seller)
    theirs = OrderFactory(buyer=buyer2, seller=seller)
    client.force_login(buyer)

    response = client.get(reverse("orders:your_orders"))

    assert list(response.context["orders"]) == [mine]
    assert mine.number in body(response)
    assert theirs.number not in body(response)


CURRENT = {"unshipped", "preparing", "partial", "failed", "shipped", "delivered lately"}


def delivered(buyer, seller, days_ago: int) -> Order:
    """An order delivered ``days_ago`` days ago (its "delivered" event dates the delivery)."""
    order = OrderFactory(buyer=buyer, seller=seller, status=S.DELIVERED)
    OrderEvent.objects.create(
        order=order,
        type=OrderEvent.Type.DELIVERED,
        actor_role=ActorRole.SYSTEM,
        summary="Your package was delivered.",
        created_at=timezone.now() - timedelta(days=days_ago),
    )
    return order


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("open", CURRENT),
        ("cancelled", {"cancelled"}),
        ("all", {*CURRENT, "cancelled", "delivered long ago"}),
        ("", CURRENT),
        ("nonsense", CURRENT),
    ],
)
def test_tabs_filter_the_orders(client, buyer, seller, tab, expected):
    """
    Current holds what may still ship or be cancelled, what is on its way, and what was
    delivered within YOUR_ORDERS_DELIVERED_DAYS (where a buyer looks for an order to open
    a case on); an unknown tab falls back to Current.
    """
    window = settings.YOUR_ORDERS_DELIVERED_DAYS
    orders = {
        "unshipped": OrderFactory(buyer=buyer, seller=seller, status=S.UNSHIPPED),
        "preparing": OrderFactory(buyer=buyer, seller=seller, status=S.PREPARING),
        "partial": OrderFactory(buyer=buyer, seller=seller, status=S.PARTIALLY_SHIPPED),
        "failed": OrderFactory(buyer=buyer, seller=seller, status=S.PAYMENT_FAILED),
        "cancelled": OrderFactory(buyer=buyer, seller=seller, status=S.CANCELLED),
        "shipped": OrderFactory(buyer=buyer, seller=seller, status=S.SHIPPED),
        "delivered lately": delivered(buyer, seller, days_ago=window - 1),
        "delivered long ago": delivered(buyer, seller, days_ago=window + 1),
    }
    client.force_login(buyer)

    response = client.get(reverse("orders:your_orders"), {"tab": tab})

    assert {o.number for o in response.context["orders"]} == {orders[k].number for k in expected}
    active = tab if tab in ("open", "cancelled", "all") else "open"
    assert response.context["tab"] == active
    assert re.search(rf'href="\?tab={active}"\s+aria-current="page"', body(response))
    assert body(response).count('aria-current="page"') == 1


def test_the_current_tab_says_what_it_holds(client, buyer):
    """The default tab names its window, so a buyer knows where older deliveries went."""
    client.force_login(buyer)

    html = body(client.get(reverse("orders:your_orders")))

    assert ">Current</a>" in html
    assert f"delivered in the last {settings.YOUR_ORDERS_DELIVERED_DAYS} days" in html


def older_link(response) -> dict[str, str]:
    """The query of the page's "Older orders" link."""
    return link(response, "Older orders")


def link(response, label: str) -> dict[str, str]:
    found = re.search(rf'href="\?([^"]+)">{label}</a>', body(response))
    assert found, f"no {label} link"
    return dict(QueryDict(html.unescape(found.group(1))).items())


def test_orders_are_newest_first_ten_per_page(client, buyer, seller):
    """
    Twenty-five orders make three pages, newest first; "Older orders" and "Newer
    orders" walk them and keep the tab; a mangled link shows the first page.
    """
    now = timezone.now()
    orders = [
        OrderFactory(buyer=buyer, seller=seller, placed_at=now - timedelta(hours=i))
        for i in range(25)
    ]
    client.force_login(buyer)
    url = reverse("orders:your_orders")

    first = client.get(url, {"tab": "all"})
    second = client.get(url, older_link(first))
    third = client.get(url, older_link(second))
    back = client.get(url, link(third, "Newer orders"))
    home = client.get(url, link(back, "Newer orders"))
    mangled = client.get(url, {"tab": "all", "older": "zzz.1"})

    assert list(first.context["orders"]) == orders[:10]
    assert cards(first) == 10
    assert older_link(first)["tab"] == "all"  # page links keep the tab
    assert list(second.context["orders"]) == orders[10:20]
    assert list(third.context["orders"]) == orders[20:]
    assert "Older orders" not in body(third)
    assert list(back.context["orders"]) == orders[10:20]
    assert list(home.context["orders"]) == orders[:10]
    assert "Newer orders" not in body(first) + body(home)
    assert mangled.status_code == 200
    assert list(mangled.context["orders"]) == orders[:10]


def test_orders_placed_at_the_same_moment_are_each_on_one_page(client, buyer, seller):
    """The place in the list is the time and the id: orders placed together are not lost."""
    now = timezone.now()
    orders = sorted(
        (OrderFactory(buyer=buyer, seller=seller, placed_at=now) for _ in range(12)),
        key=lambda order: -order.pk,
    )
    client.force_login(buyer)

    first = client.get(reverse("orders:your_orders"), {"tab": "all"})
    second = client.get(reverse("orders:your_orders"), older_link(first))

    assert list(first.context["orders"]) + list(second.context["orders"]) == orders


@pytest.mark.parametrize("older", [0, 300])
def test_a_page_makes_the_same_queries_however_many_orders_are_older(
    client, buyer, seller, django_assert_num_queries, older, page_cache_off
):
    """
    No page counts the buyer's orders: ten current orders make the same queries with
    no older orders behind them as with 300 (session, user, the nav's seller check, the
    page of orders with their sellers and payments; the cards are cached).
    """
    long_ago = timezone.now() - timedelta(days=400)
    OrderFactory.create_batch(older, buyer=buyer, seller=seller, placed_at=long_ago)
    OrderFactory.create_batch(10, buyer=buyer, seller=seller, status=S.SHIPPED)
    client.force_login(buyer)
    client.get(reverse("orders:your_orders"))  # the cards cached

    with django_assert_num_queries(4):
        response = client.get(reverse("orders:your_orders"))

    assert cards(response) == 10


def test_an_order_card_shows_seller_date_status_items_and_a_link(client, buyer, seller):
    """A card reads like Amazon's: who sold it, when, its state, its items, a way in."""
    listing = ListingFactory(seller=seller, title="Dot-grid notebook", price=Decimal("4.00"))
    order = OrderFactory(
        buyer=buyer,
        seller=seller,
        status=S.PREPARING,
        total=Decimal("12.00"),
        lines=[(listing, 3)],
    )
    OrderLine.objects.filter(order=order).update(quantity_cancelled=1)
    client.force_login(buyer)

    html = body(client.get(reverse("orders:your_orders")))

    assert order.number in html
    assert "Sam&#x27;s Paper" in html
    assert order.placed_at.strftime("%b") in html
    assert "Preparing for shipment" in html
    assert "Dot-grid notebook" in html
    assert "× 3" in html
    # A partly cancelled line says how many of how many, not struck as if all were gone
    assert "1 of 3 cancelled" in html
    assert '<del class="line-cancelled">' not in html
    # The total is what the order costs now, the original noted
    assert re.search(r'data-testid="order-total-now">\$8\.00<', html)
    assert "was <del>$12.00</del>, $4.00 cancelled" in html
    assert f'href="{order.get_absolute_url()}"' in html
    assert "View order" in html


def test_a_late_order_shows_a_late_badge(client, buyer, seller):
    """Past its ship-by date and unshipped: "Late"; on time, or cancelled: no badge."""
    past = timezone.now() - timedelta(days=3)
    late = OrderFactory(buyer=buyer, seller=seller, placed_at=past, ship_by=past)
    OrderFactory(buyer=buyer, seller=seller)  # on time
    OrderFactory(buyer=buyer, seller=seller, status=S.CANCELLED, placed_at=past, ship_by=past)
    client.force_login(buyer)

    html = body(client.get(reverse("orders:your_orders"), {"tab": "all"}))

    assert html.count('data-testid="late-badge"') == 1
    card = next(c for c in html.split('data-testid="order-card"') if late.number in c)
    assert 'data-testid="late-badge"' in card


@pytest.mark.parametrize("count", [5, 200])
def test_the_order_list_makes_the_same_queries_for_5_and_200_orders(
    client, buyer, seller, django_assert_num_queries, count, settings
):
    """
    Session, user, seller check (nav), orders with their versions, sellers and payments
    (no count: the pages say newer and older); then, for the cards not cached yet, their
    lines. From the page cache: session, user, seller check and the buyer's version
    (orders.changelog): no query of the list itself.
    """
    listing = ListingFactory(seller=seller)
    OrderFactory.create_batch(count, buyer=buyer, seller=seller, lines=[(listing, 2)])
    client.force_login(buyer)
    settings.PAGE_CACHE = False

    with django_assert_num_queries(5):
        cold = client.get(reverse("orders:your_orders"), {"tab": "all"})
    with django_assert_num_queries(4):
        warm = client.get(reverse("orders:your_orders"), {"tab": "all"})

    settings.PAGE_CACHE = True
    with django_assert_num_queries(5):  # the buyer's version, then the render, cards cached
        stored = client.get(reverse("orders:your_orders"), {"tab": "all"})
    with django_assert_num_queries(4):
        served = client.get(reverse("orders:your_orders"), {"tab": "all"})

    assert served.from_page_cache
    assert cards(cold) == cards(warm) == cards(served) == min(count, 10)
    assert main(warm) == main(cold) == main(stored) == main(served)


# --- The order page ---------------------------------------------------------------------------
def test_the_order_page_shows_lines_payment_address_shipments_and_timeline(
    client, buyer, seller, django_capture_on_commit_callbacks
):
    """The buyer sees ordered/shipped/cancelled units, money, address, parcels and history."""
    listing = ListingFactory(seller=seller, title="Fountain pen", price=Decimal("12.50"))
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 4}, address=ADDRESS, card_number=GOOD_CARD
        )
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(quantity_cancelled=1)
    shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z999")
    shipment.lines.create(line=line, quantity=2)
    OrderLine.objects.filter(pk=line.pk).update(quantity_shipped=2)
    client.force_login(buyer)

    response = client.get(order_url(order))

    html = body(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert f"Order {order.number}" in html
    assert "Fountain pen" in html
    assert "$12.50" in html
    assert "1 of 4 cancelled" in html
    assert re.search(r'data-testid="summary-items">\s*\$50\.00', html)
    assert re.search(r'data-testid="summary-cancelled">\s*−\$12\.50', html)
    assert re.search(r'data-testid="summary-total-now">\s*\$37\.50', html)
    assert "ending 4242" in html
    assert re.search(r'data-testid="amount-on-hold">\s*\$50\.00', html)
    assert re.search(r'data-testid="amount-captured">\s*\$0\.00', html)
    assert "1 Main Street" in html and "Springfield" in html
    assert "UPS" in html and "1Z999" in html and "2 × Fountain pen" in html
    for summary in order.events.values_list("summary", flat=True):
        assert str(summary).replace("'", "&#x27;") in html
    assert "Revise payment" not in html


def test_the_order_page_renders_the_panels_under_the_heading(client, buyer, order, monkeypatch):
    """Other apps' panels (Cancel Items) come right under the heading, before the items."""
    monkeypatch.setattr(
        "orders.views.buyer.render_buyer_panels",
        lambda request, order: format_html(
            '<section id="test-panel">Panel for {}</section>', order.number
        ),
    )
    client.force_login(buyer)

    html = body(client.get(order_url(order)))

    assert f"Panel for {order.number}" in html
    assert html.index("<h1") < html.index('id="test-panel"') < html.index('id="items-heading"')


@pytest.mark.parametrize("extra", [0, 6])
def test_the_order_page_makes_a_fixed_number_of_queries(
    client, buyer, seller, monkeypatch, django_assert_num_queries, extra
):
    """More lines, events, messages and shipments cost no extra queries."""
    # The page's own queries: the panels of other apps are pinned by their own tests.
    monkeypatch.setattr("orders.views.buyer.render_buyer_panels", lambda request, order: "")
    order = OrderFactory(buyer=buyer, seller=seller, lines=[(None, 1)] * (1 + extra))
    for i in range(1 + extra):
        OrderEvent.objects.create(order=order, type="placed", actor_role="buyer", summary=f"E{i}")
        Message.objects.create(order=order, author=buyer, author_role="buyer", body=f"M{i}")
        shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number=f"1Z{i}")
        shipment.lines.create(line=order.lines.all()[i], quantity=1)
    client.force_login(buyer)

    # session, user, seller check, the rows' digest (core.pagecache), order + parties +
    # payment, lines, events, messages, shipments, shipment lines with their order lines,
    # the payment's transactions (a failed refund or release is shown, never hidden
    # behind "refunded")
    with django_assert_num_queries(11):
        response = client.get(order_url(order))
    assert response.status_code == 200

    # Asked again with nothing changed: session, user, seller check, the digest.
    with django_assert_num_queries(4):
        again = client.get(order_url(order))
    assert again.status_code == 200


# --- Messages ---------------------------------------------------------------------------------
def test_the_buyer_writes_to_the_seller_who_gets_an_email(
    client, buyer, seller, order, django_capture_on_commit_callbacks
):
    """A message is saved on the order as the buyer's, and the seller is emailed."""
    client.force_login(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(message_url(order), {"body": "  Can you gift-wrap it?  "})

    assert response.status_code == 302
    assert response["Location"] == f"{order.get_absolute_url()}#messages"
    message = Message.objects.get()
    assert (message.order, message.author, message.author_role) == (order, buyer, ActorRole.BUYER)
    assert message.body == "Can you gift-wrap it?"
    assert [m.to for m in mail.outbox] == [[seller.user.email]]
    assert "Can you gift-wrap it?" in mail.outbox[0].body
    page = client.get(order_url(order))
    assert "Can you gift-wrap it?" in body(page)
    assert "Message sent to Sam&#x27;s Paper." in body(page)


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_an_empty_or_too_long_message_is_a_form_error(
    client, buyer, order, django_capture_on_commit_callbacks, text
):
    """The order page comes back with the error and the text kept; nothing is sent."""
    client.force_login(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(message_url(order), {"body": text})

    assert response.status_code == 200
    assert response.context["message_form"].errors["body"]
    assert response.context["order"] == order
    assert not Message.objects.exists()
    assert mail.outbox == []


# --- Revise payment ---------------------------------------------------------------------------
def test_a_declined_order_offers_revise_payment(client, buyer, declined_order):
    """The order page links to the form, which asks for a card number."""
    client.force_login(buyer)

    page = body(client.get(order_url(declined_order)))
    form = client.get(revise_url(declined_order))

    assert f'href="{revise_url(declined_order)}"' in page
    assert form.status_code == 200
    assert 'name="card_number"' in body(form)
    assert 'for="id_card_number"' in body(form)
    assert "csrfmiddlewaretoken" in body(form)


def test_revising_with_a_declined_card_then_a_good_one(
    client, buyer, declined_order, django_capture_on_commit_callbacks
):
    """Declined again: the buyer is told so; then a good card authorizes the order."""
    client.force_login(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(revise_url(declined_order), {"card_number": DECLINED_CARD})

    assert again.status_code == 302
    assert again["Location"] == declined_order.get_absolute_url()
    assert any("declined too" in m for m in flash(again))
    after = reload(declined_order)
    assert after.status == S.PAYMENT_FAILED
    assert after.payment_attempts == 2

    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(revise_url(declined_order), {"card_number": GOOD_CARD})

    assert ok.status_code == 302
    assert any("payment went through" in m for m in flash(ok))
    after = reload(declined_order)
    assert after.status == S.UNSHIPPED
    assert after.payment.status == Payment.Status.AUTHORIZED
    assert after.payment.amount_authorized == Decimal("25.00")
    assert after.payment_attempts == 3


def test_a_gateway_timeout_tells_the_buyer_the_answer_is_coming(client, buyer, declined_order):
    """No answer from the bank yet: neither "declined" nor "paid"; the retry will decide."""
    client.force_login(buyer)

    with inject_timeouts(1):
        response = client.post(revise_url(declined_order), {"card_number": GOOD_CARD})

    assert response.status_code == 302
    assert any("still waiting for your bank" in m for m in flash(response))
    # A second decline sends no email: the page, not the inbox, carries the answer.
    assert not any("email" in m for m in flash(response))
    after = reload(declined_order)
    assert (after.status, after.payment_attempts) == (S.PAYMENT_FAILED, 2)


@pytest.mark.parametrize("card", ["", "1234", "4242 4242 4242 4241", "x" * 500])
def test_an_invalid_card_number_is_a_field_error_and_changes_nothing(
    client, buyer, declined_order, card
):
    """A typo is caught before the service records a new payment attempt."""
    client.force_login(buyer)

    response = client.post(revise_url(declined_order), {"card_number": card})

    assert response.status_code == 200
    assert response.context["form"].errors["card_number"]
    after = reload(declined_order)
    assert (after.status, after.payment_attempts) == (S.PAYMENT_FAILED, 1)
    assert not after.events.filter(type=OrderEvent.Type.PAYMENT_REVISED).exists()


def test_a_service_refusal_becomes_a_message(client, buyer, declined_order, monkeypatch):
    """When the rule says no under the lock (e.g. the window just closed), the buyer reads why."""
    client.force_login(buyer)
    # The view saw a revisable order; the window closed before the service ran.
    deadline = timezone.now() + timedelta(seconds=1)
    monkeypatch.setattr("orders.views.buyer.can_revise_payment", lambda order: True)
    Order.objects.filter(pk=declined_order.pk).update(
        placed_at=deadline - timedelta(days=settings.PAYMENT_REVISE_DAYS + 1)
    )

    response = client.post(revise_url(declined_order), {"card_number": GOOD_CARD})

    assert response.status_code == 302
    assert "The time to revise this payment has passed." in flash(response)
    after = reload(declined_order)
    assert (after.status, after.payment_attempts) == (S.PAYMENT_FAILED, 1)


@pytest.mark.parametrize("method", ["get", "post"])
def test_once_the_window_closes_there_is_nothing_to_revise(client, buyer, declined_order, method):
    """Past PAYMENT_REVISE_DAYS the button is gone and the form sends the buyer back."""
    Order.objects.filter(pk=declined_order.pk).update(
        placed_at=timezone.now() - timedelta(days=settings.PAYMENT_REVISE_DAYS, minutes=1)
    )
    client.force_login(buyer)

    response = getattr(client, method)(revise_url(declined_order), {"card_number": GOOD_CARD})

    assert response.status_code == 302
    assert response["Location"] == declined_order.get_absolute_url()
    after = reload(declined_order)
    assert (after.status, after.payment_attempts) == (S.PAYMENT_FAILED, 1)
    assert "Revise payment" not in body(client.get(order_url(declined_order)))


def test_a_paid_order_has_nothing_to_revise(client, buyer, order):
    """An authorized order sends the form back to the order page, untouched."""
    client.force_login(buyer)

    response = client.post(revise_url(order), {"card_number": GOOD_CARD})

    assert response.status_code == 302
    assert reload(order).status == S.UNSHIPPED
    assert reload(order).payment_attempts == 1


def test_payment_factory_orders_show_their_card(client, buyer, seller):
    """The payment box reads the order's own payment row."""
    order = OrderFactory(buyer=buyer, seller=seller, payment=PaymentFactory(card_last4="1881"))
    client.force_login(buyer)

    assert "ending 1881" in body(client.get(order_url(order)))


# --- Money: a refund or release that failed is never shown as done -----------------------------
@pytest.mark.parametrize(("capture", "operation"), [("shipment", "void"), ("checkout", "refund")])
def test_the_order_page_says_a_failed_release_failed_instead_of_returned(
    client, buyer, seller, monkeypatch, django_capture_on_commit_callbacks, capture, operation
):
    """
    Given a cancellation whose void (or refund) the gateway refused, when the buyer opens
    the order page, then the payment box and the cancellation say it failed and that our
    team was alerted, never "returned" or "refunded", and no gateway text is shown.
    """
    monkeypatch.setattr(settings, "PAYMENT_CAPTURE", capture)
    listing = ListingFactory(seller=seller, title="Fountain pen", price=Decimal("12.50"))
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 2}, address=ADDRESS, card_number=GOOD_CARD
        )
    monkeypatch.setattr(
        SandboxGateway,
        operation,
        lambda self, **kwargs: (_ for _ in ()).throw(GatewayError("risk rule R-17")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={order.lines.get().pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    client.force_login(buyer)

    html = body(client.get(order_url(order)))

    assert re.search(r'data-testid="amount-release-failed">\s*\$12\.50', html)
    assert "failed — our team has been alerted" in html
    assert 'data-testid="money-return-failed"' in html
    assert "$12.50 returned" not in html
    assert re.search(r'data-testid="amount-refunded">\s*\$0\.00', html)
    assert re.search(r'data-testid="amount-released">\s*\$0\.00', html)
    assert "R-17" not in html


def test_a_successful_release_still_reads_returned(
    client, buyer, seller, django_capture_on_commit_callbacks
):
    """Given a cancellation whose hold was released, the page says returned and shows no failure."""
    listing = ListingFactory(seller=seller, price=Decimal("12.50"))
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 2}, address=ADDRESS, card_number=GOOD_CARD
        )
        cancel_items(
            order_id=order.pk,
            quantities={order.lines.get().pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
    client.force_login(buyer)

    html = body(client.get(order_url(order)))

    assert "$12.50 returned" in html
    assert "amount-release-failed" not in html
    assert "our team has been alerted" not in html


@pytest.mark.parametrize(
    ("capture", "button", "terms"),
    [
        ("shipment", "Authorize $25.00", "authorized now and charged when each package ships"),
        ("checkout", "Pay $25.00", "Your card is charged now."),
    ],
)
def test_revise_payment_uses_checkouts_words_for_the_capture_mode(
    client, buyer, declined_order, settings, capture, button, terms
):
    """The revise button and note say what checkout says in the capture mode in force."""
    settings.PAYMENT_CAPTURE = capture
    client.force_login(buyer)

    revise = body(client.get(revise_url(declined_order)))
    checkout_terms = re.search(r'data-testid="payment-terms">\s*([^<]*?)\s*<', revise).group(1)

    assert f'<button type="submit" class="btn btn-primary">{button}</button>' in revise
    assert terms in checkout_terms


# --- What waits on the buyer ------------------------------------------------------------------
def card_of(html: str, order) -> str:
    """The Your Orders card of ``order`` in the page."""
    return next(c for c in html.split('data-testid="order-card"')[1:] if order.number in c)


def test_a_declined_orders_card_offers_revise_payment_with_its_deadline(
    client, buyer, seller, declined_order
):
    """
    Given an order whose card was declined and another that was paid, the declined one's
    card says so, until when it may be revised, and links to Revise payment; the paid one
    does not.
    """
    paid = OrderFactory(buyer=buyer, seller=seller)
    client.force_login(buyer)

    html = body(client.get(reverse("orders:your_orders")))

    card = card_of(html, declined_order)
    deadline = declined_order.placed_at + timedelta(days=settings.PAYMENT_REVISE_DAYS)
    assert 'data-testid="card-payment-declined"' in card
    assert "Your payment was declined. Revise it by" in card
    assert format_when(deadline) in card
    assert f'href="{revise_url(declined_order)}"' in card
    assert "Revise payment" in card
    assert "card-payment-declined" not in card_of(html, paid)
    assert revise_url(paid) not in html


def test_a_cached_card_drops_revise_payment_once_its_window_closes(client, buyer, declined_order):
    """Nothing is written when the window closes: the card's key holds whether it is open."""
    client.force_login(buyer)
    assert revise_url(declined_order) in body(client.get(reverse("orders:your_orders")))
    closed = declined_order.placed_at + timedelta(days=settings.PAYMENT_REVISE_DAYS, minutes=1)

    with mock.patch("django.utils.timezone.now", return_value=closed):
        html = body(client.get(reverse("orders:your_orders")))

    assert declined_order.number in html
    assert revise_url(declined_order) not in html
    assert "card-payment-declined" not in html


def test_the_order_page_says_why_the_card_was_declined(client, buyer, declined_order):
    """The first decline: which card, the bank's reason in the buyer's words, the deadline."""
    client.force_login(buyer)

    html = body(client.get(order_url(declined_order)))

    assert "Your card ending 0002 was declined." in html
    assert "Your bank did not say why: try another card, or ask your bank." in html
    assert "Revise your payment by" in html


def test_after_a_second_decline_the_order_page_says_why(
    client, buyer, declined_order, django_capture_on_commit_callbacks
):
    """
    Given a declined order, when the buyer revises with a card that has no funds, then
    the order page says the new card was declined too, and why, and offers another try.
    """
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(revise_url(declined_order), {"card_number": INSUFFICIENT_FUNDS_CARD})

    html = body(client.get(order_url(declined_order)))

    assert reload(declined_order).payment_attempts == 2
    assert "Your new card ending 9995 was declined too." in html
    assert re.search(
        r'data-testid="decline-reason">Your bank says the card does not have enough funds',
        html,
    )
    assert "Your card ending 0002" not in html
    assert f'href="{revise_url(declined_order)}"' in html


def test_while_the_bank_has_not_answered_the_order_page_says_so(client, buyer, declined_order):
    """A revised card the bank has not answered yet is neither declined nor paid."""
    client.force_login(buyer)
    with inject_timeouts(1):
        client.post(revise_url(declined_order), {"card_number": GOOD_CARD})

    html = body(client.get(order_url(declined_order)))

    assert "We are waiting for your bank to answer about the card ending 4242" in html
    assert 'data-testid="decline-reason"' not in html


def test_a_gateways_own_refusal_text_is_not_given_as_the_reason(
    client, buyer, seller, monkeypatch, django_capture_on_commit_callbacks
):
    """A refusal that is not a card decline (a risk rule) reads as the general sentence."""
    monkeypatch.setattr(
        SandboxGateway,
        "authorize",
        lambda self, **kwargs: (_ for _ in ()).throw(GatewayError("risk rule R-17")),
    )
    listing = ListingFactory(seller=seller)
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )
    client.force_login(buyer)

    html = body(client.get(order_url(order)))

    alert = html.split('data-testid="payment-declined"', 1)[1].split("</div>", 1)[0]
    assert "Your bank did not accept the payment: try another card." in alert
    assert "R-17" not in alert


def test_the_declined_payment_comes_before_the_panels(client, buyer, declined_order):
    """The payment to revise is the first thing under the heading, above Cancel Items."""
    client.force_login(buyer)

    html = body(client.get(order_url(declined_order)))

    assert (
        html.index("<h1")
        < html.index('data-testid="payment-declined"')
        < html.index("cancellation-heading")
        < html.index('id="items-heading"')
    )


def test_panels_waiting_on_the_buyer_come_before_the_others(client, buyer, order, monkeypatch):
    """A panel that needs the buyer is shown first, whatever order the apps registered in."""
    monkeypatch.setattr(
        "orders.panels._buyer_panels",
        [
            lambda request, order: '<section id="history">History</section>',
            lambda request, order: "",  # nothing to show: nothing rendered
            lambda request, order: needs_reader('<section id="answer">Answer</section>'),
        ],
    )
    client.force_login(buyer)

    html = body(client.get(order_url(order)))

    assert html.index('id="answer"') < html.index('id="history"') < html.index("items-heading")


def test_a_case_waiting_for_the_buyers_answer_comes_first(
    client, buyer, seller, django_capture_on_commit_callbacks
):
    """
    Given a shipped order with a past cancellation and a case the seller answered, the
    case (and what to do about it) comes before the cancellation history.
    """
    listing = ListingFactory(seller=seller, stock=10)
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = place_orders(
            buyer=buyer, items={listing.pk: 3}, address=ADDRESS, card_number=GOOD_CARD
        )
        line = order.lines.get()
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(buyer),
        )
        confirm_shipment(
            order_id=order.pk,
            quantities={line.pk: 2},
            carrier="UPS",
            tracking_number="1Z999",
            actor=Actor.seller(seller.user),
        )
    with django_capture_on_commit_callbacks(execute=True):
        case = open_dispute(
            order_id=order.pk,
            reason=Dispute.Reason.NOT_AS_DESCRIBED,
            description="The pens leak.",
            actor=Actor.buyer(buyer),
        )
    client.force_login(buyer)
    before = body(client.get(order_url(order)))
    with django_capture_on_commit_callbacks(execute=True):
        dispute_message(
            dispute_id=case.pk, body="Sorry! Send a photo?", actor=Actor.seller(seller.user)
        )

    after = body(client.get(order_url(order)))

    assert before.index("cancellation-heading") < before.index("cases-heading")
    assert 'data-testid="case-awaits-buyer"' not in before
    assert after.index("cases-heading") < after.index("cancellation-heading")
    assert "The seller answered:" in after
    assert f'<a href="{case.get_absolute_url()}">read it and answer</a>' in after


def test_empty_panels_are_not_shown(client, buyer, seller, declined_order):
    """
    A declined order (nothing paid: no case to open) shows no Resolution Center; a shipped
    order never cancelled shows no Cancellation panel; neither leaves a bare heading.
    """
    shipped = OrderFactory(buyer=buyer, seller=seller, status=S.SHIPPED)
    client.force_login(buyer)

    declined_page = body(client.get(order_url(declined_order)))
    shipped_page = body(client.get(order_url(shipped)))

    assert "cases-heading" not in declined_page
    assert "Resolution Center</h2>" not in declined_page
    assert "cancellation-heading" not in shipped_page
    assert "cases-heading" in shipped_page  # paid: a case may be opened


def main(response) -> str:
    """The page's <main>: what a cached fragment may change (not the nav's nonce)."""
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
