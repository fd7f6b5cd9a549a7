from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from . import services  # noqa: F401 - registers the payments.transaction outbox handler
