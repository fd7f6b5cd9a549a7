from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        # The order pages' panels and timeline words; what keeps an account from closing;
        # the staff queue's change log triggers, (re)written after each migrate.
        from . import changelog, closing, events, panels  # noqa: F401
