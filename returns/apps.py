from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self):
        # The order timeline's words for a return's steps; the order pages' returns panel,
        # and the Your Orders cards' "Return items" and return notes.
        from . import events, panels  # noqa: F401
