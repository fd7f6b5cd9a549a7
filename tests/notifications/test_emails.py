"""An email sent twice by the at-least-once outbox is recognisably the same email."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from notifications import emails, outbox
from notifications.models import OutboxMessage

from .conftest import make_due

pytestmark = pytest.mark.django_db


def queue(**payload):
    return OutboxMessage.objects.create(
        kind=emails.EMAIL,
        payload={"to": ["bea@example.com"], "subject": "Order cancelled", "body": "Done."}
        | payload,
    )


def test_the_message_id_comes_from_the_outbox_message_and_the_sender_domain(settings):
    settings.DEFAULT_FROM_EMAIL = "Marketplace <orders@shop.example>"

    assert emails.message_id_header(42) == "<outbox.42@shop.example>"


def test_an_email_delivered_twice_carries_the_same_message_id(mailoutbox):
    """Given the handler runs twice for one message, both copies share one Message-ID."""
    message = queue()

    assert outbox.deliver(message.pk) is True
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.PENDING)
    assert outbox.deliver(message.pk) is True

    first, second = mailoutbox
    assert first.message()["Message-ID"] == second.message()["Message-ID"]
    assert first.message()["Message-ID"] == emails.message_id_header(message.pk)


def test_an_email_whose_worker_died_before_the_record_is_resent_after_the_lease(
    mailoutbox, monkeypatch
):
    """Sent, then the worker dies: no second copy while leased, then the same email again."""
    message = queue()

    class WorkerKilled(BaseException):
        pass

    send = EmailMessage.send

    def killed_after_sending(self, *args, **kwargs):
        send(self, *args, **kwargs)
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", killed_after_sending)
        with pytest.raises(WorkerKilled):
            outbox.deliver(message.pk)
    assert outbox.deliver(message.pk) is False
    assert len(mailoutbox) == 1

    make_due(message)
    assert outbox.deliver(message.pk) is True

    assert [m.message()["Message-ID"] for m in mailoutbox] == [
        emails.message_id_header(message.pk)
    ] * 2
    assert len(mail.outbox) == 2


def test_an_smtp_outage_is_retried_later(mailoutbox, monkeypatch):
    message = queue()

    def refused(self, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailMessage, "send", refused)

    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "Connection refused" in message.last_error
