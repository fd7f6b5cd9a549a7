from django.apps import AppConfig
from django.urls import register_converter


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from .converters import OrderNumberConverter

        # Registered once, here: orders', cancellations' and Seller Central's URLs use it.
        register_converter(OrderNumberConverter, "order_number")
        # Registers the authorization-retry outbox handler and the failed-payment receiver
        # in every process (a Celery worker never imports the views that would load it).
        # The cart's signal receivers keep each user's cart across sign-out. Closing an
        # account asks orders what is open and anonymises the buyer's orders.
        # The change log's triggers are (re)written after each migrate (orders.changelog).
        from . import cart, changelog, closing, services  # noqa: F401
