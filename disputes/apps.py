from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        # The order defect rate; the order pages' panels and timeline words.
        from . import events, health, panels  # noqa: F401
