from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        # The order pages' panels and timeline words; what keeps an account from closing.
        from . import closing, events, panels  # noqa: F401
