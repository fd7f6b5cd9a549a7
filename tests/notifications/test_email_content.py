"""
Emails a person can read (issue 8): multipart plain text + HTML from the same template
data, UTF-8 sent 8bit (readable in the console backend), each naming the order, its
items, what happens to the money, and linking to the order page (SITE_URL).
"""

import pytest
from django.core import mail
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.template import TemplateDoesNotExist

from cancellations.models import Reason
from cancellations.services import cancel_items
from notifications import emails
from notifications.models import OutboxMessage
from orders.actors import Actor
from orders.services import confirm_shipment, place_orders
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
        to=["bea@example.com"], template="emails/order_placed", context={"order": order}
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
