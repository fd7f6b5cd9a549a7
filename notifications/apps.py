from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from . import emails  # noqa: F401 - registers the email outbox handler
