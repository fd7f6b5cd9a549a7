from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        from . import panels  # noqa: F401 - adds the Resolution Center panels to order pages
