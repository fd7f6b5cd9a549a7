from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        from . import health, panels  # noqa: F401 - the order defect rate; order page panels
