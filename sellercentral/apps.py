from django.apps import AppConfig


class SellerCentralConfig(AppConfig):
    """Seller Central's own pages: the home (account health), orders and messages."""

    name = "sellercentral"
    verbose_name = "Seller Central"
