from django.apps import AppConfig
from django.urls import register_converter


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from .converters import OrderNumberConverter

        # Registered once, here: orders' and cancellations' URLs both use it.
        register_converter(OrderNumberConverter, "order_number")
