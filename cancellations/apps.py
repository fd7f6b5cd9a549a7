from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"

    def ready(self):
        from . import events, panels  # noqa: F401 - the order pages' panels and timeline words
