from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        from . import events, panels  # noqa: F401 - the order pages' panels and timeline words
