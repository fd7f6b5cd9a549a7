"""
Emails a person can read: multipart plain text + HTML from the same template
data, UTF-8 sent 8bit (readable in the console backend), each naming the order, its
items, what happens to the money, and linking to the order page (SITE_URL).
"""

from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.template import TemplateDoesNotExist
from django.utils.html import strip_tags

from cancellations.models import Reason
from cancellations.services.cancel import cancel_items
from cancellations.services.requests import (
    approve_request,
    decline_request,
    request_cancellation,
    withdraw_request,
)
from core.formatting import format_day
from notifications import emails
from notifications.models import OutboxMessage
from orders import events
from orders.actors import Actor
from orders.models import Order, OrderEvent
from orders.services import confirm_shipment, place_orders, post_message
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://shop.example"
    seller = SellerFactory(user=UserFactory(username="sam"), store_name="Sam’s Papeterie")
    notebook = ListingFactory(seller=seller, title="Carnet à pois — A5", price="12.50", stock=5)
    pencil = ListingFactory(seller=seller, title="Red pencil", price="3.00", stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        (placed,) = place_orders(
            buyer=UserFactory(username="bea"),
            items={notebook.pk: 2, pencil.pk: 1},
            address=ADDRESS,
            card_number=GOOD_CARD,
        )
    return placed


def sent(subject_part):
    (message,) = [m for m in mail.outbox if subject_part in m.subject]
    return message


def html_of(message) -> str:
    (alternative,) = message.alternatives
    assert alternative.mimetype == "text/html"
    return alternative.content


def test_the_order_confirmation_is_multipart_8bit_utf8_with_items_money_and_link(order):
    message = sent("is confirmed")
    link = f"https://shop.example/your-orders/{order.number}/"

    # Plain text and HTML say the same things: the number, the items, the money, the link
    for text in (message.body, html_of(message)):
        assert order.number in text
        assert "2 × Carnet à pois — A5" in text and "1 × Red pencil" in text
        assert "authorized now and charged when each package ships" in text
        assert link in text
    assert f'href="{link}"' in html_of(message)

    # Sent 8bit, as written: no quoted-printable or base64 in the raw message
    raw = message.message().as_bytes().decode("utf-8")
    assert "Content-Transfer-Encoding: quoted-printable" not in raw
    assert "Content-Transfer-Encoding: base64" not in raw
    assert "Content-Transfer-Encoding: 8bit" in raw
    assert "2 × Carnet à pois — A5" in raw
    assert "multipart/alternative" in raw


def test_the_console_backend_prints_the_email_readably(order, capsys):
    ConsoleBackend().send_messages([sent("is confirmed")])
    printed = capsys.readouterr().out
    assert "2 × Carnet à pois — A5" in printed
    assert "=C3" not in printed and "=E2=80" not in printed


def test_the_shipped_email_names_the_items(order, django_capture_on_commit_callbacks):
    line = order.lines.get(title="Red pencil")
    with django_capture_on_commit_callbacks(execute=True):
        confirm_shipment(
            order_id=order.pk,
            quantities={line.pk: 1},
            carrier="UPS",
            tracking_number="1Z999",
            actor=Actor.seller(order.seller.user),
        )

    message = sent("has shipped")

    for text in (message.body, html_of(message)):
        assert "1 × Red pencil" in text
        assert "Carnet" not in text  # what shipped, not the whole order
        assert "charged for the items that shipped" in text
        assert f"https://shop.example/your-orders/{order.number}/" in text


def test_cancellation_emails_say_what_happens_to_the_money_to_each_side(
    order, django_capture_on_commit_callbacks
):
    line = order.lines.get(title="Red pencil")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={line.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(order.buyer),
        )

    buyer = sent(f"Items of order {order.number} cancelled")
    seller = sent(f"Cancelled: order {order.number}")

    for text in (buyer.body, html_of(buyer)):
        assert "1 × Red pencil" in text
        assert "The $3.00 hold on your card ending 4242 is being released" in text
        assert f"https://shop.example/your-orders/{order.number}/" in text
    for text in (seller.body, html_of(seller)):
        assert "1 × Red pencil" in text
        assert "$3.00 for them goes back to the buyer" in text
        assert f"https://shop.example{order.get_seller_url()}" in text


def test_queue_email_without_an_html_template_sends_plain_text(order, mailoutbox, monkeypatch):
    """Templates another app adds without HTML still send (plain text only)."""

    def no_html(name):
        raise TemplateDoesNotExist(name)

    monkeypatch.setattr(emails, "get_template", no_html)
    emails.queue_email(
        to=["bea@example.com"], template="orders/emails/order_placed", context={"order": order}
    )
    row = OutboxMessage.objects.filter(kind=emails.EMAIL).order_by("-pk").first()
    assert "html" not in row.payload
    emails.send_email(row.payload, message_id=row.pk)
    assert mail.outbox[-1].alternatives == []


def test_the_late_notice_is_multipart_with_the_items_the_money_and_both_links(
    order, settings, django_capture_on_commit_callbacks
):
    """The beat job's delay notice reads like the other emails: items, money, links."""
    from datetime import timedelta

    from orders import jobs

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.send_delay_notice(order_id=order.pk, now=order.ship_by + timedelta(hours=1))

    buyer_mail = next(m for m in mail.outbox if m.to == ["bea@example.com"])
    seller_mail = next(m for m in mail.outbox if m.to == ["sam@example.com"])
    for text in (buyer_mail.body, html_of(buyer_mail)):
        assert "2 × Carnet à pois — A5" in text
        assert "release or refund what you paid" in text
        assert f"https://shop.example/your-orders/{order.number}/" in text
    assert f"https://shop.example{order.get_seller_url()}" in seller_mail.body
    assert f"https://shop.example{order.get_seller_url()}" in html_of(seller_mail)


# --- Each email for its reader, about what it is about -----------------------------------------
def asked_to_cancel(order, django_capture_on_commit_callbacks, *, note="Bought it in town."):
    """The buyer, past the first half hour, asks the seller to cancel the one red pencil."""
    Order.objects.filter(pk=order.pk).update(placed_at=order.placed_at - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        return request_cancellation(
            order_id=order.pk,
            quantities={order.lines.get(title="Red pencil").pk: 1},
            reason=Reason.FOUND_CHEAPER,
            note=note,
            actor=Actor.buyer(order.buyer),
        )


def both_parts(message) -> tuple[str, str]:
    """The plain text and the HTML's words as a reader sees them: tags gone, entities read."""
    return tuple(
        " ".join(text.split()) for text in (message.body, unescape(strip_tags(html_of(message))))
    )


def test_the_seller_is_emailed_a_new_order_with_what_to_ship_by_when(order):
    """Checkout tells the seller what to ship and the ship-by day, linking to Seller Central."""
    message = sent(f"New order {order.number}")
    ship_by = format_day(order.ship_by)

    assert message.to == [order.seller.user.email]
    assert message.subject == f"New order {order.number}: ship by {ship_by}"
    for text in both_parts(message):
        assert f"Ship these items by {ship_by}" in text
        assert "2 × Carnet à pois — A5" in text and "1 × Red pencil" in text
        assert "each shipment you confirm charges it for what shipped" in text
    for text in (message.body, html_of(message)):
        assert f"https://shop.example{order.get_seller_url()}" in text
        assert "your-orders" not in text  # the seller's page, not the buyer's


def test_the_decline_email_lists_only_the_items_the_buyer_asked_to_cancel(
    order, django_capture_on_commit_callbacks
):
    asked = asked_to_cancel(order, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decline_request(
            request_id=asked.pk, note="Shipping today", actor=Actor.seller(order.seller.user)
        )

    message = sent("declined")
    for text in both_parts(message):
        assert "1 × Red pencil" in text
        assert "Carnet" not in text  # not asked about, so not listed
        assert "“Shipping today”" in text


def test_the_buyer_is_emailed_after_withdrawing_a_request(
    order, django_capture_on_commit_callbacks
):
    """The buyer who withdrew gets their own email; the seller still gets theirs."""
    asked = asked_to_cancel(order, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_request(request_id=asked.pk, actor=Actor.buyer(order.buyer))

    to_buyer = sent("You withdrew your cancellation request")
    to_seller = sent("Cancellation request withdrawn")
    assert to_buyer.to == [order.buyer.email] and to_seller.to == [order.seller.user.email]
    assert to_buyer.subject == f"You withdrew your cancellation request: order {order.number}"
    for text in both_parts(to_buyer):
        assert "You withdrew your request to cancel these items" in text
        assert "1 × Red pencil" in text and "Carnet" not in text
        assert "Nothing was cancelled: your order goes on as planned" in text
    for text in (to_buyer.body, html_of(to_buyer)):
        assert f"https://shop.example/your-orders/{order.number}/" in text


def test_the_message_email_does_not_list_cancelled_items_as_live(
    order, django_capture_on_commit_callbacks
):
    """After the pencil and one notebook are cancelled, the email marks them as cancelled."""
    notebook, pencil = (
        order.lines.get(title__startswith="Carnet"),
        order.lines.get(title="Red pencil"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_items(
            order_id=order.pk,
            quantities={pencil.pk: 1, notebook.pk: 1},
            reason=Reason.CREATED_BY_MISTAKE,
            actor=Actor.buyer(order.buyer),
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_message(order_id=order.pk, body="Is it blue?", actor=Actor.buyer(order.buyer))

    message = sent("New message")
    for text in both_parts(message):
        assert "1 × Red pencil — cancelled" in text
        assert "1 × Red pencil — $3.00 each" not in text
        assert "2 × Carnet à pois — A5 — $12.50 each (1 of 2 cancelled)" in text


def test_an_approved_request_keeps_the_buyers_reason_and_says_it_was_approved(
    order, client, django_capture_on_commit_callbacks
):
    """
    The seller approves the buyer's request: both emails, both timelines and the buyer's
    order page say the request was approved, with the buyer's own reason and note,
    never "The seller cancelled… Reason: Buyer cancelled".
    """
    asked = asked_to_cancel(order, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_request(request_id=asked.pk, actor=Actor.seller(order.seller.user))

    to_buyer = sent(f"Your cancellation request for order {order.number} is approved")
    to_seller = sent(f"Cancelled at the buyer's request: order {order.number}")
    for text in both_parts(to_buyer):
        assert "Sam’s Papeterie approved your request to cancel these items of order" in text
        assert "Your reason: Found cheaper somewhere else" in text
        assert "Your note: “Bought it in town.”" in text
        assert "Buyer cancelled" not in text and "The seller cancelled" not in text
    for text in both_parts(to_seller):
        assert "You approved the buyer's request to cancel these items of order" in text
        assert "The buyer's reason: Found cheaper somewhere else" in text
        assert "does not count toward your cancellation rate" in text
        assert "Buyer cancelled" not in text

    event = order.events.get(type=OrderEvent.Type.ITEMS_CANCELLED)
    assert event.summary.startswith(
        "The seller approved your cancellation request: 1 × Red pencil cancelled "
        "(Found cheaper somewhere else)."
    )
    assert events.render(event, events.Reader.SELLER).startswith(
        "You approved the buyer's cancellation request: 1 × Red pencil cancelled "
        "(Found cheaper somewhere else)."
    )

    client.force_login(order.buyer)
    page = " ".join(client.get(f"/your-orders/{order.number}/").content.decode().split())
    assert "your request, approved by the seller (Found cheaper somewhere else)" in page
    assert "Your note: “Bought it in town.”" in page
    assert "Buyer cancelled" not in page
    client.force_login(order.seller.user)
    page = " ".join(client.get(order.get_seller_url()).content.decode().split())
    assert (
        "the buyer's request (Found cheaper somewhere else: “Bought it in town.”), "
        "approved by you" in page
    )


def test_the_closed_request_emails_list_only_the_items_asked_about(
    order, django_capture_on_commit_callbacks
):
    """A request closed because its items shipped lists those items, not the whole order."""
    from cancellations.jobs import answer_overdue_request

    asked = asked_to_cancel(order, django_capture_on_commit_callbacks)
    pencil = order.lines.get(title="Red pencil")
    with django_capture_on_commit_callbacks(execute=True):
        confirm_shipment(
            order_id=order.pk,
            quantities={pencil.pk: 1},
            carrier="UPS",
            tracking_number="1Z999",
            actor=Actor.seller(order.seller.user),
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert answer_overdue_request(
            request_id=asked.pk, now=asked.response_due_at() + timedelta(hours=1)
        )

    assert len(mail.outbox) == 2  # the buyer and the seller
    for message in mail.outbox:
        for text in both_parts(message):
            assert "1 × Red pencil" in text
            assert "Carnet" not in text
