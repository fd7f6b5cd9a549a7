from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"

    def ready(self):
        from . import panels  # noqa: F401 - adds the cancellation panels to order pages
