from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self):
        # The order timeline's words for a return's steps.
        from . import events  # noqa: F401
