from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from notifications.emails import queue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    """django-allauth's hooks into the portal: its emails go out through the outbox."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """
        Render allauth's email (``templates/account/email/<name>_subject.txt``,
        ``_message.txt`` and ``_message.html``) as allauth does, then queue it instead of
        sending it inline: a confirmation or a reset link written in the request's
        transaction goes out after commit, and an SMTP or broker outage delays it
        rather than failing the sign-up or losing the email.
        """
        context = {"email": email, "site_url": settings.SITE_URL, **context}
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"),
            "",
        )
        queue_rendered_email(
            to=list(message.to), subject=str(message.subject), body=str(message.body), html=html
        )

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        """allauth's "this changed in your account" emails, naming the account they are about."""
        super().send_notification_mail(
            template_prefix, user, {"user": user, **(context or {})}, email
        )
