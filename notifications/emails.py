"""Emails go through the outbox: rendered now, in the transaction; sent after commit."""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from . import outbox

EMAIL = "notifications.email"


def queue_email(*, to: list[str], template: str, context: dict) -> None:
    """
    Render ``templates/<template>_subject.txt`` and ``<template>_body.txt`` and
    queue the email. Rendering now keeps the email true to the moment it describes.
    """
    recipients = [address for address in to if address]
    if not recipients:
        return
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    outbox.enqueue(EMAIL, {"to": recipients, "subject": subject, "body": body})


def message_id_header(outbox_message_id: int) -> str:
    """
    The email's Message-ID, the same on every delivery of one outbox message, so mail
    clients and servers recognise a redelivery (the outbox is at-least-once) as the
    same email. The domain is the sender's, not the worker's host name, which differs
    from one worker to the next.
    """
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{outbox_message_id}@{domain}>"


@outbox.handler(EMAIL)
def send_email(payload: dict, *, message_id: int) -> None:
    try:
        EmailMessage(
            subject=payload["subject"],
            body=payload["body"],
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=payload["to"],
            headers={"Message-ID": message_id_header(message_id)},
        ).send()
    except OSError as error:  # SMTP down: try again later, lose nothing
        raise outbox.RetryLater(str(error)) from error
