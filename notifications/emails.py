"""Emails go through the outbox: rendered now, in the transaction; sent after commit."""

import email.policy
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from . import outbox

EMAIL = "notifications.email"

# RFC 5322's line limit rather than the 78 characters Python folds text at: text with
# longer lines would otherwise go out quoted-printable or base64, unreadable in the
# console backend and in raw mail. UTF-8 text is sent 8bit, as written.
EMAIL_POLICY = email.policy.default.clone(max_line_length=998)


class Email(EmailMultiAlternatives):
    """A multipart (plain text + HTML) email whose UTF-8 text is sent 8bit, readable as is."""

    def message(self, *, policy=EMAIL_POLICY):
        return super().message(policy=policy)


def queue_email(*, to: list[str], template: str, context: dict, time_zone: str = "") -> None:
    """
    Render ``templates/<template>_subject.txt``, ``<template>_body.txt`` and, when it
    exists, ``<template>_body.html`` from the same context, and queue the email.
    Rendering now keeps the email true to the moment it describes. Templates get
    ``site_url`` for absolute links, and show times in ``time_zone``, the recipient's
    (``accounts.selectors.display_zone``, which the callers above this floor ask), or
    ``DISPLAY_TIME_ZONE`` without one.
    """
    if not any(to):
        return  # nobody to send it to: not even rendered
    context = {"site_url": settings.SITE_URL, **context}
    with timezone.override(ZoneInfo(time_zone or settings.DISPLAY_TIME_ZONE)):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
        try:
            html = get_template(f"{template}_body.html").render(context)
        except TemplateDoesNotExist:
            html = ""
    queue_rendered_email(to=to, subject=subject, body=body, html=html)


def queue_rendered_email(*, to: list[str], subject: str, body: str, html: str = "") -> None:
    """
    Queue an email rendered elsewhere (django-allauth renders its account emails from
    its own templates): the outbox sends it after commit, as every other email.
    """
    recipients = [address for address in to if address]
    if not recipients:
        return
    payload = {"to": recipients, "subject": " ".join(subject.split()), "body": body}
    if html:
        payload["html"] = html
    outbox.enqueue(EMAIL, payload)


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
    message = Email(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        headers={"Message-ID": message_id_header(message_id)},
    )
    if payload.get("html"):  # rows queued before HTML emails have none
        message.attach_alternative(payload["html"], "text/html")
    try:
        message.send()
    except OSError as error:  # SMTP down: try again later, lose nothing
        raise outbox.RetryLater(str(error)) from error
